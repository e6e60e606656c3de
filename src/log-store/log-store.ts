import type { LogEntry, LogLevel, StoredEntry } from './log-entry';

export interface LogQuery {
  limit: number;
  offset: number;
  level?: LogLevel;
  path?: string;
  /** ISO-8601; entries at or after it. */
  since?: string;
}

/**
 * A record the shipping queue carries besides log entries, bound for an index of its own (a drift evaluation):
 * `kind` says which, `id` makes its documents' ids, `timestamp` dates it.
 */
export interface QueuedRecord {
  kind: 'drift_evaluation';
  id: string;
  timestamp: string;
}

/**
 * An entry waiting in the shipping queue, as stored: its JSON (a LogEntry or a QueuedRecord; the shipper parses it,
 * off the request thread), with the queue's own id used to acknowledge it.
 */
export interface UnshippedEntry {
  queueId: string;
  json: string;
  /** Handed out before and not acknowledged (a failed run, a crash, another replica's): perhaps stored already. */
  redelivered: boolean;
}

/**
 * Time series the store keeps beside the log, shared by every replica: `drift`, the scheduled drift evaluations;
 * `samples`, each replica's metric samples (what the in-service alerts read).
 */
export type RecordSeries = 'drift' | 'samples';

/** One record of a series: a unique id, its time, and its JSON. */
export interface SeriesRecord {
  id: string;
  atMs: number;
  json: string;
}

export interface KeepOptions {
  /** Keep the record only if no record of that id is kept (replicas evaluating the same period write it once). */
  once: boolean;
  /** Also queue the record for shipping (its JSON must be a QueuedRecord), when it is written. */
  ship: boolean;
  /** Records older than this (ms since the epoch) are forgotten. */
  keepSinceMs: number;
}

export interface ShippingQueueStats {
  /** Entries appended and not yet acknowledged. */
  pending: number;
  /** Oldest unshipped entries dropped because the queue or the in-process buffer reached LOG_BUFFER_MAX. */
  dropped: number;
  /** Timestamp of the oldest unacknowledged entry, if any. */
  oldestPendingAt?: string;
}

/**
 * Where log entries live: the `/logs` view (newest REDIS_LOGS_MAX_SIZE entries) and the durable shipping queue
 * (every entry until the shipper acknowledges it, bounded by LOG_BUFFER_MAX with drops counted).
 * Adapters: RedisLogStore (Redis list + stream with a consumer group) and MemoryLogStore (the embedded default).
 */
export abstract class LogStore {
  /**
   * Appends entries, in order, to both the view and the shipping queue. `droppedBefore` counts entries the caller
   * had to drop before they reached the store (its own bounded buffer overflowed); it is added to `dropped`.
   */
  abstract append(entries: readonly StoredEntry[], droppedBefore?: number): Promise<void>;

  /** Newest first. `total` counts the entries matching the filters, before paging. */
  abstract list(query: LogQuery): Promise<{ total: number; logs: LogEntry[] }>;

  /** Empties the view (never the shipping queue); returns how many entries it held. */
  abstract clearView(): Promise<number>;

  /**
   * Up to `count` unacknowledged entries, oldest first. Entries read but never acknowledged (a crash, a failed
   * bulk) are returned again by the next call: at-least-once.
   */
  abstract readUnshipped(count: number): Promise<UnshippedEntry[]>;

  /** Removes shipped entries from the queue. Acknowledging an unknown or already acknowledged id is harmless. */
  abstract ack(queueIds: readonly string[]): Promise<void>;

  abstract queueStats(): Promise<ShippingQueueStats>;

  /**
   * Entries this store instance (this process) dropped since it started: the oldest unshipped ones its appends
   * pushed past LOG_BUFFER_MAX (or LOG_BUFFER_MAX_MB), and queued ones it found unreadable. Each drop is counted by
   * the one process that caused it, so the sum over replicas counts each once (`queueStats().dropped` is the
   * shared total, which also counts what writers dropped before appending); and when it last dropped one.
   */
  abstract droppedHere(): { count: number; lastAt: number | null };

  /**
   * Keeps a record of a series, forgets that series' records older than `keepSinceMs`, and, with `ship`, queues it
   * for shipping in the same step (the queue's bound and drop counter apply). Returns whether it was written: false
   * when `once` and a record of that id is already kept.
   */
  abstract keepRecord(series: RecordSeries, record: SeriesRecord, options: KeepOptions): Promise<boolean>;

  /** The JSON of a series' records from `sinceMs` on, oldest first: the newest `limit` of them. */
  abstract records(series: RecordSeries, sinceMs: number, limit: number): Promise<string[]>;

  /** A small shared value (the chosen drift reference), or null. */
  abstract shared(name: string): Promise<string | null>;

  /** Sets (or, with null, removes) a small shared value. */
  abstract setShared(name: string, value: string | null): Promise<void>;
}
