import type { Client } from '@elastic/elasticsearch';
import { InThreadBatchEncoder } from '../../src/log-shipping/batch-encoder';
import { Logger } from '@nestjs/common';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { createElasticsearchClient } from '../../src/elasticsearch/elasticsearch-client.factory';
import { ElasticsearchLogSink } from '../../src/log-shipping/elasticsearch-log-sink';
import { documentsForEntry } from '../../src/log-shipping/log-shipping.documents';
import { ShippingClock } from '../../src/log-shipping/log-shipping.clock';
import { LogShippingService } from '../../src/log-shipping/log-shipping.service';
import { indexMappings, indexTemplates } from '../../src/log-shipping/log-shipping.templates';
import { NdjsonLogSink } from '../../src/log-shipping/ndjson-log-sink';
import type { LogEntry } from '../../src/log-store/log-entry';
import type { LogStore } from '../../src/log-store/log-store';
import { MemoryLogStore } from '../../src/log-store/memory-log-store';
import { scopedConfig } from '../support/contract/scoped-config';
import {
  explainedEntry,
  explanation,
  predictionEntry,
  shadow,
  validationErrorEntry,
} from '../support/log-shipping/entries';
import { asStored } from '../support/request-log/log-entries';

/**
 * The shipping scenarios against a real Elasticsearch (ES_URL, plus ES_USERNAME/ES_PASSWORD, ES_API_KEY, ES_CA_CERT
 * as the service reads them). Every test works in its own indexes, `lungcheck-contract-<run>-<n>-*`, deleted at
 * the end with their templates. Skipped, with a message from announce.js, when ES_URL is not set.
 */
const ES_URL = process.env.ES_URL;
const suite = ES_URL ? describe : describe.skip;

const RUN = `lungcheck-contract-${Date.now().toString(36)}`;
let scopes = 0;

interface Scope {
  config: AppConfig;
  indexes: AppConfig['shipping']['indexes'];
  store: LogStore;
  service(options?: { client?: Client; store?: LogStore }): LogShippingService;
  count(index: string): Promise<number>;
}

suite('log shipping against a real Elasticsearch', () => {
  let client: Client;
  const clients: Client[] = [];
  /** Explicit names: clusters refuse wildcard deletes by default (action.destructive_requires_name). */
  const created: string[] = [];

  const scope = (): Scope => {
    scopes += 1;
    const prefix = `${RUN}-${scopes}`;
    const config = scopedConfig(prefix);
    const indexes = config.shipping.indexes;
    created.push(...Object.values(indexes));
    const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 100_000 });
    return {
      config,
      indexes,
      store,
      service: (options = {}) =>
        new LogShippingService(
          config,
          options.store ?? store,
          new ElasticsearchLogSink(options.client ?? client, indexTemplates(indexes), ES_URL ?? ''),
          new InThreadBatchEncoder(),
          new ShippingClock(),
        ),
      count: async (index) => {
        await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
        return (await client.count({ index, ignore_unavailable: true, allow_no_indices: true })).count;
      },
    };
  };

  const expectCounts = async (s: Scope, entries: readonly LogEntry[]): Promise<void> => {
    const docs = entries.flatMap((e) => documentsForEntry(e, s.indexes));
    const expected = (index: string) => docs.filter((d) => d.index === index).length;
    for (const index of [s.indexes.logs, s.indexes.message, s.indexes.perfs, s.indexes.topFunc]) {
      expect({ index, count: await s.count(index) }).toEqual({ index, count: expected(index) });
    }
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const settings = scope().config.shipping.elasticsearch;
    if (!settings) {
      throw new Error('ES_URL is set but the configuration has no Elasticsearch settings');
    }
    client = createElasticsearchClient(settings);
    clients.push(client);
    await client.info();
  });

  afterAll(async () => {
    await client.indices.delete({ index: created, ignore_unavailable: true, allow_no_indices: true });
    for (const index of created) {
      await client.indices.deleteIndexTemplate({ name: `lungcheck-${index}` }, { ignore: [404] });
    }
    await Promise.all(clients.map((c) => c.close()));
  });

  it('installs the index templates idempotently, and new indexes get their strict mappings', async () => {
    const s = scope();
    const sink = new ElasticsearchLogSink(client, indexTemplates(s.indexes), ES_URL ?? '');
    await sink.prepare();
    await sink.prepare();
    const { index_templates } = await client.indices.getIndexTemplate({
      name: `lungcheck-${s.indexes.message}`,
    });
    expect(index_templates).toHaveLength(1);
    expect(index_templates[0]?.index_template.template?.mappings?.dynamic).toBe('strict');

    await s.store.append(asStored([predictionEntry()]));
    await s.service().ship();
    const mapping = await client.indices.getMapping({ index: s.indexes.message });
    const properties = mapping[s.indexes.message]?.mappings.properties ?? {};
    expect(properties.input_data).toMatchObject({
      properties: { AGE: { type: 'integer' }, 'CHRONIC DISEASE': { type: 'integer' } },
    });
    expect(properties['@timestamp']).toEqual({ type: 'date' });
  });

  it('adds the explanation and the shadow to a message index made with the version 1 mapping, then ships into it', async () => {
    const s = scope();
    const versionOne = structuredClone(indexMappings().message);
    delete versionOne.properties?.explanation;
    delete versionOne.properties?.shadow;
    await client.indices.create({ index: s.indexes.message, mappings: versionOne });
    const entries = [
      explainedEntry(),
      explainedEntry({ data: { shadow: shadow({ agrees: false }) } }),
      predictionEntry(),
    ];
    await s.store.append(asStored(entries));
    const report = await s.service().ship();
    expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 3, dead_lettered: 0 });

    const mapping = await client.indices.getMapping({ index: s.indexes.message });
    const properties = mapping[s.indexes.message]?.mappings.properties ?? {};
    expect(properties.explanation).toMatchObject({
      dynamic: 'strict',
      properties: { raising: { properties: { answer: { type: 'keyword' }, value: { type: 'integer' } } } },
    });
    expect(properties.shadow).toMatchObject({ properties: { agrees: { type: 'boolean' } } });
    const got = await client.get<Record<string, unknown>>({ index: s.indexes.message, id: entries[0]!.id });
    expect(got._source).toMatchObject({ explanation: explanation(), shadow: shadow() });

    // Plain objects, not nested: a terms aggregation counts each prediction once per raising answer.
    await client.indices.refresh({ index: s.indexes.message });
    const search = await client.search({
      index: s.indexes.message,
      size: 0,
      query: { term: { 'result.prediction': 1 } },
      aggs: {
        raising: { terms: { field: 'explanation.raising.answer' } },
        agreeing: { terms: { field: 'shadow.agrees' } },
      },
    });
    const buckets = (name: string) =>
      (search.aggregations?.[name] as { buckets: { key: unknown; doc_count: number }[] }).buckets;
    expect(
      buckets('raising')
        .map((b) => [b.key, b.doc_count])
        .sort(),
    ).toEqual([
      ['AGE', 2],
      ['COUGHING', 2],
      ['SMOKING', 2],
    ]);
    expect(
      buckets('agreeing')
        .map((b) => [b.key, b.doc_count])
        .sort(),
    ).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('ships every entry into the four indexes under ids derived from the entry id', async () => {
    const s = scope();
    const entries = [...Array.from({ length: 20 }, () => predictionEntry()), validationErrorEntry()];
    await s.store.append(asStored(entries));
    const report = await s.service().ship();
    expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: entries.length, dead_lettered: 0 });
    await expectCounts(s, entries);
    const [first] = entries;
    const got = await client.get<Record<string, unknown>>({ index: s.indexes.topFunc, id: `${first!.id}-1` });
    expect(got._source).toMatchObject({ entry_id: first!.id, rank: 1 });
  });

  it('re-ships after a crash between indexing and acknowledging without changing any count', async () => {
    const s = scope();
    const entries = Array.from({ length: 10 }, () => predictionEntry());
    await s.store.append(asStored(entries));
    jest.spyOn(s.store, 'ack').mockRejectedValueOnce(new Error('killed before acknowledging'));
    expect(await s.service().ship()).toMatchObject({ outcome: 'failed' });
    expect((await s.store.queueStats()).pending).toBe(10);
    expect(await s.service().ship()).toMatchObject({ outcome: 'shipped', entries_shipped: 10 });
    await expectCounts(s, entries);
  });

  it('dead-letters what the mapping refuses, with the reason, and acknowledges the entry', async () => {
    const s = scope();
    const bad = predictionEntry();
    bad.data.performance_metrics!.top_functions[1]!.line = 'forty-one' as unknown as number;
    await s.store.append(asStored([bad]));
    const report = await s.service().ship();
    expect(report).toMatchObject({ outcome: 'shipped', entries_shipped: 1, dead_lettered: 2 });
    expect(await s.count(s.indexes.deadLetter)).toBe(2);
    const letter = await client.get<Record<string, unknown>>({
      index: s.indexes.deadLetter,
      id: `${s.indexes.topFunc}:${bad.id}-2`,
    });
    expect(letter._source).toMatchObject({
      entry_id: bad.id,
      target_index: s.indexes.topFunc,
      error: { status: 400 },
    });
    expect((await s.store.queueStats()).pending).toBe(0);
  });

  it('loses and duplicates nothing through an outage of several runs', async () => {
    const s = scope();
    const unreachable = createElasticsearchClient({ nodes: ['http://127.0.0.1:9'] });
    clients.push(unreachable);
    const entries: LogEntry[] = [];
    for (let run = 0; run < 3; run += 1) {
      const batch = Array.from({ length: 5 }, () => predictionEntry());
      entries.push(...batch);
      await s.store.append(asStored(batch));
      expect(await s.service({ client: unreachable }).ship()).toMatchObject({
        outcome: 'failed',
        entries_shipped: 0,
      });
    }
    expect(await s.service().ship()).toMatchObject({ outcome: 'shipped', entries_shipped: 15 });
    await expectCounts(s, entries);
  });

  it('writes NDJSON archive files that Elasticsearch loads as they are, idempotently', async () => {
    const s = scope();
    const dir = await mkdtemp(join(tmpdir(), 'lungcheck-contract-'));
    try {
      const entries = [...Array.from({ length: 5 }, () => predictionEntry()), validationErrorEntry()];
      await new ElasticsearchLogSink(client, indexTemplates(s.indexes), ES_URL ?? '').prepare();
      await s.store.append(asStored(entries));
      await new LogShippingService(
        s.config,
        s.store,
        new NdjsonLogSink(dir),
        new InThreadBatchEncoder(),
        new ShippingClock(),
      ).ship();
      for (let load = 0; load < 2; load += 1) {
        for (const file of await readdir(dir)) {
          const body = await readFile(join(dir, file), 'utf8');
          const response = await client.transport.request<{ errors: boolean }>({
            method: 'POST',
            path: '/_bulk',
            bulkBody: body,
          });
          expect({ file, errors: response.errors }).toEqual({ file, errors: false });
        }
      }
      await expectCounts(s, entries);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
