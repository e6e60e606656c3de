import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictionEntry, validationErrorEntry } from '../../test/support/log-shipping/entries';
import { encodeDocs } from './log-shipping.encode';
import { documentsForEntry, type ShipDocument } from './log-shipping.documents';
import { archiveFileName, ArchiveFileError, NdjsonLogSink, readArchiveIds } from './ndjson-log-sink';

const INDEXES = {
  logs: 'ml-api-logs',
  message: 'ml-api-message',
  perfs: 'ml-api-perfs',
  topFunc: 'ml-api-top-func',
  deadLetter: 'ml-api-deadletter',
  drift: 'ml-api-drift',
};

/** Parses a file as the Bulk API would: action line, source line, each pair one document. */
async function bulkPairs(
  file: string,
): Promise<{ action: { index: { _index: string; _id: string } }; source: unknown }[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines.length % 2).toBe(0);
  const pairs = [];
  for (let i = 0; i < lines.length; i += 2) {
    pairs.push({
      action: JSON.parse(lines[i]!) as { index: { _index: string; _id: string } },
      source: JSON.parse(lines[i + 1]!) as unknown,
    });
  }
  return pairs;
}

/** A logs document of entry `id`, dated `timestamp`. */
const doc = (id: string, timestamp = '2025-03-14T09:00:00.000Z'): ShipDocument => ({
  index: 'ml-api-logs',
  id,
  entryId: id,
  source: { '@timestamp': timestamp, entry_id: id },
});

describe(NdjsonLogSink.name, () => {
  let dir: string;
  const batch = (): ShipDocument[] =>
    [
      predictionEntry(),
      predictionEntry({ data: { path: '/predict_proba' } }),
      validationErrorEntry(),
    ].flatMap((e) => documentsForEntry(e, INDEXES));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lungcheck-ndjson-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one Bulk-API file per index per day, one line pair per document', async () => {
    const docs = batch();
    const sink = new NdjsonLogSink(join(dir, 'indexes'));
    await expect(sink.write(encodeDocs(docs))).resolves.toEqual(docs.map(() => ({ status: 'stored' })));
    const files = (await readdir(join(dir, 'indexes'))).sort();
    expect(files).toEqual([
      'ml-api-logs-2025.03.14.ndjson',
      'ml-api-message-2025.03.14.ndjson',
      'ml-api-perfs-2025.03.14.ndjson',
      'ml-api-top-func-2025.03.14.ndjson',
    ]);
    for (const file of files) {
      const index = file.replace(/-\d{4}\.\d{2}\.\d{2}\.ndjson$/, '');
      const expected = docs.filter((d) => d.index === index);
      const pairs = await bulkPairs(join(dir, 'indexes', file));
      expect(pairs).toEqual(
        expected.map((d) => ({ action: { index: { _index: d.index, _id: d.id } }, source: d.source })),
      );
    }
  });

  it('does not duplicate lines when the same batch is written again, by the same or a restarted sink', async () => {
    const docs = batch();
    const sink = new NdjsonLogSink(dir);
    await sink.write(encodeDocs(docs));
    const before = await readFile(join(dir, 'ml-api-top-func-2025.03.14.ndjson'), 'utf8');
    await sink.write(encodeDocs(docs));
    await new NdjsonLogSink(dir).write(encodeDocs([...docs].reverse()));
    expect(await readFile(join(dir, 'ml-api-top-func-2025.03.14.ndjson'), 'utf8')).toBe(before);
    const ids = (await bulkPairs(join(dir, 'ml-api-logs-2025.03.14.ndjson'))).map((p) => p.action.index._id);
    expect(ids).toHaveLength(3);
  });

  it('remembers the last ids it wrote to a file, not all of them: the last batch is still never written twice', async () => {
    const docs = Array.from({ length: 10 }, (_, i) => doc(`e${i}`));
    const sink = new NdjsonLogSink(dir, undefined, 4);
    await sink.write(encodeDocs(docs.slice(0, 6)));
    await sink.write(encodeDocs(docs.slice(6)));
    // The last four (e6…e9) are remembered: written again, they are skipped; e0, long acknowledged, is forgotten.
    await sink.write(encodeDocs(docs.slice(6)));
    await sink.write(encodeDocs([docs[0]!]));
    // A restarted sink reads the file and keeps only its last four ids too: e0 (now last) and e7…e9.
    const restarted = new NdjsonLogSink(dir, undefined, 4);
    await restarted.write(encodeDocs([docs[0]!, docs[9]!, docs[6]!]));
    const ids = (await bulkPairs(join(dir, 'ml-api-logs-2025.03.14.ndjson'))).map((p) => p.action.index._id);
    expect(ids).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e0', 'e6']);
  });

  it('appends only the new documents of a batch that overlaps a previous one', async () => {
    const [first, second] = [predictionEntry(), predictionEntry()];
    const sink = new NdjsonLogSink(dir);
    await sink.write(encodeDocs(documentsForEntry(first!, INDEXES)));
    await sink.write(
      encodeDocs([...documentsForEntry(first!, INDEXES), ...documentsForEntry(second!, INDEXES)]),
    );
    const ids = (await bulkPairs(join(dir, 'ml-api-message-2025.03.14.ndjson'))).map(
      (p) => p.action.index._id,
    );
    expect(ids).toEqual([first!.id, second!.id]);
  });

  it('dates each document by its own UTC day', async () => {
    const late = predictionEntry({ timestamp: '2025-03-14T23:59:59.999Z' });
    const early = predictionEntry({ timestamp: '2025-03-15T00:00:00.000Z' });
    await new NdjsonLogSink(dir).write(
      encodeDocs([late, early].flatMap((e) => documentsForEntry(e, INDEXES))),
    );
    expect((await readdir(dir)).filter((f) => f.startsWith('ml-api-logs-')).sort()).toEqual([
      'ml-api-logs-2025.03.14.ndjson',
      'ml-api-logs-2025.03.15.ndjson',
    ]);
  });

  it('cuts a pair left incomplete by a crash, then writes that document once', async () => {
    const entry = predictionEntry();
    const [log] = documentsForEntry(entry, INDEXES);
    const file = join(dir, 'ml-api-logs-2025.03.14.ndjson');
    const other = predictionEntry();
    await new NdjsonLogSink(dir).write(encodeDocs(documentsForEntry(other, INDEXES)));
    await appendFile(
      file,
      `${JSON.stringify({ index: { _index: 'ml-api-logs', _id: entry.id } })}\n{"@timestamp":"2025-`,
    );
    await new NdjsonLogSink(dir).write(encodeDocs([log!]));
    const ids = (await bulkPairs(file)).map((p) => p.action.index._id);
    expect(ids).toEqual([other.id, entry.id]);
  });

  it('refuses to append to a file that is not its own Bulk-API output, naming the line', async () => {
    const docs = documentsForEntry(predictionEntry(), INDEXES);
    await writeFile(join(dir, 'ml-api-logs-2025.03.14.ndjson'), 'not json\n{}\n');
    await expect(new NdjsonLogSink(dir).write(encodeDocs(docs))).rejects.toThrow(ArchiveFileError);
    await expect(readArchiveIds(join(dir, 'ml-api-logs-2025.03.14.ndjson'))).rejects.toMatchObject({
      name: 'ArchiveFileError',
      message: expect.stringMatching(/ndjson:1 /) as string,
    });
  });

  it('refuses an action line whose id is not a string', async () => {
    const file = join(dir, 'ml-api-logs-2025.03.14.ndjson');
    await writeFile(file, '{"index":{"_index":"ml-api-logs","_id":5}}\n{}\n');
    await expect(readArchiveIds(file)).rejects.toThrow(
      new ArchiveFileError(`${file}:1 is not a Bulk-API index action line written by lungcheck`),
    );
  });

  it('reports an archive path it cannot read, other than a missing file', async () => {
    const file = join(dir, 'ml-api-logs-2025.03.14.ndjson');
    await mkdir(file);
    await expect(readArchiveIds(file)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('writes nothing, not even its directory, for an empty batch', async () => {
    await expect(new NdjsonLogSink(join(dir, 'indexes')).write(encodeDocs([]))).resolves.toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('dates a document without a usable timestamp by the current day by default', async () => {
    const day = (): string => archiveFileName('ml-api-logs', undefined, new Date());
    const before = day();
    await new NdjsonLogSink(dir).write(encodeDocs([doc('undated', 'garbage')]));
    const after = day();
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect([before, after]).toContain(files[0]);
  });

  it('forgets what it knew of a file whose append failed, and reads it again next time', async () => {
    const sink = new NdjsonLogSink(dir);
    const file = join(dir, 'ml-api-logs-2025.03.14.ndjson');
    await sink.write(encodeDocs([doc('a')]));
    await rm(file);
    await mkdir(file);
    await expect(sink.write(encodeDocs([doc('b')]))).rejects.toMatchObject({ code: 'EISDIR' });
    await rm(file, { recursive: true });
    await sink.write(encodeDocs([doc('a'), doc('b')]));
    expect((await bulkPairs(file)).map((p) => p.action.index._id)).toEqual(['a', 'b']);
  });

  it('sees what another process appended to a file since it last looked, and writes nothing twice', async () => {
    const a = new NdjsonLogSink(dir);
    const b = new NdjsonLogSink(dir);
    const file = join(dir, 'ml-api-logs-2025.03.14.ndjson');
    await a.write(encodeDocs(['d1', 'd2', 'd3'].map((id) => doc(id))));
    await b.write(encodeDocs(['d3', 'd4', 'd5'].map((id) => doc(id))));
    await a.write(encodeDocs(['d4', 'd5', 'd6'].map((id) => doc(id))));
    expect((await bulkPairs(file)).map((p) => p.action.index._id)).toEqual([
      'd1',
      'd2',
      'd3',
      'd4',
      'd5',
      'd6',
    ]);
  });

  it('never writes a document twice when sinks write the same documents at once (the file is locked)', async () => {
    const sinks = [new NdjsonLogSink(dir), new NdjsonLogSink(dir), new NdjsonLogSink(dir)];
    const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
    // Each sink writes every document, in overlapping batches of 10, all at the same time.
    await Promise.all(
      sinks.map(async (sink, s) => {
        for (let start = s * 5; start < ids.length; start += 10) {
          await sink.write(encodeDocs(ids.slice(start, start + 10).map((id) => doc(id))));
        }
        await sink.write(encodeDocs(ids.slice(0, s * 5).map((id) => doc(id))));
      }),
    );
    const written = (await bulkPairs(join(dir, 'ml-api-logs-2025.03.14.ndjson'))).map(
      (p) => p.action.index._id,
    );
    expect(written.length).toBe(60);
    expect(new Set(written)).toEqual(new Set(ids));
    expect((await readdir(dir)).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('looks in the file itself for a document delivered again that it no longer remembers', async () => {
    const sink = new NdjsonLogSink(dir, undefined, 2);
    const file = join(dir, 'ml-api-logs-2025.03.14.ndjson');
    await sink.write(encodeDocs(['r0', 'r1', 'r2', 'r3'].map((id) => doc(id))));
    // r0 is forgotten (only r2 and r3 are remembered): delivered again, it is found in the file and not written.
    await sink.write(
      encodeDocs([
        { ...doc('r0'), redelivered: true },
        { ...doc('r4'), redelivered: true },
      ]),
    );
    expect((await bulkPairs(file)).map((p) => p.action.index._id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('takes over a lock left by a crashed process once it is stale', async () => {
    const file = join(dir, 'ml-api-logs-2025.03.14.ndjson');
    await writeFile(file, '');
    await mkdir(`${file}.lock`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    await new NdjsonLogSink(dir).write(encodeDocs([doc('after-crash')]));
    expect((await bulkPairs(file)).map((p) => p.action.index._id)).toEqual(['after-crash']);
  });

  describe(archiveFileName.name, () => {
    it('falls back to the current day for a document without a usable timestamp', () => {
      expect(archiveFileName('ml-api-logs', 'garbage', new Date('2025-01-02T03:04:05Z'))).toBe(
        'ml-api-logs-2025.01.02.ndjson',
      );
    });

    it('dates by the current day a timestamp that is not a string, even one Date.parse would read', () => {
      expect(archiveFileName('ml-api-logs', 2025, new Date('2025-01-02T03:04:05Z'))).toBe(
        'ml-api-logs-2025.01.02.ndjson',
      );
    });
  });
});

describe(`${NdjsonLogSink.name} cost`, () => {
  /** Set lookups and array scans made while writing `n` distinct documents into one file. */
  async function workFor(n: number): Promise<{ lookups: number; scans: number }> {
    const dir = await mkdtemp(join(tmpdir(), 'lungcheck-ndjson-cost-'));
    const docs: ShipDocument[] = Array.from({ length: n }, (_, i) => ({
      index: 'ml-api-logs',
      id: `doc-${i}`,
      entryId: `doc-${i}`,
      source: { '@timestamp': '2025-03-14T09:00:00.000Z', n: i },
    }));
    const lookups = jest.spyOn(Set.prototype, 'has');
    const scans = jest.spyOn(Array.prototype, 'includes');
    try {
      await new NdjsonLogSink(dir).write(encodeDocs(docs));
      return { lookups: lookups.mock.calls.length, scans: scans.mock.calls.length };
    } finally {
      lookups.mockRestore();
      scans.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('does work linear in the documents written: a few set lookups each, no scan of what was added', async () => {
    const small = await workFor(1000);
    const large = await workFor(4000);
    expect(small.scans).toBe(0);
    expect(large.scans).toBe(0);
    expect(large.lookups).toBeLessThanOrEqual(4 * small.lookups + 10);
    expect(large.lookups).toBeLessThanOrEqual(3 * 4000);
  });
});
