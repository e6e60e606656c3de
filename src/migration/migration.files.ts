import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { isPlainObject } from '../common/is-plain-object';
import { errorText } from '../common/error-text';

/**
 * The files the migration tool reads and writes: the backup folder's layout, and NDJSON read line by line with
 * every error naming the file and the line, so a damaged backup says where it is damaged.
 */

export const INDEXES_DIR = 'indexes';
export const KIBANA_DIR = 'kibana';
export const STATS_FILE = 'migration_stats.json';
export const MAPPING_SUFFIX = '.mapping.json';
export const DOCUMENTS_SUFFIX = '.ndjson';
/** An index export still being written (or cut short): renamed to `.ndjson` once complete, never imported. */
export const PARTIAL_SUFFIX = '.ndjson.partial';

/** Thrown for unusable input: the message names the file (and line) and says what to do. */
export class InputError extends Error {
  override name = 'InputError';
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** `backup_YYYYMMDD_HHMMSS`, in UTC. */
export function backupFolderName(at: Date): string {
  const iso = at.toISOString();
  return `backup_${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

/** Creates `<output>/backup_…` (with `_2`, `_3`… when two exports start in the same second). */
export async function createBackupFolder(output: string, at: Date): Promise<string> {
  await mkdir(output, { recursive: true });
  const base = join(output, backupFolderName(at));
  for (let n = 1; ; n += 1) {
    const dir = n === 1 ? base : `${base}_${n}`;
    try {
      await mkdir(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The names in a folder, sorted; an InputError naming it when it cannot be read. */
export async function listFolder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    throw new InputError(`cannot read the folder ${shown(dir)}: ${errorText(error)}`);
  }
}

/** A JSON file that must hold an object. */
export async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${shown(file)}: ${errorText(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `${shown(file)} is not valid JSON (${errorText(error)}): restore it from the export`,
    );
  }
  if (!isPlainObject(value)) {
    throw new InputError(`${shown(file)} does not hold a JSON object: restore it from the export`);
  }
  return value;
}

export interface NdjsonLine {
  line: number;
  value: unknown;
}

/**
 * The non-blank lines of an NDJSON file, parsed, with their 1-based numbers. A line that is not JSON throws an
 * InputError naming the file and line; with `lastMayBeCut`, a last line without its newline that does not parse is
 * left out instead (a write cut short by a crash), and reported through `cut`.
 */
export async function* ndjsonLines(
  file: string,
  options: { lastMayBeCut?: boolean; cut?: (line: number) => void } = {},
): AsyncGenerator<NdjsonLine> {
  const endsWithNewline = await lastByteIsNewline(file);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  let pending: { line: number; text: string } | undefined;
  const parse = (line: number, text: string, isLast: boolean): NdjsonLine | undefined => {
    try {
      return { line, value: JSON.parse(text) };
    } catch (error) {
      if (isLast && !endsWithNewline && options.lastMayBeCut) {
        options.cut?.(line);
        return undefined;
      }
      throw new InputError(
        `${shown(file)}:${line}: not valid JSON (${errorText(error)}); nothing from this file was imported: ` +
          `fix or remove that line (with its action line if it is a document), or export again`,
      );
    }
  };
  try {
    for await (const text of lines) {
      number += 1;
      if (pending) {
        const parsed = parse(pending.line, pending.text, false);
        if (parsed) {
          yield parsed;
        }
      }
      pending = text.trim() === '' ? undefined : { line: number, text };
    }
  } catch (error) {
    if (error instanceof InputError) {
      throw error;
    }
    throw new InputError(`cannot read ${shown(file)}: ${errorText(error)}`);
  } finally {
    lines.close();
  }
  if (pending) {
    const parsed = parse(pending.line, pending.text, true);
    if (parsed) {
      yield parsed;
    }
  }
}

async function lastByteIsNewline(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new InputError(`cannot read ${shown(file)}: ${errorText(error)}`);
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) {
      return true;
    }
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** One document of a Bulk-API file: its action line's index and id, and its source. */
export interface BulkPair {
  /** The line of the action. */
  line: number;
  index?: string;
  id: string;
  routing?: string;
  source: Record<string, unknown>;
}

/**
 * The documents of a Bulk-API NDJSON file (action line, source line), as lungcheck's exports and its NDJSON archive
 * write them: `index` or `create` actions with an `_id`. With `lastMayBeCut`, a final pair cut short by a crash (a
 * truncated line, or an action without its source) is left out and reported through `cut`, as the archive's own
 * sink would remove it.
 */
export async function* bulkPairs(
  file: string,
  options: { lastMayBeCut?: boolean; cut?: (line: number) => void } = {},
): AsyncGenerator<BulkPair> {
  let action: { line: number; index?: string; id: string; routing?: string } | undefined;
  for await (const { line, value } of ndjsonLines(file, options)) {
    if (action) {
      if (!isPlainObject(value)) {
        throw new InputError(
          `${shown(file)}:${line}: the source of the document of line ${action.line} is not a JSON object; ` +
            'nothing from this file was imported: fix or remove the pair, or export again',
        );
      }
      yield { ...action, source: value };
      action = undefined;
    } else {
      action = actionOf(file, line, value);
    }
  }
  if (action) {
    if (!options.lastMayBeCut) {
      throw new InputError(
        `${shown(file)}:${action.line}: an action line without its source line at the end of the file; ` +
          'nothing from this file was imported: the export was cut short, export again',
      );
    }
    options.cut?.(action.line);
  }
}

/** How many documents a Bulk-API file holds, reading it to the end: any damage is found before a write. */
export async function countBulkPairs(
  file: string,
  options: { lastMayBeCut?: boolean; cut?: (line: number) => void } = {},
): Promise<number> {
  const pairs = bulkPairs(file, options);
  let n = 0;
  while (!(await pairs.next()).done) {
    n += 1;
  }
  return n;
}

function actionOf(
  file: string,
  line: number,
  value: unknown,
): { line: number; index?: string; id: string; routing?: string } {
  const meta =
    isPlainObject(value) && Object.keys(value).length === 1 ? (value.index ?? value.create) : undefined;
  if (isPlainObject(meta) && typeof meta._id === 'string' && meta._id !== '') {
    return {
      line,
      id: meta._id,
      index: typeof meta._index === 'string' ? meta._index : undefined,
      routing: typeof meta.routing === 'string' ? meta.routing : undefined,
    };
  }
  throw new InputError(
    `${shown(file)}:${line}: expected a Bulk-API action line such as {"index":{"_index":…,"_id":…}}, got ` +
      `${JSON.stringify(value).slice(0, 120)}; nothing from this file was imported: fix the file, or export again`,
  );
}
