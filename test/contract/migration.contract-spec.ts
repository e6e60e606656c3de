import type { Client } from '@elastic/elasticsearch';
import { encodeDocs } from '../../src/log-shipping/log-shipping.encode';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { createElasticsearchClient } from '../../src/elasticsearch/elasticsearch-client.factory';
import { ElasticsearchLogSink } from '../../src/log-shipping/elasticsearch-log-sink';
import { documentsForEntry } from '../../src/log-shipping/log-shipping.documents';
import { indexTemplates } from '../../src/log-shipping/log-shipping.templates';
import { NdjsonLogSink } from '../../src/log-shipping/ndjson-log-sink';
import { runMigration } from '../../src/migration/migration.command';
import { scopedConfig } from '../support/contract/scoped-config';
import { predictionEntry, validationErrorEntry } from '../support/log-shipping/entries';
import { T1, T3, writeReferenceExport } from '../support/migration/reference-export';

/**
 * `npm run migrate` against a real Elasticsearch (ES_URL, and ES_USERNAME/ES_PASSWORD, ES_API_KEY, ES_CA_CERT as
 * the service reads them): what the mock cluster of test/e2e/migration.e2e-spec.ts can only imitate, namely point
 * in time with `search_after`, the bulk helper, index creation from an export, `create` conflicts and the strict
 * templates accepting converted reference documents. Kibana is not part of it. Every test works in its own indexes,
 * `lungcheck-contract-mig-<run>-<n>-*`, deleted at the end with their templates. Skipped without ES_URL.
 */
const ES_URL = process.env.ES_URL;
const suite = ES_URL ? describe : describe.skip;

const RUN = `lungcheck-contract-mig-${Date.now().toString(36)}`;
let scopes = 0;

suite('npm run migrate against a real Elasticsearch', () => {
  let client: Client;
  let scratch: string;
  const created: string[] = [];

  const scope = (): AppConfig => {
    scopes += 1;
    const prefix = `${RUN}-${scopes}`;
    const config = scopedConfig(prefix);
    created.push(...Object.values(config.shipping.indexes));
    return config;
  };

  const migrate = async (config: AppConfig, args: string[]): Promise<{ code: number; out: string }> => {
    let out = '';
    const code = await runMigration(['node', 'migrate', ...args], {
      loadConfig: () => config,
      createClient: createElasticsearchClient,
      fetch: globalThis.fetch,
      out: (text) => (out += text),
      err: (text) => (out += text),
      now: () => new Date(),
    });
    return { code, out };
  };

  const count = async (index: string): Promise<number> => {
    await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
    return (await client.count({ index, ignore_unavailable: true, allow_no_indices: true })).count;
  };

  /** An export file's documents, id → source. */
  const exported = async (backup: string, index: string): Promise<Record<string, unknown>> => {
    const lines = (await readFile(join(backup, 'indexes', `${index}.ndjson`), 'utf8')).trim().split('\n');
    const byId: Record<string, unknown> = {};
    for (let i = 0; i + 1 < lines.length; i += 2) {
      byId[(JSON.parse(lines[i] ?? '') as { index: { _id: string } }).index._id] = JSON.parse(
        lines[i + 1] ?? '',
      );
    }
    return byId;
  };

  const exportIndexes = async (config: AppConfig, pattern: string): Promise<string> => {
    const output = await mkdtemp(join(scratch, 'out-'));
    const run = await migrate(config, [
      'export-indexes',
      '--output',
      output,
      '--indexes',
      pattern,
      '--batch-size',
      '7',
    ]);
    expect({ code: run.code, out: run.out }).toEqual({ code: 0, out: expect.any(String) as string });
    return join(output, (await readdir(output))[0] ?? '');
  };

  beforeAll(async () => {
    const settings = scope().shipping.elasticsearch;
    if (!settings) {
      throw new Error('ES_URL is set but the configuration has no Elasticsearch settings');
    }
    client = createElasticsearchClient(settings);
    await client.info();
    scratch = await mkdtemp(join(tmpdir(), 'lungcheck-contract-migrate-'));
  });

  afterAll(async () => {
    await client.indices.delete({ index: created, ignore_unavailable: true, allow_no_indices: true });
    for (const index of created) {
      await client.indices.deleteIndexTemplate({ name: `lungcheck-${index}` }, { ignore: [404] });
    }
    await client.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('exports, restores after the indexes are lost, and exports the same ids and sources again', async () => {
    const config = scope();
    const indexes = config.shipping.indexes;
    const sink = new ElasticsearchLogSink(client, indexTemplates(indexes), ES_URL ?? '');
    await sink.prepare();
    const entries = [...Array.from({ length: 25 }, () => predictionEntry()), validationErrorEntry()];
    await sink.write(encodeDocs(entries.flatMap((e) => documentsForEntry(e, indexes))));
    const four = [indexes.logs, indexes.message, indexes.perfs, indexes.topFunc];
    const before = await Promise.all(four.map(count));
    const pattern = `${indexes.logs.slice(0, -'-logs'.length)}-*`;

    const backup = await exportIndexes(config, pattern);
    await client.indices.delete({ index: four });
    const restore = await migrate(config, ['import-indexes', '--input', backup, '--batch-size', '9']);
    expect(restore.code).toBe(0);
    expect(await Promise.all(four.map(count))).toEqual(before);

    const again = await exportIndexes(config, pattern);
    for (const index of four) {
      expect({ index, docs: await exported(again, index) }).toEqual({
        index,
        docs: await exported(backup, index),
      });
    }
    const mapping = await client.indices.getMapping({ index: indexes.message });
    expect(mapping[indexes.message]?.mappings.dynamic).toBe('strict');

    const kept = await migrate(config, ['import-indexes', '--input', backup]);
    expect(kept.code).toBe(0);
    expect(kept.out).toContain('left alone, nothing imported');
  });

  it('loads the NDJSON archive twice without changing anything the second time', async () => {
    const config = scope();
    const indexes = config.shipping.indexes;
    const archive = await mkdtemp(join(scratch, 'archive-'));
    const entries = [...Array.from({ length: 5 }, () => predictionEntry()), validationErrorEntry()];
    await new NdjsonLogSink(archive).write(encodeDocs(entries.flatMap((e) => documentsForEntry(e, indexes))));

    const first = await migrate(config, ['import-archive', '--input', archive]);
    expect(first.code).toBe(0);
    const counts = await Promise.all([indexes.logs, indexes.topFunc].map(count));
    expect(counts).toEqual([6, 25]);
    const second = await migrate(config, ['import-archive', '--input', archive]);
    expect(second.code).toBe(0);
    expect(second.out).toContain('already present 6');
    expect(await Promise.all([indexes.logs, indexes.topFunc].map(count))).toEqual(counts);
  });

  it("gets the reference's converted documents accepted by lungcheck's strict mappings", async () => {
    const config = scope();
    const indexes = config.shipping.indexes;
    const backup = await writeReferenceExport(await mkdtemp(join(scratch, 'reference-')));
    const run = await migrate(config, [
      'import-reference',
      '--input',
      backup,
      '--source-timezone',
      'Europe/Paris',
    ]);
    expect({ code: run.code, out: run.out }).toEqual({
      code: 0,
      out: expect.stringContaining('Not converted') as string,
    });
    expect(
      await Promise.all([indexes.logs, indexes.message, indexes.perfs, indexes.topFunc].map(count)),
    ).toEqual([2, 1, 2, 2]);
    const perfs = await client.get<Record<string, unknown>>({ index: indexes.perfs, id: `ref-${T1}` });
    expect(perfs._source).toMatchObject({ latency_ms: 57.21, '@timestamp': '2025-01-21T14:30:00.000Z' });
    expect(await client.exists({ index: indexes.perfs, id: `ref-${T3}` })).toBe(true);
  });
});
