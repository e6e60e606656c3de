import type { RefusalReason } from './log-shipping.documents';
import type { EncodedDocs } from './log-shipping.encode';

/**
 * What became of one document: stored; not stored this time but worth retrying (429, 5xx, timeout); or refused
 * for good (a mapping error), in which case it goes to the dead-letter index.
 */
export type WriteOutcome =
  | { status: 'stored' }
  | { status: 'retry'; reason: RefusalReason }
  | { status: 'refused'; reason: RefusalReason };

/**
 * Where shipped documents go. Adapters: ElasticsearchLogSink (Bulk API) and NdjsonLogSink (the embedded default:
 * Bulk-API files on disk). Writing the same document twice must leave one copy.
 */
export abstract class LogSink {
  abstract readonly kind: 'elasticsearch' | 'ndjson';

  /** Where documents go, for status reports (never credentials). */
  abstract readonly target: string;

  /** Makes the destination ready (index templates, directory). Idempotent; called before the first write. */
  abstract prepare(): Promise<void>;

  /**
   * Stores the documents (encoded: their line pairs are slices of one string); one outcome per document, in order.
   * Throws when the write as a whole failed (cluster unreachable, request refused, disk error): then nothing is known
   * to be stored and every document is retried.
   */
  abstract write(encoded: EncodedDocs): Promise<WriteOutcome[]>;
}
