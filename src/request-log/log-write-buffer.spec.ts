import type { LogEntry } from './log-entry';
import { LogWriteBuffer } from './log-write-buffer';
import { MemoryLogStore } from './memory-log-store';
import { entries } from '../../test/support/request-log/log-entries';
import { waitFor } from '../../test/support/wait-for';

/** The embedded store with a switch to make it fail like an unreachable Redis, and a record of its calls. */
class SwitchableStore extends MemoryLogStore {
  failing = false;
  /** Fail only the writes that carry a drop count (the batch after an overflow). */
  failingWithDrops = false;
  calls: { size: number; dropped: number }[] = [];
  concurrent = 0;
  maxConcurrent = 0;

  override async append(batch: readonly LogEntry[], droppedBefore = 0): Promise<void> {
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    await new Promise((resolve) => setImmediate(resolve));
    this.concurrent -= 1;
    this.calls.push({ size: batch.length, dropped: droppedBefore });
    if (this.failing || (this.failingWithDrops && droppedBefore > 0)) {
      throw new Error('connect ECONNREFUSED');
    }
    return super.append(batch, droppedBefore);
  }
}

/** Everything held was written and the store was told of every drop. */
async function settled(buffer: LogWriteBuffer): Promise<void> {
  await waitFor('every entry written and every drop counted by the store', () => {
    const { buffered, droppedUncounted } = buffer.stats();
    return buffered === 0 && droppedUncounted === 0;
  });
}

const failedCalls = (store: SwitchableStore, n: number): Promise<boolean> =>
  waitFor(`${n} store call(s)`, () => store.calls.length >= n);

const ids = (list: readonly LogEntry[]): string[] => list.map((entry) => entry.id);

async function stored(store: MemoryLogStore): Promise<string[]> {
  return ids((await store.readUnshipped(1_000_000)).map((q) => q.entry));
}

describe(LogWriteBuffer.name, () => {
  const limits = { viewMaxSize: 1000, bufferMax: 1000 };
  let store: SwitchableStore;
  let buffer: LogWriteBuffer;

  beforeEach(() => {
    store = new SwitchableStore(limits);
  });

  afterEach(async () => {
    await buffer.close(0);
  });

  it('writes what is pushed in one turn in one batch, after the turn, in order', async () => {
    buffer = new LogWriteBuffer(store, { maxEntries: 100 });
    const written = entries(7);
    written.forEach((entry) => buffer.push(entry));
    expect(store.calls).toEqual([]);
    await buffer.drain();
    expect(store.calls).toEqual([{ size: 7, dropped: 0 }]);
    expect(await stored(store)).toEqual(ids(written));
  });

  it('splits large backlogs into batches written one at a time, in order', async () => {
    buffer = new LogWriteBuffer(store, { maxEntries: 1000, batchSize: 40 });
    const written = entries(150);
    written.slice(0, 10).forEach((entry) => buffer.push(entry));
    await new Promise((resolve) => setImmediate(resolve));
    written.slice(10).forEach((entry) => buffer.push(entry));
    await buffer.drain();
    expect(store.maxConcurrent).toBe(1);
    expect(store.calls.map((call) => call.size)).toEqual([10, 40, 40, 40, 20]);
    expect(await stored(store)).toEqual(ids(written));
  });

  it('keeps entries through an outage and writes them all, in order and once, when the store answers', async () => {
    const outage = jest.fn();
    const recovery = jest.fn();
    buffer = new LogWriteBuffer(store, {
      maxEntries: 1000,
      batchSize: 10,
      retryDelayMs: 1,
      maxRetryDelayMs: 2,
      onOutage: outage,
      onRecovery: recovery,
    });
    store.failing = true;
    const written = entries(35);
    written.forEach((entry) => buffer.push(entry));
    await failedCalls(store, 5);
    expect(buffer.stats()).toMatchObject({ buffered: 35, dropped: 0 });
    expect(buffer.stats().writeFailures).toBeGreaterThanOrEqual(5);
    expect(store.calls.every((call) => call.size === 10)).toBe(true);

    store.failing = false;
    await settled(buffer);
    expect(await stored(store)).toEqual(ids(written));
    expect(outage).toHaveBeenCalledTimes(1);
    expect(recovery).toHaveBeenCalledTimes(1);
  });

  it('drops the oldest queued entries past maxEntries, counts them and tells the store', async () => {
    buffer = new LogWriteBuffer(store, { maxEntries: 5, batchSize: 2, retryDelayMs: 1, maxRetryDelayMs: 1 });
    store.failing = true;
    const written = entries(9);
    written.slice(0, 2).forEach((entry) => buffer.push(entry));
    await failedCalls(store, 1);
    written.slice(2).forEach((entry) => buffer.push(entry));
    // Held: the failed batch (0, 1) and the newest three queued; 2, 3, 4 and 5 were dropped.
    expect(buffer.stats()).toMatchObject({ buffered: 5, dropped: 4, droppedUncounted: 4 });

    store.failing = false;
    await settled(buffer);
    expect(await stored(store)).toEqual(ids([...written.slice(0, 2), ...written.slice(6)]));
    expect((await store.queueStats()).dropped).toBe(4);
    expect(buffer.stats()).toMatchObject({ dropped: 4, droppedUncounted: 0 });
  });

  it('counts the drops a failing batch carries among those the store has not been told of', async () => {
    buffer = new LogWriteBuffer(store, { maxEntries: 5, batchSize: 2, retryDelayMs: 1, maxRetryDelayMs: 1 });
    store.failing = true;
    const written = entries(9);
    written.slice(0, 2).forEach((entry) => buffer.push(entry));
    await failedCalls(store, 1);
    written.slice(2).forEach((entry) => buffer.push(entry));
    // The first batch goes through; the next one, carrying the count of the 4 drops, keeps failing.
    store.failing = false;
    store.failingWithDrops = true;
    const before = store.calls.length;
    await waitFor('the batch with the drop count to fail twice', () =>
      store.calls.filter((call, i) => i >= before && call.dropped === 4).length >= 2 ? true : undefined,
    );
    expect(buffer.stats()).toMatchObject({ dropped: 4, droppedUncounted: 4 });

    store.failingWithDrops = false;
    await settled(buffer);
    expect((await store.queueStats()).dropped).toBe(4);
  });

  it('drops a new entry when the batch being written already fills the buffer', async () => {
    buffer = new LogWriteBuffer(store, { maxEntries: 2, retryDelayMs: 1, maxRetryDelayMs: 1 });
    store.failing = true;
    const written = entries(3);
    written.slice(0, 2).forEach((entry) => buffer.push(entry));
    await failedCalls(store, 1);
    buffer.push(written[2]);
    expect(buffer.stats()).toMatchObject({ buffered: 2, dropped: 1 });
    store.failing = false;
    await settled(buffer);
    expect(await stored(store)).toEqual(ids(written.slice(0, 2)));
    expect((await store.queueStats()).dropped).toBe(1);
  });

  it('writes what is left when closed, and reports what it could not write before the deadline', async () => {
    buffer = new LogWriteBuffer(store, { maxEntries: 100, retryDelayMs: 1 });
    entries(3).forEach((entry) => buffer.push(entry));
    expect(await buffer.close(1000)).toBe(0);
    expect(await stored(store)).toHaveLength(3);

    const down = new SwitchableStore(limits);
    down.failing = true;
    const stuck = new LogWriteBuffer(down, { maxEntries: 100, retryDelayMs: 1 });
    entries(4).forEach((entry) => stuck.push(entry));
    expect(await stuck.close(20)).toBe(4);
  });
});
