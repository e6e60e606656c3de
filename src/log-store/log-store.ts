import type { LogEntry, LogLevel, StoredEntry } from './log-entry';

export interface LogQuery {
  limit: number;
  offset: number;
  level?: LogLevel;
  path?: string;
  /** ISO-8601; entries at or after it. */
  since?: string;
}

/** An entry waiting in the shipping queue, with the queue's own id used to acknowledge it. */
export interface QueuedLogEntry {
  queueId: string;
  entry: LogEntry;
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
  abstract readUnshipped(count: number): Promise<QueuedLogEntry[]>;

  /** Removes shipped entries from the queue. Acknowledging an unknown or already acknowledged id is harmless. */
  abstract ack(queueIds: readonly string[]): Promise<void>;

  abstract queueStats(): Promise<ShippingQueueStats>;
}
