import type { StoredEntry } from '../log-store/log-entry';
import { LogWriteBuffer } from './log-write-buffer';
import { MemoryLogStore } from '../log-store/memory-log-store';
import { asStored, entries as logEntries } from '../../test/support/request-log/log-entries';

const entries = (n: number): StoredEntry[] => asStored(logEntries(n));
import { waitFor } from '../../test/support/wait-for';

/** The embedded store with a switch to make it fail like an unreachable Redis, and a record of its calls. */
class SwitchableStore extends MemoryLogStore {
  failing = false;
  /** Fail only the writes that carry a drop count (the batch after an overflow). */
  failingWithDrops = false;
  calls: { size: number; dropped: number }[] = [];
  /** Date.now() at the start of each call. */
  startedAt: number[] = [];
  /** Answer in the caller's turn (under fake timers, where waiting for the next turn would move the clock). */
  sameTurn = false;
  concurrent = 0;
  maxConcurrent = 0;

  override async append(batch: readonly StoredEntry[], droppedBefore = 0): Promise<void> {
    this.startedAt.push(Date.now());
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    if (!this.sameTurn) {
      await new Promise((resolve) => setImmediate(resolve));
    }
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

const ids = (list: readonly { id: string }[]): string[] => list.map((entry) => entry.id);

async function stored(store: MemoryLogStore): Promise<string[]> {
  return ids((await store.readUnshipped(1_000_000)).map((q) => JSON.parse(q.json)));
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

  it('writes a backlog longer than 1024 entries exactly once, in order', async () => {
    const large = new SwitchableStore({ viewMaxSize: 10, bufferMax: 5000 });
    buffer = new LogWriteBuffer(large, { maxEntries: 5000, batchSize: 2000 });
    const written = entries(3000);
    written.forEach((entry) => buffer.push(entry));
    await buffer.drain();
    expect(large.calls.map((call) => call.size)).toEqual([2000, 1000]);
    expect(await stored(large)).toEqual(ids(written));
  });

  describe('over simulated time', () => {
    const entry = (): StoredEntry => entries(1)[0]!;
    /** When each write started, in ms after the first. */
    const attempts = (): number[] => store.startedAt.map((at) => at - store.startedAt[0]!);
    const advance = (ms: number): Promise<void> => jest.advanceTimersByTimeAsync(ms);

    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
      store.sameTurn = true;
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it.each([
      [{}, [0, 100, 300, 700, 1500, 2500, 3500]],
      [{ retryDelayMs: 10, maxRetryDelayMs: 30 }, [0, 10, 30, 60, 90, 120, 150]],
    ])(
      'retries a failed write after a delay doubled per failure, up to a maximum (%j)',
      async (options, at) => {
        buffer = new LogWriteBuffer(store, { maxEntries: 10, ...options });
        store.failing = true;
        buffer.push(entry());
        await advance(at[at.length - 1]!);
        expect(attempts()).toEqual(at);
        expect(buffer.stats()).toMatchObject({ buffered: 1, writeFailures: at.length });
      },
    );

    it('when closed, writes the queue batch after batch, each once, without pausing', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 10, batchSize: 1 });
      const written = entries(3);
      written.forEach((e) => buffer.push(e));
      const unwritten = buffer.close(1000);
      await advance(0);
      expect(await unwritten).toBe(0);
      expect(store.calls).toHaveLength(3);
      expect(await stored(store)).toEqual(ids(written));
    });

    it('when closed with no time left, writes nothing', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 10 });
      entries(3).forEach((e) => buffer.push(e));
      const unwritten = buffer.close(0);
      await advance(1000);
      expect(await unwritten).toBe(3);
      expect(store.calls).toEqual([]);
    });

    it('when closed, retries the failed batch until it is written', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 10 });
      store.failing = true;
      const written = entries(2);
      written.forEach((e) => buffer.push(e));
      const unwritten = buffer.close(1000);
      await advance(0);
      store.failing = false;
      await advance(100);
      expect(await unwritten).toBe(0);
      expect(await stored(store)).toEqual(ids(written));
    });

    it('when closed, stops retrying at the deadline, even while waiting to retry', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 10 });
      store.failing = true;
      buffer.push(entry());
      let unwritten: number | undefined;
      void buffer.close(150).then((n) => (unwritten = n));
      await advance(150);
      expect(unwritten).toBe(1);
      expect(attempts()).toEqual([0, 100]);
    });

    it('when closed, cancels the retry it was waiting for', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 10 });
      store.failing = true;
      buffer.push(entry());
      await advance(0);
      expect(await buffer.close(0)).toBe(1);
      store.failing = false;
      await advance(1000);
      expect(store.calls).toHaveLength(1);
    });

    it('when closed while a batch is being written, writes the rest once', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 10, batchSize: 2 });
      const written = entries(4);
      written.forEach((e) => buffer.push(e));
      jest.advanceTimersToNextTimer();
      const unwritten = buffer.close(1000);
      await advance(0);
      expect(await unwritten).toBe(0);
      expect(store.calls).toEqual([
        { size: 2, dropped: 0 },
        { size: 2, dropped: 0 },
      ]);
      expect(await stored(store)).toEqual(ids(written));
    });

    it('writes nothing pushed after it was closed', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 10 });
      await buffer.close(0);
      buffer.push(entry());
      await advance(1000);
      expect(store.calls).toEqual([]);
      expect(buffer.stats().buffered).toBe(1);
    });

    it('with a flush interval, writes what was pushed meanwhile in one batch when the interval has passed', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 100, flushIntervalMs: 50 });
      const written = entries(3);
      buffer.push(written[0]!);
      await advance(20);
      buffer.push(written[1]!);
      await advance(20);
      buffer.push(written[2]!);
      expect(store.calls).toEqual([]);
      await advance(10);
      expect(store.calls).toEqual([{ size: 3, dropped: 0 }]);
      expect(await stored(store)).toEqual(ids(written));
    });

    it('with a flush interval, gives each later push its own interval', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 100, flushIntervalMs: 50 });
      buffer.push(entry());
      await advance(50);
      buffer.push(entry());
      await advance(49);
      expect(store.calls).toHaveLength(1);
      await advance(1);
      expect(store.calls).toHaveLength(2);
    });

    it('when closed, cancels the flush it was waiting for', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 100, flushIntervalMs: 50 });
      buffer.push(entry());
      await advance(20);
      buffer.push(entry());
      expect(await buffer.close(0)).toBe(2);
      await advance(100);
      expect(store.calls).toEqual([]);
    });

    it('with a flush interval, writes at once what drain() waits for', async () => {
      buffer = new LogWriteBuffer(store, { maxEntries: 100, flushIntervalMs: 50 });
      buffer.push(entry());
      const drained = buffer.drain();
      await advance(0);
      await drained;
      expect(store.calls).toEqual([{ size: 1, dropped: 0 }]);
    });
  });
});
