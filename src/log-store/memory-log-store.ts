import type { LogEntry, StoredEntry } from './log-entry';
import { parseEntry, parseQueued, queryEntries } from './log-query';
import {
  KeepOptions,
  LogQuery,
  LogStore,
  UnshippedEntry,
  RecordSeries,
  SeriesRecord,
  ShippingQueueStats,
} from './log-store';

export interface LogStoreLimits {
  /** How many newest entries the view keeps (REDIS_LOGS_MAX_SIZE). */
  viewMaxSize: number;
  /** How many unacknowledged entries the shipping queue keeps (LOG_BUFFER_MAX). */
  bufferMax: number;
  /** How many bytes of JSON the in-process queue keeps at most (LOG_BUFFER_MAX_MB); unbounded if absent. */
  bufferMaxBytes?: number;
}

interface Queued {
  queueId: string;
  json: string;
  /** Handed out by readUnshipped at least once. */
  delivered: boolean;
}

/**
 * The embedded store, used when Redis is not configured: the same view and queue as RedisLogStore, in this
 * process, lost on restart. Entries are kept as the JSON they arrive as, as Redis keeps them, so both adapters hand
 * back equal copies and neither lets a caller change what is stored. The queue is bounded in entries and in bytes:
 * past either bound the oldest are dropped and counted.
 */
export class MemoryLogStore extends LogStore {
  /** Oldest first. */
  private view: string[] = [];
  /** Oldest first from `head` on; queue ids are a counter, so they sort like the stream's. */
  private queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private sequence = 0;
  private dropped = 0;
  private droppedByThis = 0;
  private lastDropAt: number | null = null;
  private readonly series = new Map<RecordSeries, Map<string, SeriesRecord>>();
  private readonly sharedValues = new Map<string, string>();

  constructor(private readonly limits: LogStoreLimits) {
    super();
  }

  append(entries: readonly StoredEntry[], droppedBefore = 0): Promise<void> {
    for (const { json } of entries) {
      this.view.push(json);
      this.enqueue(json);
    }
    if (this.view.length > this.limits.viewMaxSize) {
      this.view.splice(0, this.view.length - this.limits.viewMaxSize);
    }
    this.bound(droppedBefore);
    return Promise.resolve();
  }

  keepRecord(series: RecordSeries, record: SeriesRecord, options: KeepOptions): Promise<boolean> {
    let kept = this.series.get(series);
    if (!kept) {
      kept = new Map();
      this.series.set(series, kept);
    }
    if (options.once && kept.has(record.id)) {
      return Promise.resolve(false);
    }
    kept.set(record.id, { ...record });
    if (options.ship) {
      this.enqueue(record.json);
      this.bound(0);
    }
    for (const [id, { atMs }] of kept) {
      if (atMs < options.keepSinceMs) {
        kept.delete(id);
      }
    }
    return Promise.resolve(true);
  }

  records(series: RecordSeries, sinceMs: number, limit: number): Promise<string[]> {
    const kept = [...(this.series.get(series)?.values() ?? [])]
      .filter((r) => r.atMs >= sinceMs)
      .sort((a, b) => a.atMs - b.atMs);
    return Promise.resolve(kept.slice(Math.max(0, kept.length - limit)).map((r) => r.json));
  }

  shared(name: string): Promise<string | null> {
    return Promise.resolve(this.sharedValues.get(name) ?? null);
  }

  setShared(name: string, value: string | null): Promise<void> {
    if (value === null) {
      this.sharedValues.delete(name);
    } else {
      this.sharedValues.set(name, value);
    }
    return Promise.resolve();
  }

  private enqueue(json: string): void {
    this.sequence += 1;
    this.queue.push({ queueId: String(this.sequence).padStart(16, '0'), json, delivered: false });
    this.queuedBytes += json.length;
  }

  /** Drops the oldest queued entries past either bound, and counts them with what the caller dropped before. */
  private bound(droppedBefore: number): void {
    const maxBytes = this.limits.bufferMaxBytes ?? Number.POSITIVE_INFINITY;
    let overflow = 0;
    while (this.size() > this.limits.bufferMax || (this.queuedBytes > maxBytes && this.size() > 0)) {
      this.queuedBytes -= this.queue[this.head]!.json.length;
      this.head += 1;
      overflow += 1;
    }
    this.compact();
    this.dropped += overflow + droppedBefore;
    if (overflow > 0) {
      this.droppedByThis += overflow;
      this.lastDropAt = Date.now();
    }
  }

  list(query: LogQuery): Promise<{ total: number; logs: LogEntry[] }> {
    return Promise.resolve(queryEntries(newestFirst(this.view), parseEntry, query));
  }

  clearView(): Promise<number> {
    const deleted = this.view.length;
    this.view = [];
    return Promise.resolve(deleted);
  }

  readUnshipped(count: number): Promise<UnshippedEntry[]> {
    return Promise.resolve(
      this.queue.slice(this.head, this.head + count).map((queued) => {
        const redelivered = queued.delivered;
        queued.delivered = true;
        return { queueId: queued.queueId, json: queued.json, redelivered };
      }),
    );
  }

  ack(queueIds: readonly string[]): Promise<void> {
    if (queueIds.length > 0) {
      const acked = new Set(queueIds);
      const kept = this.queue.slice(this.head).filter(({ queueId }) => !acked.has(queueId));
      this.queuedBytes = kept.reduce((bytes, q) => bytes + q.json.length, 0);
      this.queue = kept;
      this.head = 0;
    }
    return Promise.resolve();
  }

  droppedHere(): { count: number; lastAt: number | null } {
    return { count: this.droppedByThis, lastAt: this.lastDropAt };
  }

  queueStats(): Promise<ShippingQueueStats> {
    const oldest = this.queue[this.head];
    return Promise.resolve({
      pending: this.size(),
      dropped: this.dropped,
      oldestPendingAt: oldest ? parseQueued(oldest.json)?.timestamp : undefined,
    });
  }

  private size(): number {
    return this.queue.length - this.head;
  }

  /** Drops what the head has passed, once it is most of the array, so that dropping stays cheap. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

function* newestFirst<T>(oldestFirst: readonly T[]): Iterable<T> {
  for (let i = oldestFirst.length - 1; i >= 0; i -= 1) {
    yield oldestFirst[i];
  }
}
