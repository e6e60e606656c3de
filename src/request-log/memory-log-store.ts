import type { LogEntry } from './log-entry';
import { parseEntry, queryEntries } from './log-query';
import { LogQuery, LogStore, QueuedLogEntry, ShippingQueueStats } from './log-store';

export interface LogStoreLimits {
  /** How many newest entries the view keeps (REDIS_LOGS_MAX_SIZE). */
  viewMaxSize: number;
  /** How many unacknowledged entries the shipping queue keeps (LOG_BUFFER_MAX). */
  bufferMax: number;
}

interface Queued {
  queueId: string;
  text: string;
}

/**
 * The embedded store, used when Redis is not configured: the same view and queue as RedisLogStore, in this
 * process, lost on restart. Entries are kept serialised, as Redis keeps them, so that both adapters hand back equal
 * copies and neither lets a caller change what is stored.
 */
export class MemoryLogStore extends LogStore {
  /** Oldest first. */
  private view: string[] = [];
  /** Oldest first; queue ids are a counter, so they sort like the stream's. */
  private queue: Queued[] = [];
  private sequence = 0;
  private dropped = 0;

  constructor(private readonly limits: LogStoreLimits) {
    super();
  }

  append(entries: readonly LogEntry[], droppedBefore = 0): Promise<void> {
    for (const entry of entries) {
      const text = JSON.stringify(entry);
      this.sequence += 1;
      this.view.push(text);
      this.queue.push({ queueId: String(this.sequence).padStart(16, '0'), text });
    }
    if (this.view.length > this.limits.viewMaxSize) {
      this.view.splice(0, this.view.length - this.limits.viewMaxSize);
    }
    const overflow = this.queue.length - this.limits.bufferMax;
    if (overflow > 0) {
      this.queue.splice(0, overflow);
    }
    this.dropped += Math.max(overflow, 0) + droppedBefore;
    return Promise.resolve();
  }

  list(query: LogQuery): Promise<{ total: number; logs: LogEntry[] }> {
    return Promise.resolve(queryEntries(newestFirst(this.view), parseEntry, query));
  }

  clearView(): Promise<number> {
    const deleted = this.view.length;
    this.view = [];
    return Promise.resolve(deleted);
  }

  readUnshipped(count: number): Promise<QueuedLogEntry[]> {
    return Promise.resolve(
      this.queue
        .slice(0, count)
        .map(({ queueId, text }) => ({ queueId, entry: JSON.parse(text) as LogEntry })),
    );
  }

  ack(queueIds: readonly string[]): Promise<void> {
    if (queueIds.length > 0) {
      const acked = new Set(queueIds);
      this.queue = this.queue.filter(({ queueId }) => !acked.has(queueId));
    }
    return Promise.resolve();
  }

  queueStats(): Promise<ShippingQueueStats> {
    const oldest = this.queue[0];
    return Promise.resolve({
      pending: this.queue.length,
      dropped: this.dropped,
      oldestPendingAt: oldest ? (JSON.parse(oldest.text) as LogEntry).timestamp : undefined,
    });
  }
}

function* newestFirst<T>(oldestFirst: readonly T[]): Iterable<T> {
  for (let i = oldestFirst.length - 1; i >= 0; i -= 1) {
    yield oldestFirst[i];
  }
}
