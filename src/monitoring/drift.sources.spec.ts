import { Client } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_REQUEST } from '../prediction/predict-request.dto';
import { ArchiveReadError, archiveWindow, elasticsearchWindow } from './drift.sources';
import { messageDocumentRow } from './drift.window';

const source = (second: number, age: number | null) => ({
  '@timestamp': new Date(Date.UTC(2026, 10, 1, 8, 0, second)).toISOString(),
  entry_id: `e${second}`,
  http_path: '/predict',
  status_code: 200,
  model: 'logistic_regression@x',
  input_data: { ...EXAMPLE_REQUEST, AGE: age },
  result: { prediction: 1, probability: 0.9, risk_level: 'high' },
});

describe(messageDocumentRow.name, () => {
  it('reads the answers and the decision of a message document', () => {
    expect(messageDocumentRow(source(5, 61))).toEqual({
      answers: { ...EXAMPLE_REQUEST, AGE: 61 },
      prediction: 1,
      model: 'logistic_regression@x',
      timestamp: '2026-11-01T08:00:05.000Z',
    });
  });

  it.each([
    ['an answer missing (null in the index)', source(1, null)],
    ['no decision', { ...source(1, 60), result: { prediction: null } }],
    ['no time', { ...source(1, 60), '@timestamp': 5 }],
  ])('leaves out a document with %s', (_case, doc) => {
    expect(messageDocumentRow(doc)).toBeUndefined();
  });
});

describe(elasticsearchWindow.name, () => {
  function cluster(): { client: Client; bodies: Record<string, unknown>[] } {
    const mock = new Mock();
    const bodies: Record<string, unknown>[] = [];
    mock.add({ method: 'POST', path: '/ml-api-message-2026.11.01/_search' }, (params) => {
      bodies.push(params.body as Record<string, unknown>);
      return {
        hits: {
          total: { value: 3, relation: 'eq' },
          hits: [3, 2, 1].map((s) => ({ _id: `e${s}`, _index: 'i', _source: source(s, 60 + s) })),
        },
      };
    });
    return { client: new Client({ node: 'http://es.mock:9200', Connection: mock.getConnection() }), bodies };
  }

  it('asks the message index for the newest documents and reads them, newest first', async () => {
    const { client, bodies } = cluster();
    const rows = await elasticsearchWindow(client, 'ml-api-message-2026.11.01', 500);
    expect(rows.map((r) => r.answers.AGE)).toEqual([63, 62, 61]);
    expect(bodies[0]).toMatchObject({
      size: 500,
      sort: [{ '@timestamp': { order: 'desc' } }],
      query: { match_all: {} },
    });
  });

  it('asks for the documents since a time', async () => {
    const { client, bodies } = cluster();
    await elasticsearchWindow(client, 'ml-api-message-2026.11.01', 500, '2026-11-01T08:00:02.000Z');
    expect(bodies[0]).toMatchObject({
      size: 10_000,
      query: { range: { '@timestamp': { gte: '2026-11-01T08:00:02.000Z' } } },
    });
  });
});

describe(archiveWindow.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lungcheck-drift-archive-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A Bulk-API file: an action line before each document, as the NDJSON sink writes them. */
  const write = (file: string, seconds: number[], extra: string[] = []): string => {
    const lines = seconds.flatMap((s) => [
      JSON.stringify({ index: { _id: `e${s}` } }),
      JSON.stringify(source(s, 40 + s)),
    ]);
    const path = join(dir, file);
    writeFileSync(path, [...lines, ...extra].join('\n') + '\n');
    return path;
  };

  it("reads the message index's files of the directory, newest first, the newest `size`", async () => {
    write('ml-api-message-2026.11.01.ndjson', [1, 3]);
    write('ml-api-message-2026.11.02.ndjson', [2, 5], ['', '   ']);
    write('ml-api-logs-2026.11.01.ndjson', [4]);
    write('ml-api-message-2026.11.01.ndjson.tmp', [6]);
    write('other-ml-api-message-2026.11.01.ndjson', [7]);
    const rows = await archiveWindow(dir, 'ml-api-message', 3);
    expect(rows.map((r) => r.timestamp)).toEqual([5, 3, 2].map((s) => source(s, 0)['@timestamp']));
    expect(rows[0]).toMatchObject({ answers: { AGE: 45 }, prediction: 1, model: 'logistic_regression@x' });
    expect(await archiveWindow(dir, 'ml-api-message', 100)).toHaveLength(4);
  });

  it('reads one file when given one, every row since a time', async () => {
    const file = write('anything.ndjson', [1, 2, 3, 4]);
    const rows = await archiveWindow(file, 'ml-api-message', 1, source(2, 0)['@timestamp']);
    expect(rows.map((r) => r.answers.AGE)).toEqual([44, 43, 42]);
  });

  it('leaves out documents that are not predictions', async () => {
    const file = write(
      'ml-api-message-2026.11.01.ndjson',
      [1],
      [
        JSON.stringify({ ...source(2, 60), result: { prediction: null } }),
        JSON.stringify([1, 2]),
        JSON.stringify({ index: { _id: 'x' }, ...source(3, 60) }),
      ],
    );
    expect((await archiveWindow(file, 'ml-api-message', 10)).map((r) => r.answers.AGE)).toEqual([41]);
  });

  it('names the file and the line that is not JSON', async () => {
    const file = write('ml-api-message-2026.11.01.ndjson', [1], ['{"truncated":']);
    const read = archiveWindow(dir, 'ml-api-message', 10);
    await expect(read).rejects.toThrow(ArchiveReadError);
    await expect(archiveWindow(file, 'ml-api-message', 10)).rejects.toThrow(
      `${file}:3 is not JSON; repair or remove that line and run again`,
    );
  });
});
