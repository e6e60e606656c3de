import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, stat, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { lock } from 'proper-lockfile';
import type { EncodedDoc, EncodedDocs } from './log-shipping.encode';
import { LogSink, type WriteOutcome } from './log-sink';

/** Files whose ids are kept in memory: five indexes over a few days; older files are re-read if ever touched. */
const MAX_CACHED_FILES = 32;

/**
 * Ids remembered per file, the most recently written. A file holding more is no longer known whole: a document
 * delivered again (a crash, a replica's batch taken over) and not among them is then looked for in the file itself.
 * Remembering every id of the day grew the process by about 100 MB per 100 000 entries shipped (`npm run soak`).
 */
export const REMEMBERED_IDS_PER_FILE = 100_000;

/**
 * The cross-process lock around reading what a file holds and appending to it (a `<file>.lock` directory): replicas
 * sharing LOG_ARCHIVE_DIR then never both write a document. A holder refreshes it while it writes; one a crashed
 * process left is taken over once it is older than STALE_LOCK_MS.
 */
export const STALE_LOCK_MS = 10_000;
const LOCK_OPTIONS = {
  stale: STALE_LOCK_MS,
  realpath: false,
  // About 30 s of attempts before a write fails (and its entries are retried by the next run).
  retries: { retries: 300, minTimeout: 20, maxTimeout: 100, factor: 1.2 },
} as const;

/** `<index>-YYYY.MM.DD.ndjson`, dated by the document's own UTC day, so a re-shipped document finds its file. */
export function archiveFileName(index: string, timestamp: unknown, now: Date): string {
  const ms = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  const day = (Number.isNaN(ms) ? now : new Date(ms)).toISOString().slice(0, 10).replace(/-/g, '.');
  return `${index}-${day}.ndjson`;
}

/** Thrown when an archive file holds something that is not Bulk-API NDJSON written by this sink. */
export class ArchiveFileError extends Error {
  override name = 'ArchiveFileError';
}

/** What this process knows of a file: the ids of its last documents, and how many bytes that covers. */
interface FileIds {
  ids: Set<string>;
  /** The file's size (bytes, at a line-pair boundary) when `ids` was last brought up to date. */
  size: number;
  /** Whether `ids` holds every id of the file (none was forgotten). */
  complete: boolean;
}

/**
 * The embedded default when no Elasticsearch is configured: each document becomes an action line and a source line
 * in `LOG_ARCHIVE_DIR/<index>-YYYY.MM.DD.ndjson`, ready for `POST _bulk` (or the migration tool). Each file is
 * locked across processes while its ids are brought up to date (the bytes appended since this process last looked,
 * by itself or another replica) and its new documents appended, so that a document whose id is already in the file
 * is never written again, however many replicas share the folder. A line pair cut by a crash mid-append is removed
 * under the same lock.
 */
export class NdjsonLogSink extends LogSink {
  readonly kind = 'ndjson' as const;
  readonly target: string;

  /** What is known of each file, most recently used last. */
  private readonly files = new Map<string, FileIds>();

  constructor(
    dir: string,
    private readonly now: () => Date = () => new Date(),
    private readonly rememberedIds: number = REMEMBERED_IDS_PER_FILE,
  ) {
    super();
    this.target = resolve(dir);
  }

  async prepare(): Promise<void> {
    await mkdir(this.target, { recursive: true });
  }

  async write(encoded: EncodedDocs): Promise<WriteOutcome[]> {
    const { docs, body } = encoded;
    if (docs.length === 0) {
      return [];
    }
    await this.prepare();
    const now = this.now();
    const byFile = new Map<string, EncodedDoc[]>();
    for (const doc of docs) {
      const file = join(this.target, archiveFileName(doc.index, doc.timestamp, now));
      const list = byFile.get(file);
      if (list) {
        list.push(doc);
      } else {
        byFile.set(file, [doc]);
      }
    }
    for (const [file, fileDocs] of byFile) {
      await this.locked(file, () => this.append(file, fileDocs, body));
    }
    return docs.map(() => ({ status: 'stored' }));
  }

  private async locked(file: string, work: () => Promise<void>): Promise<void> {
    // The file must exist to be locked by its path: create it empty if it does not.
    await (await open(file, 'a')).close();
    let compromised: Error | undefined;
    const release = await lock(file, {
      ...LOCK_OPTIONS,
      // This process stalled past STALE_LOCK_MS and another took the lock over: said once the work is done (by
      // default the library would throw from a timer and end the process).
      onCompromised: (error) => {
        compromised = error;
      },
    });
    try {
      await work();
    } finally {
      await release().catch(() => undefined);
    }
    if (compromised) {
      throw new Error(
        `the lock of ${file} was taken over while this process held it: ${compromised.message}`,
      );
    }
  }

  /** Under the file's lock: linear in the documents, one set lookup each; their lines are slices of `body`. */
  private async append(file: string, docs: readonly EncodedDoc[], body: string): Promise<void> {
    const known = await this.idsIn(file);
    const added = new Set<string>();
    let fresh = docs.filter((doc) => {
      if (known.ids.has(doc.id) || added.has(doc.id)) {
        return false;
      }
      added.add(doc.id);
      return true;
    });
    // Delivered again and not among the remembered ids of a file that holds more: look in the file itself.
    const unsure = known.complete ? [] : fresh.filter((doc) => doc.redelivered).map((doc) => doc.id);
    if (unsure.length > 0) {
      const present = await idsPresent(file, new Set(unsure), known.size);
      fresh = fresh.filter((doc) => !present.has(doc.id));
    }
    if (fresh.length === 0) {
      return;
    }
    const lines = contiguous(fresh)
      ? body.slice(fresh[0]!.start, fresh[fresh.length - 1]!.end)
      : fresh.map((d) => body.slice(d.start, d.end)).join('');
    try {
      await appendFile(file, lines);
    } catch (error) {
      // Part of the lines may be on disk: forget what we know so the next write re-reads (and repairs) the file.
      this.files.delete(file);
      throw error;
    }
    fresh.forEach((doc) => known.ids.add(doc.id));
    known.size += Buffer.byteLength(lines);
    known.complete = forgetOldest(known.ids, this.rememberedIds) && known.complete;
  }

  /** The ids of `file`, brought up to date with what was appended since this process last looked. */
  private async idsIn(file: string): Promise<FileIds> {
    const cached = this.files.get(file);
    this.files.delete(file);
    const size = (await stat(file)).size;
    let known: FileIds;
    if (cached && size >= cached.size) {
      known = cached;
      if (size > cached.size) {
        const tail = await readArchiveIds(file, cached.size);
        tail.ids.forEach((id) => known.ids.add(id));
        known.size = tail.size;
        known.complete = forgetOldest(known.ids, this.rememberedIds) && known.complete;
      }
    } else {
      const whole = await readArchiveIds(file);
      known = { ids: whole.ids, size: whole.size, complete: forgetOldest(whole.ids, this.rememberedIds) };
    }
    this.files.set(file, known);
    if (this.files.size > MAX_CACHED_FILES) {
      const oldest = this.files.keys().next().value;
      if (oldest !== undefined) {
        this.files.delete(oldest);
      }
    }
    return known;
  }
}

/**
 * The ids of the documents of an archive file from byte `from` on (a line-pair boundary), in order, with the size
 * the file has once an incomplete trailing line, or an action line left without its source by a crash, is cut off
 * (which only the holder of the file's lock may do). A missing file holds nothing.
 */
export async function readArchiveIds(file: string, from = 0): Promise<{ ids: Set<string>; size: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { ids: new Set(), size: 0 };
    }
    throw error;
  }
  let content: Buffer;
  try {
    const size = (await handle.stat()).size;
    content = Buffer.alloc(Math.max(0, size - from));
    await handle.read(content, 0, content.length, from);
  } finally {
    await handle.close();
  }
  const ids = new Set<string>();
  let start = 0;
  let lineNo = 0;
  let actionOfPair = '';
  let pairEnd = 0;
  for (let nl = content.indexOf(0x0a); nl !== -1; nl = content.indexOf(0x0a, start)) {
    lineNo += 1;
    if (lineNo % 2 === 1) {
      actionOfPair = actionId(content.toString('utf8', start, nl), file, lineNo, from);
    } else {
      // Last written last, even for an id written twice (by a version that remembered fewer).
      ids.delete(actionOfPair);
      ids.add(actionOfPair);
      pairEnd = nl + 1;
    }
    start = nl + 1;
  }
  if (pairEnd < content.length) {
    await truncate(file, from + pairEnd);
  }
  return { ids, size: from + pairEnd };
}

/** Which of `wanted` the first `size` bytes of the file hold, read line by line (a file larger than memory too). */
async function idsPresent(file: string, wanted: ReadonlySet<string>, size: number): Promise<Set<string>> {
  const present = new Set<string>();
  if (size === 0) {
    return present;
  }
  let lineNo = 0;
  const lines = createInterface({
    input: createReadStream(file, { start: 0, end: size - 1 }),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    lineNo += 1;
    if (lineNo % 2 === 1) {
      const id = actionId(line, file, lineNo, 0);
      if (wanted.has(id)) {
        present.add(id);
      }
    }
  }
  return present;
}

/** Whether the documents' lines follow one another in the body (one slice, no copy). */
const contiguous = (docs: readonly EncodedDoc[]): boolean =>
  docs.every((d, i) => i === 0 || d.start === docs[i - 1]!.end);

/** Keeps the `keep` most recently added ids (a Set iterates in insertion order); whether none was forgotten. */
function forgetOldest(ids: Set<string>, keep: number): boolean {
  let forgot = false;
  for (const id of ids) {
    if (ids.size <= keep) {
      break;
    }
    ids.delete(id);
    forgot = true;
  }
  return !forgot;
}

function actionId(line: string, file: string, lineNo: number, from: number): string {
  try {
    const action = JSON.parse(line) as { index?: { _id?: unknown } };
    if (typeof action.index?._id === 'string') {
      return action.index._id;
    }
  } catch {
    // reported below with the file and line
  }
  const where = from === 0 ? `${file}:${lineNo}` : `${file} at byte ${from}, line ${lineNo} after it`;
  throw new ArchiveFileError(`${where} is not a Bulk-API index action line written by lungcheck`);
}
