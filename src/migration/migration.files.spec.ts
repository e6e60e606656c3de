import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backupFolderName,
  bulkPairs,
  countBulkPairs,
  createBackupFolder,
  InputError,
  ndjsonLines,
  readJsonObject,
} from './migration.files';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lungcheck-migration-files-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = async (name: string, text: string): Promise<string> => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) {
    all.push(item);
  }
  return all;
};

describe(backupFolderName.name, () => {
  it('names the folder after the UTC time to the second', () => {
    expect(backupFolderName(new Date('2025-01-21T15:30:07.999Z'))).toBe('backup_20250121_153007');
  });
});

describe(createBackupFolder.name, () => {
  it('never reuses a folder: a second export in the same second gets _2', async () => {
    const at = new Date('2025-01-21T15:30:07Z');
    const first = await createBackupFolder(join(dir, 'out'), at);
    const second = await createBackupFolder(join(dir, 'out'), at);
    expect([first, second].map((p) => p.slice(dir.length))).toEqual([
      '/out/backup_20250121_153007',
      '/out/backup_20250121_153007_2',
    ]);
    expect((await readdir(join(dir, 'out'))).length).toBe(2);
  });
});

describe(ndjsonLines.name, () => {
  it('parses each non-blank line with its number', async () => {
    const path = await file('a.ndjson', '{"a":1}\n\n[2]\n');
    expect(await collect(ndjsonLines(path))).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: [2] },
    ]);
  });

  it('names the file and line of a line that is not JSON', async () => {
    const path = await file('b.ndjson', '{"a":1}\n{"a":\n{"a":3}\n');
    await expect(collect(ndjsonLines(path))).rejects.toThrow(InputError);
    await expect(collect(ndjsonLines(path))).rejects.toThrow(/b\.ndjson:2: not valid JSON/);
  });

  it('leaves out a last line cut short (no newline) only when asked, and says which', async () => {
    const path = await file('c.ndjson', '{"a":1}\n{"a":');
    const cut: number[] = [];
    expect(await collect(ndjsonLines(path, { lastMayBeCut: true, cut: (l) => cut.push(l) }))).toEqual([
      { line: 1, value: { a: 1 } },
    ]);
    expect(cut).toEqual([2]);
    await expect(collect(ndjsonLines(path))).rejects.toThrow(/c\.ndjson:2/);
  });

  it('does not take a damaged line followed by a newline for a cut one', async () => {
    const path = await file('d.ndjson', '{"a":1}\n{"a":\n');
    await expect(collect(ndjsonLines(path, { lastMayBeCut: true }))).rejects.toThrow(/d\.ndjson:2/);
  });
});

describe(bulkPairs.name, () => {
  it('pairs each action line with its source, keeping index, id and routing', async () => {
    const path = await file(
      'e.ndjson',
      '{"index":{"_index":"i","_id":"1"}}\n{"x":1}\n{"create":{"_id":"2","routing":"r"}}\n{"x":2}\n',
    );
    expect(await collect(bulkPairs(path))).toEqual([
      { line: 1, index: 'i', id: '1', routing: undefined, source: { x: 1 } },
      { line: 3, index: undefined, id: '2', routing: 'r', source: { x: 2 } },
    ]);
    expect(await countBulkPairs(path)).toBe(2);
  });

  it('refuses an action line without an id, and a source that is not an object, naming the line', async () => {
    const noId = await file('f.ndjson', '{"index":{"_index":"i"}}\n{"x":1}\n');
    await expect(collect(bulkPairs(noId))).rejects.toThrow(/f\.ndjson:1: expected a Bulk-API action line/);
    const notObject = await file('g.ndjson', '{"index":{"_id":"1"}}\n[1]\n');
    await expect(collect(bulkPairs(notObject))).rejects.toThrow(
      /g\.ndjson:2: the source of the document of line 1/,
    );
  });

  it('refuses an action without its source at the end, unless the end may be cut', async () => {
    const path = await file('h.ndjson', '{"index":{"_id":"1"}}\n{"x":1}\n{"index":{"_id":"2"}}\n');
    await expect(countBulkPairs(path)).rejects.toThrow(/h\.ndjson:3: an action line without its source/);
    const cut: number[] = [];
    expect(await countBulkPairs(path, { lastMayBeCut: true, cut: (l) => cut.push(l) })).toBe(1);
    expect(cut).toEqual([3]);
  });
});

describe(readJsonObject.name, () => {
  it('names a file that is not a JSON object', async () => {
    await expect(readJsonObject(await file('m.json', '[1]'))).rejects.toThrow(
      /m\.json does not hold a JSON object/,
    );
    await expect(readJsonObject(await file('n.json', '{'))).rejects.toThrow(/n\.json is not valid JSON/);
    await expect(readJsonObject(join(dir, 'none.json'))).rejects.toThrow(/cannot read .*none\.json/);
  });
});
