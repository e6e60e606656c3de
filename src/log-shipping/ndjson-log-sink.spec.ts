import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictionEntry, validationErrorEntry } from '../../test/support/log-shipping/entries';
import { documentsForEntry, type ShipDocument } from './log-shipping.documents';
import { archiveFileName, ArchiveFileError, NdjsonLogSink, readArchiveIds } from './ndjson-log-sink';

const INDEXES = {
  logs: 'ml-api-logs',
  message: 'ml-api-message',
  perfs: 'ml-api-perfs',
  topFunc: 'ml-api-top-func',
  deadLetter: 'ml-api-deadletter',
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
    await expect(sink.write(docs)).resolves.toEqual(docs.map(() => ({ status: 'stored' })));
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
    await sink.write(docs);
    const before = await readFile(join(dir, 'ml-api-top-func-2025.03.14.ndjson'), 'utf8');
    await sink.write(docs);
    await new NdjsonLogSink(dir).write([...docs].reverse());
    expect(await readFile(join(dir, 'ml-api-top-func-2025.03.14.ndjson'), 'utf8')).toBe(before);
    const ids = (await bulkPairs(join(dir, 'ml-api-logs-2025.03.14.ndjson'))).map((p) => p.action.index._id);
    expect(ids).toHaveLength(3);
  });

  it('appends only the new documents of a batch that overlaps a previous one', async () => {
    const [first, second] = [predictionEntry(), predictionEntry()];
    const sink = new NdjsonLogSink(dir);
    await sink.write(documentsForEntry(first!, INDEXES));
    await sink.write([...documentsForEntry(first!, INDEXES), ...documentsForEntry(second!, INDEXES)]);
    const ids = (await bulkPairs(join(dir, 'ml-api-message-2025.03.14.ndjson'))).map(
      (p) => p.action.index._id,
    );
    expect(ids).toEqual([first!.id, second!.id]);
  });

  it('dates each document by its own UTC day', async () => {
    const late = predictionEntry({ timestamp: '2025-03-14T23:59:59.999Z' });
    const early = predictionEntry({ timestamp: '2025-03-15T00:00:00.000Z' });
    await new NdjsonLogSink(dir).write([late, early].flatMap((e) => documentsForEntry(e, INDEXES)));
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
    await new NdjsonLogSink(dir).write(documentsForEntry(other, INDEXES));
    await appendFile(
      file,
      `${JSON.stringify({ index: { _index: 'ml-api-logs', _id: entry.id } })}\n{"@timestamp":"2025-`,
    );
    await new NdjsonLogSink(dir).write([log!]);
    const ids = (await bulkPairs(file)).map((p) => p.action.index._id);
    expect(ids).toEqual([other.id, entry.id]);
  });

  it('refuses to append to a file that is not its own Bulk-API output, naming the line', async () => {
    const docs = documentsForEntry(predictionEntry(), INDEXES);
    await writeFile(join(dir, 'ml-api-logs-2025.03.14.ndjson'), 'not json\n{}\n');
    await expect(new NdjsonLogSink(dir).write(docs)).rejects.toThrow(ArchiveFileError);
    await expect(readArchiveIds(join(dir, 'ml-api-logs-2025.03.14.ndjson'))).rejects.toThrow(/ndjson:1 /);
  });

  describe(archiveFileName.name, () => {
    it('falls back to the current day for a document without a usable timestamp', () => {
      expect(archiveFileName('ml-api-logs', 'garbage', new Date('2025-01-02T03:04:05Z'))).toBe(
        'ml-api-logs-2025.01.02.ndjson',
      );
    });
  });
});
