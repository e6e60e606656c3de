import { errorText } from '../common/error-text';
import { isDriftEvaluation } from '../log-store/drift-evaluation';
import type { LogEntry } from '../log-store/log-entry';
import { isPlainObject } from '../common/is-plain-object';
import type { UnshippedEntry } from '../log-store/log-store';
import {
  documentsForEntry,
  driftDocuments,
  type RefusalReason,
  type ShipDocument,
  type ShippingIndexes,
} from './log-shipping.documents';

/**
 * The CPU part of a shipping run, as pure functions run in a worker thread (batch-encoder.ts): queued entries (their
 * JSON) become documents, and the documents their Bulk-API line pairs, all in one string. The sinks send or append
 * slices of it; the request thread never parses nor serialises a batch.
 */

/** A document ready to send: its Bulk-API `index` action and source lines are `body.slice(start, end)`. */
export interface EncodedDoc {
  index: string;
  id: string;
  /** The entry it comes from: acknowledged once all its documents are stored. */
  entryId: string;
  /** Its entry was handed out before: it may be stored already (the archive then looks). */
  redelivered: boolean;
  /** Its `@timestamp`, which dates its archive file. */
  timestamp: unknown;
  start: number;
  end: number;
}

/** Documents and the one string holding their line pairs, grouped by index and day (an archive file each). */
export interface EncodedDocs {
  body: string;
  docs: EncodedDoc[];
}

/** A batch of the queue encoded. */
export interface EncodedBatch extends EncodedDocs {
  /** Per queued entry, in order: the id its documents carry (its queue id when it cannot be read). */
  entryIds: string[];
  /** Entries that cannot be turned into documents (unreadable JSON, a value that is not an entry): dead-lettered. */
  refused: { doc: ShipDocument; reason: RefusalReason }[];
}

const dayOf = (timestamp: unknown): string => (typeof timestamp === 'string' ? timestamp.slice(0, 10) : '');

/** Line pairs of documents, grouped by index then by day so that each archive file's are contiguous. */
export function encodeDocs(docs: readonly (ShipDocument & { redelivered?: boolean })[]): EncodedDocs {
  const order = docs
    .map((doc, i) => ({ doc, i, key: `${doc.index}\u0000${dayOf(doc.source['@timestamp'])}` }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  const parts: string[] = [];
  const encoded: EncodedDoc[] = [];
  let offset = 0;
  for (const { doc } of order) {
    const pair = `${JSON.stringify({ index: { _index: doc.index, _id: doc.id } })}\n${JSON.stringify(doc.source)}\n`;
    parts.push(pair);
    encoded.push({
      index: doc.index,
      id: doc.id,
      entryId: doc.entryId,
      redelivered: doc.redelivered ?? false,
      timestamp: doc.source['@timestamp'],
      start: offset,
      end: offset + pair.length,
    });
    offset += pair.length;
  }
  return { body: parts.join(''), docs: encoded };
}

/** The document a line pair holds, parsed back (a refused one, to dead-letter it with its source). */
export function decodeDoc(doc: EncodedDoc, body: string): ShipDocument {
  const pair = body.slice(doc.start, doc.end);
  const source = JSON.parse(pair.slice(pair.indexOf('\n') + 1)) as ShipDocument['source'];
  return { index: doc.index, id: doc.id, entryId: doc.entryId, source };
}

/** Every queued entry's documents, encoded; an entry that cannot be read or mapped is refused, not retried forever. */
export function encodeBatch(items: readonly UnshippedEntry[], indexes: ShippingIndexes): EncodedBatch {
  const docs: (ShipDocument & { redelivered: boolean })[] = [];
  const entryIds: string[] = [];
  const refused: EncodedBatch['refused'] = [];
  for (const item of items) {
    let value: unknown;
    try {
      value = JSON.parse(item.json);
    } catch {
      value = undefined;
    }
    const id = isPlainObject(value) ? value.id : undefined;
    const entryId = typeof id === 'string' && id !== '' ? id : item.queueId;
    entryIds.push(entryId);
    try {
      if (value === undefined) {
        throw new Error('the queued entry is not JSON');
      }
      const mapped = isDriftEvaluation(value)
        ? driftDocuments(value, indexes.drift)
        : documentsForEntry(value as LogEntry, indexes);
      for (const doc of mapped) {
        docs.push({ ...doc, redelivered: item.redelivered });
      }
    } catch (caught) {
      refused.push({
        doc: { index: indexes.logs, id: entryId, entryId, source: { entry: value ?? item.json } },
        reason: { status: 0, type: 'invalid_entry', reason: errorText(caught) },
      });
    }
  }
  return { ...encodeDocs(docs), entryIds, refused };
}
