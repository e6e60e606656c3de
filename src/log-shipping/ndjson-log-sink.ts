import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ShipDocument } from './log-shipping.documents';
import { LogSink, type WriteOutcome } from './log-sink';
import { mapInSlices } from './slices';

/** Files whose ids are kept in memory: five indexes over a few days; older files are re-read if ever touched. */
const MAX_CACHED_FILES = 32;

/**
 * Ids remembered per file, the most recently written: a run retries its unacknowledged entries before any new one,
 * so a re-shipped document is always among the last batch's (LOG_SHIP_BATCH_SIZE entries, a few documents each).
 * Remembering every id of the day grew the process by about 100 MB per 100 000 entries shipped (`npm run soak`).
 */
export const REMEMBERED_IDS_PER_FILE = 100_000;

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

/**
 * The embedded default when no Elasticsearch is configured: each document becomes an action line and a source line
 * in `LOG_ARCHIVE_DIR/<index>-YYYY.MM.DD.ndjson`, ready for `POST _bulk` (or the migration tool). A document whose
 * id is already in its file is not written again, so re-shipping after a crash leaves one copy. A line pair cut by
 * a crash mid-append is removed when the file is next opened.
 */
export class NdjsonLogSink extends LogSink {
  readonly kind = 'ndjson' as const;
  readonly target: string;

  /** Ids present in each file, most recently used last. */
  private readonly idsByFile = new Map<string, Set<string>>();

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

  async write(docs: readonly ShipDocument[]): Promise<WriteOutcome[]> {
    if (docs.length === 0) {
      return [];
    }
    await this.prepare();
    const now = this.now();
    const byFile = new Map<string, ShipDocument[]>();
    for (const doc of docs) {
      const file = join(this.target, archiveFileName(doc.index, doc.source['@timestamp'], now));
      const list = byFile.get(file);
      if (list) {
        list.push(doc);
      } else {
        byFile.set(file, [doc]);
      }
    }
    for (const [file, fileDocs] of byFile) {
      await this.append(file, fileDocs);
    }
    return docs.map(() => ({ status: 'stored' }));
  }

  /** Linear in the documents: one set lookup each, their lines built in slices that yield to the event loop. */
  private async append(file: string, docs: readonly ShipDocument[]): Promise<void> {
    const ids = await this.idsIn(file);
    const added = new Set<string>();
    const fresh = docs.filter((doc) => {
      if (ids.has(doc.id) || added.has(doc.id)) {
        return false;
      }
      added.add(doc.id);
      return true;
    });
    if (fresh.length === 0) {
      return;
    }
    const lines = await mapInSlices(
      fresh,
      (doc) =>
        `${JSON.stringify({ index: { _index: doc.index, _id: doc.id } })}\n${JSON.stringify(doc.source)}\n`,
    );
    try {
      await appendFile(file, lines.join(''));
    } catch (error) {
      // Part of the lines may be on disk: forget what we know so the next write re-reads (and repairs) the file.
      this.idsByFile.delete(file);
      throw error;
    }
    added.forEach((id) => ids.add(id));
    forgetOldest(ids, this.rememberedIds);
  }

  private async idsIn(file: string): Promise<Set<string>> {
    const cached = this.idsByFile.get(file);
    if (cached) {
      this.idsByFile.delete(file);
      this.idsByFile.set(file, cached);
      return cached;
    }
    const ids = forgetOldest(await readArchiveIds(file), this.rememberedIds);
    this.idsByFile.set(file, ids);
    if (this.idsByFile.size > MAX_CACHED_FILES) {
      const oldest = this.idsByFile.keys().next().value;
      if (oldest !== undefined) {
        this.idsByFile.delete(oldest);
      }
    }
    return ids;
  }
}

/**
 * The ids of the documents in an archive file (empty if there is none), after cutting off an incomplete trailing
 * line or an action line left without its source by a crash.
 */
export async function readArchiveIds(file: string): Promise<Set<string>> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return new Set();
    }
    throw error;
  }
  const ids = new Set<string>();
  let start = 0;
  let lineNo = 0;
  let actionOfPair = '';
  let pairEnd = 0;
  for (let nl = content.indexOf(0x0a); nl !== -1; nl = content.indexOf(0x0a, start)) {
    lineNo += 1;
    if (lineNo % 2 === 1) {
      actionOfPair = actionId(content.toString('utf8', start, nl), file, lineNo);
    } else {
      // Last written last, even for an id written twice (by a version that remembered fewer).
      ids.delete(actionOfPair);
      ids.add(actionOfPair);
      pairEnd = nl + 1;
    }
    start = nl + 1;
  }
  if (pairEnd < content.length) {
    await truncate(file, pairEnd);
  }
  return ids;
}

/** Keeps the `keep` most recently added ids (a Set iterates in insertion order). */
function forgetOldest(ids: Set<string>, keep: number): Set<string> {
  for (const id of ids) {
    if (ids.size <= keep) {
      break;
    }
    ids.delete(id);
  }
  return ids;
}

function actionId(line: string, file: string, lineNo: number): string {
  try {
    const action = JSON.parse(line) as { index?: { _id?: unknown } };
    if (typeof action.index?._id === 'string') {
      return action.index._id;
    }
  } catch {
    // reported below with the file and line
  }
  throw new ArchiveFileError(`${file}:${lineNo} is not a Bulk-API index action line written by lungcheck`);
}
