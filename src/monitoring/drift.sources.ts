import type { Client } from '@elastic/elasticsearch';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isPlainObject } from '../common/is-plain-object';
import { messageDocumentRow, type WindowRow } from './drift.window';

/** Where `npm run drift` reads the predictions to judge: each gives the newest `size` (or those since `since`). */

/** The message index in Elasticsearch (a pattern such as `ml-api-message*` works too), newest first. */
export async function elasticsearchWindow(
  client: Client,
  index: string,
  size: number,
  since?: string,
): Promise<WindowRow[]> {
  const response = await client.search<Record<string, unknown>>({
    index,
    size: since === undefined ? size : 10_000,
    sort: [{ '@timestamp': { order: 'desc' } }],
    query: since === undefined ? { match_all: {} } : { range: { '@timestamp': { gte: since } } },
    ignore_unavailable: true,
  });
  return response.hits.hits
    .map((hit) => (hit._source ? messageDocumentRow(hit._source) : undefined))
    .filter((row) => row !== undefined);
}

/** Thrown for an archive line that is not JSON: names the file and the line. */
export class ArchiveReadError extends Error {}

/**
 * The NDJSON archive of the embedded default (LOG_ARCHIVE_DIR: `<index>-YYYY.MM.DD.ndjson` files of Bulk-API line
 * pairs), or one such file: the message index's documents, newest first.
 */
export async function archiveWindow(
  path: string,
  messageIndex: string,
  size: number,
  since?: string,
): Promise<WindowRow[]> {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.startsWith(`${messageIndex}-`) && f.endsWith('.ndjson'))
        .map((f) => join(path, f))
    : [path];
  const rows: WindowRow[] = [];
  for (const file of files) {
    let lineNo = 0;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      lineNo += 1;
      if (line.trim() === '') {
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ArchiveReadError(`${file}:${lineNo} is not JSON; repair or remove that line and run again`);
      }
      const row = isPlainObject(value) && !('index' in value) ? messageDocumentRow(value) : undefined;
      if (row) {
        rows.push(row);
      }
    }
  }
  rows.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  return sinceMs === undefined ? rows.slice(0, size) : rows.filter((r) => Date.parse(r.timestamp) >= sinceMs);
}
