import type { StoredEntry } from '../log-store/log-entry';
import type { LogStore } from '../log-store/log-store';

export interface LogWriteBufferOptions {
  /** LOG_BUFFER_MAX: entries held in this process (queued and being written) at most. */
  maxEntries: number;
  /** LOG_BUFFER_MAX_MB: bytes of JSON held in this process at most; unbounded if absent. */
  maxBytes?: number;
  /** Entries per store call. */
  batchSize?: number;
  /**
   * LOG_FLUSH_INTERVAL_MS: entries queued while nothing is being written wait this long, so that a busy service
   * writes them in a few large batches; 0 writes after the current event-loop turn. It bounds what a SIGKILL loses.
   */
  flushIntervalMs?: number;
  /** Wait before retrying a failed write, doubled per failure up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Told once when writes start failing and once when they succeed again. */
  onOutage?(error: unknown): void;
  onRecovery?(written: number, failures: number): void;
}

export interface LogWriteBufferFigures {
  /** Entries waiting in this process (queued or being written). */
  buffered: number;
  /** Entries dropped here (buffer full) since start. */
  dropped: number;
  /** Of those, how many the store has not counted yet (they reach it with the next batch written). */
  droppedUncounted: number;
  /** Store writes that failed since start (each retried). */
  writeFailures: number;
  /** When the buffer last dropped an entry (ms since the epoch), or null. */
  lastDropAt: number | null;
}

interface Batch {
  entries: StoredEntry[];
  bytes: number;
  /** Dropped before this batch and not yet counted by the store; sent with it, retried with it. */
  dropped: number;
}

/**
 * The request log's write path: entries are queued in memory and written to the store in batches, off the response
 * path, one batch at a time and in order. A failed batch is retried, unchanged, with backoff until the store answers
 * (ioredis reconnects on its own); meanwhile new entries wait behind it. The buffer is bounded in entries and in
 * bytes: past either bound the oldest queued entry is dropped and counted, and that count reaches the store with the
 * next batch. Entries are held as their JSON (StoredEntry), a compact string each.
 */
export class LogWriteBuffer {
  private queue: StoredEntry[] = [];
  /** Bytes of JSON queued (not counting the batch in flight). */
  private queuedBytes = 0;
  /** Index of the oldest queued entry: dequeuing moves it rather than shifting the array. */
  private head = 0;
  private inFlight: Batch | null = null;
  private droppedSinceBatch = 0;
  private figures = { dropped: 0, writeFailures: 0 };
  /** When this buffer last dropped an entry (ms), for /health. */
  private lastDropAt: number | null = null;
  private consecutiveFailures = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;

  private readonly batchSize: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(
    private readonly store: LogStore,
    private readonly options: LogWriteBufferOptions,
  ) {
    this.batchSize = Math.max(1, Math.min(options.batchSize ?? 500, options.maxEntries));
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 1000;
  }

  /** Queues an entry; never throws and never waits. */
  push(entry: StoredEntry): void {
    this.queue.push(entry);
    this.queuedBytes += entry.json.length;
    // The batch being written is older still, but it may already be stored: drop the oldest entries still queued,
    // down to this newest one when everything else held is in that batch.
    while (this.overLimit() && this.queued() > 0) {
      this.queuedBytes -= this.queue[this.head]!.json.length;
      this.head += 1;
      this.droppedSinceBatch += 1;
      this.figures.dropped += 1;
      this.lastDropAt = Date.now();
    }
    this.compact();
    if (!this.closed) {
      this.schedule();
    }
  }

  stats(): LogWriteBufferFigures {
    return {
      buffered: this.queued() + (this.inFlight?.entries.length ?? 0),
      droppedUncounted: this.droppedSinceBatch + (this.inFlight?.dropped ?? 0),
      lastDropAt: this.lastDropAt,
      ...this.figures,
    };
  }

  /**
   * Writes everything queued now, retrying failures until `deadlineMs` from now; then stops writing for good
   * (shutdown). Returns how many entries could not be written.
   */
  async close(deadlineMs: number): Promise<number> {
    this.closed = true;
    this.cancelTimers();
    const deadline = Date.now() + deadlineMs;
    await this.writing;
    while (this.hasWork() && Date.now() < deadline) {
      const ok = await this.writeNext();
      if (!ok) {
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, Math.min(this.retryDelay(), deadline - Date.now()))),
        );
      }
    }
    return this.stats().buffered;
  }

  /**
   * Resolves when nothing is queued any more (tests, benchmarks), writing at once what waits for the flush interval.
   * Does not wait through an outage's retries.
   */
  async drain(): Promise<void> {
    while (!this.closed && (this.writing || this.immediate || this.flushTimer)) {
      if (this.flushTimer) {
        clearTimeout(this.flushTimer);
        this.flushTimer = null;
        this.run();
      }
      if (this.immediate) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      await this.writing;
    }
  }

  /** Entries to write, or a drop count the store has not been told. */
  private hasWork(): boolean {
    return this.inFlight !== null || this.queued() > 0 || this.droppedSinceBatch > 0;
  }

  private queued(): number {
    return this.queue.length - this.head;
  }

  private overLimit(): boolean {
    const entries = this.queued() + (this.inFlight?.entries.length ?? 0);
    const bytes = this.queuedBytes + (this.inFlight?.bytes ?? 0);
    return entries > this.options.maxEntries || bytes > (this.options.maxBytes ?? Number.POSITIVE_INFINITY);
  }

  /** Drops what the head has passed, once it is most of the array, so that dequeuing and dropping stay cheap. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Writes once the flush interval has passed (or after the current event-loop turn without one), so that the calls
   * answered meanwhile share one round trip. While a batch is being written, what is queued goes right after it.
   */
  private schedule(): void {
    if (this.writing || this.timer || this.immediate || this.flushTimer) {
      return;
    }
    const interval = this.options.flushIntervalMs ?? 0;
    if (interval > 0) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.run();
      }, interval);
      return;
    }
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.run();
    });
  }

  private run(): void {
    const writing = this.writeNext().then((ok) => {
      this.writing = null;
      if (this.closed) {
        return;
      }
      if (!ok) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.run();
        }, this.retryDelay());
      } else if (this.hasWork()) {
        this.run();
      }
    });
    this.writing = writing;
  }

  /** Writes the batch in flight, or the next one; false if the store failed. */
  private async writeNext(): Promise<boolean> {
    if (!this.inFlight) {
      if (!this.hasWork()) {
        return true;
      }
      const entries = this.queue.slice(this.head, this.head + this.batchSize);
      this.head += entries.length;
      this.compact();
      const bytes = entries.reduce((sum, entry) => sum + entry.json.length, 0);
      this.queuedBytes -= bytes;
      this.inFlight = { entries, bytes, dropped: this.droppedSinceBatch };
      this.droppedSinceBatch = 0;
    }
    const batch = this.inFlight;
    try {
      await this.store.append(batch.entries, batch.dropped);
    } catch (error) {
      this.figures.writeFailures += 1;
      this.consecutiveFailures += 1;
      if (this.consecutiveFailures === 1) {
        this.options.onOutage?.(error);
      }
      return false;
    }
    this.inFlight = null;
    if (this.consecutiveFailures > 0) {
      this.options.onRecovery?.(batch.entries.length, this.consecutiveFailures);
      this.consecutiveFailures = 0;
    }
    return true;
  }

  private retryDelay(): number {
    return Math.min(this.retryDelayMs * 2 ** Math.max(0, this.consecutiveFailures - 1), this.maxRetryDelayMs);
  }

  private cancelTimers(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
  }
}
