import type { LogEntry } from '../../../src/request-log/log-entry';
import {
  LogStore,
  type LogQuery,
  type QueuedLogEntry,
  type ShippingQueueStats,
} from '../../../src/request-log/log-store';

/** Stand-in for MemoryLogStore until the logging module lands: the queue side of the port only. */
export class InterimQueueStore extends LogStore {
  private readonly queue = new Map<string, LogEntry>();
  private next = 0;

  append(entries: readonly LogEntry[]): Promise<void> {
    for (const entry of entries) {
      this.next += 1;
      this.queue.set(`${this.next}-0`, structuredClone(entry));
    }
    return Promise.resolve();
  }
  list(_query: LogQuery): Promise<{ total: number; logs: LogEntry[] }> {
    return Promise.resolve({ total: 0, logs: [] });
  }
  clearView(): Promise<number> {
    return Promise.resolve(0);
  }
  readUnshipped(count: number): Promise<QueuedLogEntry[]> {
    return Promise.resolve(
      [...this.queue].slice(0, count).map(([queueId, entry]) => ({ queueId, entry: structuredClone(entry) })),
    );
  }
  ack(queueIds: readonly string[]): Promise<void> {
    queueIds.forEach((id) => this.queue.delete(id));
    return Promise.resolve();
  }
  queueStats(): Promise<ShippingQueueStats> {
    const oldest = this.queue.values().next().value;
    return Promise.resolve({ pending: this.queue.size, dropped: 0, oldestPendingAt: oldest?.timestamp });
  }
}
