import type { Client } from '@elastic/elasticsearch';
import { encodeDocs } from '../../src/log-shipping/log-shipping.encode';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, type ElasticsearchSettings } from '../../src/config/app-config';
import { validateEnv } from '../../src/config/env.schema';
import { createElasticsearchClient } from '../../src/elasticsearch/elasticsearch-client.factory';
import { documentsForEntry, type ShipDocument } from '../../src/log-shipping/log-shipping.documents';
import { indexMappings } from '../../src/log-shipping/log-shipping.templates';
import { NdjsonLogSink } from '../../src/log-shipping/ndjson-log-sink';
import { runMigration } from '../../src/migration/migration.command';
import { predictionEntry, validationErrorEntry } from '../support/log-shipping/entries';
import { MockCluster } from '../support/log-shipping/mock-cluster';
import { INDEXES } from '../support/log-shipping/shipping-scenarios';
import { FakeKibana, type SavedObject } from '../support/migration/fake-kibana';
import { MigrationCluster } from '../support/migration/migration-cluster';
import { T1, T2, T3, writeReferenceExport } from '../support/migration/reference-export';

/**
 * `npm run migrate` end to end: the very program the CLI runs, in process, against a mock cluster (the real client
 * over @elastic/elasticsearch-mock) and a fake Kibana on a real port. Every test builds its own clusters, Kibanas
 * and folders, so they run in any order.
 */

type Source = Record<string, unknown>;

interface Run {
  code: number;
  out: string;
  err: string;
  text: string;
}

interface Setup {
  cluster?: MigrationCluster;
  createClient?: (settings: ElasticsearchSettings) => Client;
  env?: Record<string, string>;
}

let scratch: string;
const kibanas: FakeKibana[] = [];

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'lungcheck-migrate-e2e-'));
});

afterEach(async () => {
  await Promise.all(kibanas.splice(0).map((k) => k.stop()));
  await rm(scratch, { recursive: true, force: true });
});

async function migrate(args: string[], setup: Setup = {}): Promise<Run> {
  let out = '';
  let err = '';
  const clients: Client[] = [];
  const code = await runMigration(['node', 'migrate', ...args], {
    loadConfig: () =>
      new AppConfig(validateEnv({ LOG_ARCHIVE_DIR: join(scratch, 'no-archive'), ...setup.env })),
    createClient: (settings) => {
      const client = setup.cluster
        ? setup.cluster.client()
        : (setup.createClient ?? createElasticsearchClient)(settings);
      clients.push(client);
      return client;
    },
    fetch: globalThis.fetch,
    out: (text) => (out += text),
    err: (text) => (err += text),
    now: () => new Date('2025-03-21T02:00:00Z'),
  });
  return { code, out, err, text: out + err };
}

const es = ['--es-url', MockCluster.NODE];

/** A cluster holding the four indexes (strict mappings, documents of a few entries) and an index of another app. */
async function seededCluster(entries = 6): Promise<{ cluster: MigrationCluster; docs: ShipDocument[] }> {
  const cluster = new MigrationCluster();
  const client = cluster.client();
  const mappings = indexMappings();
  for (const kind of ['logs', 'message', 'perfs', 'topFunc'] as const) {
    await client.indices.create({
      index: INDEXES[kind],
      mappings: mappings[kind],
      settings: { index: { number_of_shards: '2', refresh_interval: '5s' } },
    });
  }
  await client.indices.create({ index: 'other-app', mappings: { properties: {} } });
  const docs = [...Array.from({ length: entries }, () => predictionEntry()), validationErrorEntry()].flatMap(
    (e) => documentsForEntry(e, INDEXES),
  );
  await client.bulk({
    operations: [
      ...docs.flatMap((d) => [{ index: { _index: d.index, _id: d.id } }, d.source]),
      { index: { _index: 'other-app', _id: 'x' } },
      { a: 1 },
    ],
  });
  return { cluster, docs };
}

const object = (type: string, id: string, title: string, refs: [string, string][] = []): SavedObject => ({
  type,
  id,
  attributes: { title },
  references: refs.map(([t, i]) => ({ type: t, id: i, name: `${t}_${i}` })),
  managed: false,
});

const SAVED_OBJECTS = [
  object('index-pattern', 'dv-logs', 'ml-api-logs*'),
  object('index-pattern', 'dv-perfs', 'ml-api-perfs*'),
  object('visualization', 'vis-1', 'Predictions per hour', [['index-pattern', 'dv-logs']]),
  object('lens', 'lens-1', 'Latency p95', [['index-pattern', 'dv-logs']]),
  object('search', 'search-1', 'Refused calls', [['index-pattern', 'dv-logs']]),
  object('dashboard', 'dash-1', 'Predictions', [
    ['visualization', 'vis-1'],
    ['lens', 'lens-1'],
    ['search', 'search-1'],
  ]),
];

async function kibana(...objects: SavedObject[]): Promise<FakeKibana> {
  const k = await new FakeKibana().add(...objects).start();
  kibanas.push(k);
  return k;
}

/** Each index's documents, id → source. */
function contents(cluster: MockCluster, indexes: string[]): Record<string, Record<string, Source>> {
  return Object.fromEntries(indexes.map((i) => [i, Object.fromEntries(cluster.docs(i))]));
}

async function exportAll(cluster: MigrationCluster, k: FakeKibana, extra: string[] = []): Promise<string> {
  const output = join(scratch, `out-${Math.random().toString(36).slice(2)}`);
  const run = await migrate(
    ['export', '--output', output, ...es, '--kibana-url', k.url, '--batch-size', '3', ...extra],
    {
      cluster,
    },
  );
  expect({ code: run.code, text: run.text }).toEqual({ code: 0, text: expect.any(String) as string });
  const [folder] = await readdir(output);
  return join(output, folder ?? '');
}

const FOUR = [INDEXES.logs, INDEXES.message, INDEXES.perfs, INDEXES.topFunc];

describe('npm run migrate', () => {
  it('exports into backup_YYYYMMDD_HHMMSS with mappings, re-appliable settings, Bulk-API documents and saved objects', async () => {
    const { cluster, docs } = await seededCluster();
    const k = await kibana(...SAVED_OBJECTS);
    const backup = await exportAll(cluster, k);

    expect(backup).toMatch(/backup_20250321_020000$/);
    expect((await readdir(join(backup, 'indexes'))).sort()).toEqual(
      [...FOUR, INDEXES.deadLetter]
        .filter((i) => i !== INDEXES.deadLetter)
        .flatMap((i) => [`${i}.mapping.json`, `${i}.ndjson`])
        .sort(),
    );
    const definition = JSON.parse(
      await readFile(join(backup, 'indexes', `${INDEXES.message}.mapping.json`), 'utf8'),
    ) as {
      mappings: Source;
      settings: { index: Source };
    };
    expect(definition.mappings).toEqual(indexMappings().message);
    expect(definition.settings.index).toEqual({
      number_of_shards: '2',
      number_of_replicas: '1',
      refresh_interval: '5s',
    });

    const lines = (await readFile(join(backup, 'indexes', `${INDEXES.logs}.ndjson`), 'utf8'))
      .trim()
      .split('\n');
    const logDocs = docs.filter((d) => d.index === INDEXES.logs);
    expect(lines).toHaveLength(logDocs.length * 2);
    expect(JSON.parse(lines[0] ?? '')).toEqual({ index: { _index: INDEXES.logs, _id: logDocs[0]?.id } });
    expect(JSON.parse(lines[1] ?? '')).toEqual(logDocs[0]?.source);
    expect(cluster.pitsOpened).toBe(4);
    expect(cluster.pits.size).toBe(0);

    const dashboards = (await readFile(join(backup, 'kibana', 'dashboards.ndjson'), 'utf8'))
      .trim()
      .split('\n');
    expect(dashboards.map((l) => (JSON.parse(l) as { id?: string }).id).sort()).toEqual(
      [undefined, 'dash-1', 'dv-logs', 'lens-1', 'search-1', 'vis-1'].sort(),
    );
    const dataviews = await readFile(join(backup, 'kibana', 'dataviews.ndjson'), 'utf8');
    expect(dataviews).toContain('"dv-perfs"');
    const exportCalls = k.requests.filter((r) => r.path === '/api/saved_objects/_export');
    expect(exportCalls.map((r) => [r.headers['kbn-xsrf'] !== undefined, r.body])).toEqual([
      [true, { type: ['index-pattern'], includeReferencesDeep: false }],
      [true, { type: ['dashboard'], includeReferencesDeep: true }],
    ]);

    const stats = JSON.parse(await readFile(join(backup, 'migration_stats.json'), 'utf8')) as {
      command: string;
      totals: Record<string, number>;
      errors: string[];
      steps: { name: string; duration_ms: number }[];
    };
    expect(stats.command).toBe('export');
    expect(stats.totals.documents).toBe(docs.length);
    expect(stats.totals.dashboard).toBe(1);
    expect(stats.errors).toEqual([]);
    expect(stats.steps.map((s) => s.name)).toEqual([...FOUR].sort().concat(['dataviews', 'dashboards']));
  });

  it('imports a backup into an empty cluster and Kibana, and exporting that gives the same ids and sources', async () => {
    const { cluster: source } = await seededCluster(8);
    const k1 = await kibana(...SAVED_OBJECTS);
    const backup = await exportAll(source, k1);

    const target = new MigrationCluster();
    const k2 = await kibana();
    const run = await migrate(
      ['import', '--input', backup, ...es, '--kibana-url', k2.url, '--batch-size', '4'],
      {
        cluster: target,
      },
    );
    expect(run.code).toBe(0);
    expect(run.out).not.toContain('left alone');
    expect(contents(target, FOUR)).toEqual(contents(source, FOUR));
    expect(target.exists('other-app')).toBe(false);
    expect(target.bulkRequests).toBeGreaterThan(4);
    expect([...k2.objects.keys()].sort()).toEqual([...k1.objects.keys()].sort());
    const imports = k2.requests.filter((r) => r.path === '/api/saved_objects/_import');
    expect(
      imports.map((r) => [r.file?.name, r.query.get('overwrite'), String(r.headers['content-type'])]),
    ).toEqual([
      ['dataviews.ndjson', null, expect.stringMatching(/^multipart\/form-data; boundary=/) as string],
      ['dashboards.ndjson', null, expect.stringMatching(/^multipart\/form-data; boundary=/) as string],
    ]);

    const again = await exportAll(target, k2);
    for (const index of FOUR) {
      const a = await readFile(join(backup, 'indexes', `${index}.ndjson`), 'utf8');
      const b = await readFile(join(again, 'indexes', `${index}.ndjson`), 'utf8');
      expect(pairsById(b)).toEqual(pairsById(a));
    }
  });

  it('leaves an existing index and saved object alone without --overwrite, says so, and replaces them with it', async () => {
    const { cluster: source } = await seededCluster();
    const k1 = await kibana(...SAVED_OBJECTS);
    const backup = await exportAll(source, k1);
    const target = new MigrationCluster();
    await target.client().indices.create({ index: INDEXES.logs, mappings: { properties: {} } });
    await target
      .client()
      .bulk({ operations: [{ index: { _index: INDEXES.logs, _id: 'kept' } }, { note: 'there before' }] });
    const k2 = await kibana(object('index-pattern', 'dv-logs', 'changed by hand'));

    const run = await migrate(['import', '--input', backup, ...es, '--kibana-url', k2.url], {
      cluster: target,
    });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`skipped +index ${INDEXES.logs}`));
    expect(run.out).toContain('left alone, nothing imported (--overwrite replaces it with the backup)');
    expect(run.out).toContain(
      '1 already in Kibana, left alone (--overwrite replaces them): index-pattern dv-logs',
    );
    expect([...target.docs(INDEXES.logs).keys()]).toEqual(['kept']);
    expect(target.count(INDEXES.message)).toBe(source.count(INDEXES.message));
    expect(k2.get('index-pattern', 'dv-logs')?.attributes.title).toBe('changed by hand');

    const replace = await migrate(
      ['import', '--input', backup, ...es, '--kibana-url', k2.url, '--overwrite'],
      {
        cluster: target,
      },
    );
    expect(replace.code).toBe(0);
    expect(contents(target, FOUR)).toEqual(contents(source, FOUR));
    expect(k2.get('index-pattern', 'dv-logs')?.attributes.title).toBe('ml-api-logs*');
    expect(k2.requests.filter((r) => r.file).map((r) => r.query.get('overwrite'))).toEqual([
      null,
      null,
      'true',
      'true',
    ]);
  });

  it('writes nothing on a dry run, and says what it would do', async () => {
    const { cluster: source } = await seededCluster();
    const k1 = await kibana(...SAVED_OBJECTS);
    const output = join(scratch, 'dry');
    const dryExport = await migrate(
      ['export', '--output', output, ...es, '--kibana-url', k1.url, '--dry-run'],
      {
        cluster: source,
      },
    );
    expect(dryExport.code).toBe(0);
    expect(existsSync(output)).toBe(false);
    expect(dryExport.out).toContain(`would write ${INDEXES.logs}.mapping.json and ${INDEXES.logs}.ndjson`);

    const backup = await exportAll(source, k1);
    const target = new MigrationCluster();
    const k2 = await kibana();
    const dryImport = await migrate(
      ['import', '--input', backup, ...es, '--kibana-url', k2.url, '--dry-run'],
      {
        cluster: target,
      },
    );
    expect(dryImport.code).toBe(0);
    expect(dryImport.out).toContain(
      `would create ${INDEXES.logs} and import ${source.count(INDEXES.logs)} documents`,
    );
    expect([...target.indices.keys()]).toEqual([]);
    expect(target.bulkRequests).toBe(0);
    expect(k2.requests.filter((r) => r.path.endsWith('_import'))).toEqual([]);
  });

  it('names the file and line of a damaged document, imports nothing from that file and exits 1', async () => {
    const { cluster: source } = await seededCluster();
    const k1 = await kibana();
    const backup = await exportAll(source, k1);
    const file = join(backup, 'indexes', `${INDEXES.message}.ndjson`);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[3] = '{"entry_id": "cut here';
    await writeFile(file, lines.join('\n'));

    const target = new MigrationCluster();
    const run = await migrate(['import-indexes', '--input', backup, ...es], { cluster: target });
    expect(run.code).toBe(1);
    expect(run.out).toContain(`${INDEXES.message}.ndjson:4: not valid JSON`);
    expect(run.out).toMatch(new RegExp(`Failed:\\n  - index ${INDEXES.message}: .*ndjson:4`));
    expect(target.exists(INDEXES.message)).toBe(false);
    expect(target.count(INDEXES.logs)).toBe(source.count(INDEXES.logs));
  });

  it('says which mapping file is missing and restores the other indexes', async () => {
    const { cluster: source } = await seededCluster();
    const backup = await exportAll(source, await kibana());
    await unlink(join(backup, 'indexes', `${INDEXES.perfs}.mapping.json`));

    const target = new MigrationCluster();
    const run = await migrate(['import-indexes', '--input', join(backup, 'indexes'), ...es], {
      cluster: target,
    });
    expect(run.code).toBe(1);
    expect(run.out).toContain(`${INDEXES.perfs}.mapping.json is missing`);
    expect(target.exists(INDEXES.perfs)).toBe(false);
    expect(target.count(INDEXES.topFunc)).toBe(source.count(INDEXES.topFunc));
  });

  it('names an unreachable cluster and Kibana, says what to check, and exits 1', async () => {
    const port = await closedPort();
    const run = await migrate(
      [
        'export',
        '--output',
        join(scratch, 'o'),
        '--es-host',
        `127.0.0.1:${port}`,
        '--kibana-url',
        `http://127.0.0.1:${port}`,
      ],
      { createClient: createElasticsearchClient },
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain(`cannot reach Elasticsearch at http://127.0.0.1:${port}`);
    expect(run.out).toContain('check --es-url or --es-host (or ES_URL)');
    expect(run.out).toContain(`cannot reach Kibana at http://127.0.0.1:${port}`);
    expect(run.out).toContain('not attempted');
  });

  it('says the credentials were refused (401) by the cluster and by Kibana, and exits 1', async () => {
    const { cluster } = await seededCluster(1);
    cluster.unauthorized = true;
    const k = await kibana(...SAVED_OBJECTS);
    k.authorization = `Basic ${Buffer.from('elastic:right').toString('base64')}`;
    const refused = await migrate(
      [
        'export',
        '--output',
        join(scratch, 'o'),
        ...es,
        '--kibana-url',
        k.url,
        '--username',
        'elastic',
        '--password',
        'wrong',
      ],
      { cluster },
    );
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`Elasticsearch at ${MockCluster.NODE} refused the credentials (401`);
    expect(refused.out).toContain(`Kibana at ${k.url} refused the credentials (401`);
    expect(refused.out).toContain('check --username/--password or --api-key');

    const accepted = await migrate(
      [
        'export-dataviews',
        '--output',
        join(scratch, 'o'),
        '--kibana-url',
        k.url,
        '--username',
        'elastic',
        '--password',
        'right',
      ],
      { cluster },
    );
    expect(accepted.code).toBe(0);
  });

  it("loads the embedded default's archive under its ids; loading it twice changes nothing", async () => {
    const archive = join(scratch, 'indexes');
    const sink = new NdjsonLogSink(archive);
    const docs = [predictionEntry(), predictionEntry(), validationErrorEntry()].flatMap((e) =>
      documentsForEntry(e, INDEXES),
    );
    await sink.write(encodeDocs(docs));
    const cluster = new MigrationCluster();

    const first = await migrate(['import-archive', ...es], { cluster, env: { LOG_ARCHIVE_DIR: archive } });
    expect(first.code).toBe(0);
    expect(cluster.templates.has(`lungcheck-${INDEXES.message}`)).toBe(true);
    const loaded = contents(cluster, FOUR);
    for (const doc of docs) {
      expect(loaded[doc.index]?.[doc.id]).toEqual(doc.source);
    }

    const second = await migrate(['import-archive', '--input', archive, ...es], { cluster });
    expect(second.code).toBe(0);
    expect(second.out).toContain(`already present ${docs.filter((d) => d.index === INDEXES.logs).length}`);
    expect(contents(cluster, FOUR)).toEqual(loaded);
    expect(cluster.rewritten()).toEqual([]);
  });

  it('leaves out an archive document cut short by a crash and says so', async () => {
    const archive = join(scratch, 'indexes');
    await new NdjsonLogSink(archive).write(encodeDocs(documentsForEntry(validationErrorEntry(), INDEXES)));
    const [file] = await readdir(archive);
    await writeFile(
      join(archive, file ?? ''),
      '{"index":{"_index":"ml-api-logs","_id":"late"}}\n{"entry_id":"la',
      {
        flag: 'a',
      },
    );
    const cluster = new MigrationCluster();
    const run = await migrate(['import-archive', '--input', archive, ...es], { cluster });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\.ndjson:3: the last document was cut short by a crash/);
    expect(cluster.count(INDEXES.logs)).toBe(1);
  });

  it("converts an export of the reference's script into lungcheck's strict indexes and lists what it could not", async () => {
    const backup = await writeReferenceExport(scratch);
    const cluster = new MigrationCluster();
    const run = await migrate(
      ['import-reference', '--input', backup, ...es, '--source-timezone', 'Europe/Paris'],
      {
        cluster,
      },
    );
    expect(run.code).toBe(0);

    const logs = cluster.docs(INDEXES.logs);
    expect([...logs.keys()].sort()).toEqual([`ref-${T1}`, `ref-${T2}`]);
    expect(logs.get(`ref-${T1}`)).toMatchObject({
      '@timestamp': '2025-01-21T14:30:00.000Z',
      message: expect.stringMatching(new RegExp(`^\\[${T1}\\] API Call`)) as string,
      http_path: '/predict',
      model: 'reference@1.0.0',
      input_data: { AGE: 65, 'ALCOHOL CONSUMING': 1, SMOKING: 1 },
    });
    expect(logs.get(`ref-${T2}`)).toMatchObject({
      status_code: 422,
      model: null,
      result: { value: 'refused' },
    });
    expect(cluster.docs(INDEXES.message).get(`ref-${T1}`)).toMatchObject({
      '@timestamp': '2025-01-21T14:30:00.000Z',
      status_code: 200,
      input_data: { 'ALCOHOL CONSUMING': 1, 'CHRONIC DISEASE': 0, 'CHEST PAIN': 1 },
      result: { prediction: 1, probability: 0.900887, risk_level: 'high' },
    });
    expect(cluster.count(INDEXES.message)).toBe(1);
    expect([...cluster.docs(INDEXES.perfs).keys()].sort()).toEqual([`ref-${T1}`, `ref-${T3}`]);
    expect(cluster.docs(INDEXES.perfs).get(`ref-${T1}`)).toMatchObject({
      latency_ms: 57.21,
      cpu_time_ms: null,
      top_functions: [
        { function: 'run', rank: 1 },
        { function: 'predict', rank: 2 },
      ],
    });
    expect(Object.fromEntries([...cluster.docs(INDEXES.topFunc)].map(([id, d]) => [id, d.function]))).toEqual(
      {
        [`ref-${T1}-1`]: 'run',
        [`ref-${T1}-2`]: 'predict',
      },
    );

    expect(run.out).toContain('Not converted');
    expect(run.out).toMatch(
      /ml-api-message: 1 document\(s\) not converted: status 422 .*_documents\.ndjson:4/,
    );
    expect(run.out).toMatch(/ml-api-perfs: 2 document\(s\) without the field cpu_time_ms \(profiler time/);
    expect(run.out).toMatch(/ml-api-logs: 2 document\(s\) without the field host:/);
  });

  it('refuses import-reference without the zone its timestamps were written in', async () => {
    const backup = await writeReferenceExport(scratch);
    const cluster = new MigrationCluster();
    const run = await migrate(['import-reference', '--input', backup, ...es], { cluster });
    expect(run.code).toBe(2);
    expect(run.err).toContain("required option '--source-timezone <zone>' not specified");
    expect(cluster.bulkRequests).toBe(0);
  });
});

/** The documents of an export file, id → source, whatever their order. */
function pairsById(ndjson: string): Record<string, unknown> {
  const lines = ndjson.trim().split('\n');
  const byId: Record<string, unknown> = {};
  for (let i = 0; i < lines.length; i += 2) {
    const action = JSON.parse(lines[i] ?? '') as { index: { _id: string } };
    byId[action.index._id] = JSON.parse(lines[i + 1] ?? '');
  }
  return byId;
}

/** A port nothing listens on: taken from the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
