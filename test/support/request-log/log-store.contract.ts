import type { LogEntry } from '../../../src/log-store/log-entry';
import type { LogStore, UnshippedEntry } from '../../../src/log-store/log-store';
import type { LogStoreLimits } from '../../../src/log-store/memory-log-store';
import { entries, logEntry, asStored } from './log-entries';

export interface LogStoreHarness {
  /** A new, empty store with these limits (each call gets its own keys). */
  create(limits: LogStoreLimits): Promise<LogStore>;
  /** Removes everything the created stores wrote. */
  cleanUp?(): Promise<void>;
}

const ids = (list: readonly { id: string }[]): string[] => list.map((entry) => entry.id);
const newestFirst = (list: readonly LogEntry[]): string[] => ids(list).reverse();
const all = { limit: 1000, offset: 0 };
const withoutFlag = ({
  redelivered: _flag,
  ...queued
}: UnshippedEntry): Omit<UnshippedEntry, 'redelivered'> => queued;

/**
 * What every LogStore adapter must do, run against MemoryLogStore (unit) and RedisLogStore (integration, real
 * Redis), so the embedded default behaves as the production store does.
 */
export function describeLogStoreContract(harness: LogStoreHarness): void {
  const limits: LogStoreLimits = { viewMaxSize: 10, bufferMax: 50 };
  let store: LogStore;

  beforeEach(async () => {
    store = await harness.create(limits);
  });

  afterAll(async () => {
    await harness.cleanUp?.();
  });

  describe('view', () => {
    it('lists entries newest first, equal to what was appended', async () => {
      const written = entries(4);
      await store.append(asStored(written.slice(0, 2)));
      await store.append(asStored(written.slice(2)));
      const { total, logs } = await store.list(all);
      expect(total).toBe(4);
      expect(logs).toEqual([...written].reverse());
    });

    it('keeps the newest viewMaxSize entries while the queue keeps every unshipped one', async () => {
      const written = entries(25);
      await store.append(asStored(written.slice(0, 7)));
      await store.append(asStored(written.slice(7)));
      const { total, logs } = await store.list(all);
      expect(total).toBe(10);
      expect(ids(logs)).toEqual(newestFirst(written.slice(-10)));
      expect((await store.queueStats()).pending).toBe(25);
      expect(ids((await store.readUnshipped(100)).map((q) => JSON.parse(q.json)))).toEqual(ids(written));
    });

    it('pages with offset and limit, total counting every match', async () => {
      const written = entries(8);
      await store.append(asStored(written));
      const page = await store.list({ limit: 3, offset: 2 });
      expect(page.total).toBe(8);
      expect(ids(page.logs)).toEqual(newestFirst(written).slice(2, 5));
      expect((await store.list({ limit: 3, offset: 8 })).logs).toEqual([]);
    });

    it('filters by level, path and since, then pages the matches', async () => {
      const warning = logEntry({ level: 'WARNING', status: 422, timestamp: '2025-01-01T10:00:00.000Z' });
      const proba = logEntry({
        path: '/predict_proba',
        timestamp: '2025-01-01T11:00:00.000Z',
        prediction: 1,
      });
      const error = logEntry({ level: 'ERROR', status: 500, timestamp: '2025-01-01T12:00:00.000Z' });
      const late = logEntry({ timestamp: '2025-01-01T13:00:00.000Z', prediction: 0 });
      await store.append(asStored([warning, proba, error, late]));

      expect(await store.list({ ...all, level: 'WARNING' })).toEqual({ total: 1, logs: [warning] });
      expect(await store.list({ ...all, path: '/predict_proba' })).toEqual({ total: 1, logs: [proba] });
      expect(await store.list({ ...all, since: '2025-01-01T11:00:00.000Z' })).toEqual({
        total: 3,
        logs: [late, error, proba],
      });
      expect(
        await store.list({ limit: 1, offset: 1, path: '/predict', since: '2025-01-01T09:00:00Z' }),
      ).toEqual({
        total: 3,
        logs: [error],
      });
      expect(await store.list({ ...all, level: 'ERROR', path: '/predict_proba' })).toEqual({
        total: 0,
        logs: [],
      });
    });

    it('clears the view and says how many entries it held, leaving the queue alone', async () => {
      await store.append(asStored(entries(12)));
      expect(await store.clearView()).toBe(10);
      expect(await store.list(all)).toEqual({ total: 0, logs: [] });
      expect((await store.queueStats()).pending).toBe(12);
      expect(await store.clearView()).toBe(0);
    });
  });

  describe('shipping queue', () => {
    it('starts empty', async () => {
      expect(await store.readUnshipped(10)).toEqual([]);
      expect(await store.queueStats()).toEqual({ pending: 0, dropped: 0 });
    });

    it('hands out unacknowledged entries oldest first, again and again until acknowledged', async () => {
      const written = entries(5);
      await store.append(asStored(written));
      const first = await store.readUnshipped(3);
      expect(first.map((q) => JSON.parse(q.json))).toEqual(written.slice(0, 3));
      expect(new Set(first.map((q) => q.queueId)).size).toBe(3);

      const again = await store.readUnshipped(3);
      expect(again.map(withoutFlag)).toEqual(first.map(withoutFlag));
      // Handed out a second time: perhaps stored already, which the archive then checks.
      expect(first.map((q) => q.redelivered)).toEqual([false, false, false]);
      expect(again.map((q) => q.redelivered)).toEqual([true, true, true]);

      await store.ack(first.slice(0, 2).map((q) => q.queueId));
      const rest = await store.readUnshipped(10);
      expect(rest.map((q) => JSON.parse(q.json))).toEqual(written.slice(2));
      expect(withoutFlag(rest[0]!)).toEqual(withoutFlag(first[2]!));
      expect(rest.map((q) => q.redelivered)).toEqual([true, false, false]);
    });

    it('returns entries delivered but never acknowledged before newer ones', async () => {
      const older = entries(3);
      await store.append(asStored(older));
      const delivered = await store.readUnshipped(2);
      const newer = entries(2);
      await store.append(asStored(newer));
      const next = await store.readUnshipped(4);
      expect(ids(next.map((q) => JSON.parse(q.json)))).toEqual(ids([...older, newer[0]]));
      expect(next.slice(0, 2).map(withoutFlag)).toEqual(delivered.map(withoutFlag));
      expect(next.map((q) => q.redelivered)).toEqual([true, true, false, false]);
    });

    it('forgets acknowledged entries; acknowledging unknown or already acknowledged ids is harmless', async () => {
      const written = entries(4);
      await store.append(asStored(written));
      const read = await store.readUnshipped(4);
      await store.ack(read.map((q) => q.queueId));
      await store.ack(read.map((q) => q.queueId));
      await store.ack([]);
      expect(await store.readUnshipped(10)).toEqual([]);
      expect((await store.queueStats()).pending).toBe(0);

      const later = entries(1);
      await store.append(asStored(later));
      await store.ack(read.map((q) => q.queueId));
      expect((await store.readUnshipped(10)).map((q) => JSON.parse(q.json))).toEqual(later);
    });

    it('reports pending entries and the timestamp of the oldest one', async () => {
      const first = logEntry({ timestamp: '2025-02-01T08:00:00.000Z' });
      const second = logEntry({ timestamp: '2025-02-01T09:00:00.000Z' });
      await store.append(asStored([first, second]));
      expect(await store.queueStats()).toEqual({
        pending: 2,
        dropped: 0,
        oldestPendingAt: first.timestamp,
      });
      const [oldest] = await store.readUnshipped(1);
      await store.ack([oldest.queueId]);
      expect(await store.queueStats()).toEqual({ pending: 1, dropped: 0, oldestPendingAt: second.timestamp });
    });

    it('drops the oldest unshipped entries past bufferMax, counts them, and keeps the rest in order', async () => {
      const written = entries(65);
      await store.append(asStored(written.slice(0, 40)));
      await store.readUnshipped(5);
      await store.append(asStored(written.slice(40)));
      expect(await store.queueStats()).toMatchObject({ pending: 50, dropped: 15 });
      // This store instance dropped them: its process counts them as its own drops.
      expect(store.droppedHere()).toEqual({ count: 15, lastAt: expect.any(Number) as number });
      const unshipped = await store.readUnshipped(100);
      expect(ids(unshipped.map((q) => JSON.parse(q.json)))).toEqual(ids(written.slice(15)));
    });

    it('adds what the caller dropped before appending to the dropped count', async () => {
      await store.append(asStored(entries(2)), 3);
      await store.append(asStored([]), 4);
      expect(await store.queueStats()).toMatchObject({ pending: 2, dropped: 7 });
      // The caller counted those itself: not this store's drops.
      expect(store.droppedHere()).toEqual({ count: 0, lastAt: null });
    });
  });

  describe('series of records and shared values', () => {
    const record = (id: string, atMs: number, extra: Record<string, unknown> = {}) => ({
      id,
      atMs,
      json: JSON.stringify({
        kind: 'drift_evaluation',
        id,
        timestamp: new Date(atMs).toISOString(),
        ...extra,
      }),
    });
    const keep = { once: true, ship: false, keepSinceMs: 0 };

    it('keeps a record of an id once, when asked, and lists records from a time on, oldest first', async () => {
      expect(await store.keepRecord('drift', record('b', 2000), keep)).toBe(true);
      expect(await store.keepRecord('drift', record('a', 1000), keep)).toBe(true);
      expect(await store.keepRecord('drift', record('a', 1000, { other: true }), keep)).toBe(false);
      expect(await store.keepRecord('drift', record('c', 3000), keep)).toBe(true);
      const ids = async (since: number, limit: number) =>
        (await store.records('drift', since, limit)).map((json) => (JSON.parse(json) as { id: string }).id);
      expect(await ids(0, 10)).toEqual(['a', 'b', 'c']);
      expect(await ids(1500, 10)).toEqual(['b', 'c']);
      // The newest `limit`, still oldest first.
      expect(await ids(0, 2)).toEqual(['b', 'c']);
      expect(JSON.parse((await store.records('drift', 0, 1))[0]!)).not.toHaveProperty('other');
      expect(await store.records('samples', 0, 10)).toEqual([]);
    });

    it('replaces a record of the same id without `once`, and forgets records older than asked', async () => {
      await store.keepRecord('samples', record('s', 1000, { v: 1 }), { ...keep, once: false });
      await store.keepRecord('samples', record('s', 1000, { v: 2 }), { ...keep, once: false });
      expect(
        (await store.records('samples', 0, 10)).map((json) => (JSON.parse(json) as { v: number }).v),
      ).toEqual([2]);
      await store.keepRecord('samples', record('t', 5000), { ...keep, keepSinceMs: 4000 });
      expect(
        (await store.records('samples', 0, 10)).map((json) => (JSON.parse(json) as { id: string }).id),
      ).toEqual(['t']);
    });

    it('queues a shipped record for shipping once, within the queue’s bound', async () => {
      await store.keepRecord('drift', record('x', 1000), { ...keep, ship: true });
      await store.keepRecord('drift', record('x', 1000), { ...keep, ship: true });
      const queued = await store.readUnshipped(10);
      expect(queued.map((q) => JSON.parse(q.json))).toEqual([JSON.parse(record('x', 1000).json)]);
      expect(await store.queueStats()).toEqual({
        pending: 1,
        dropped: 0,
        oldestPendingAt: new Date(1000).toISOString(),
      });
      await store.ack(queued.map((q) => q.queueId));
      expect(await store.readUnshipped(10)).toEqual([]);
      // Never in the /logs view.
      expect((await store.list(all)).total).toBe(0);
    });

    it('keeps small shared values until removed', async () => {
      expect(await store.shared('drift-reference')).toBeNull();
      await store.setShared('drift-reference', '{"kind":"card"}');
      expect(await store.shared('drift-reference')).toBe('{"kind":"card"}');
      await store.setShared('drift-reference', null);
      expect(await store.shared('drift-reference')).toBeNull();
    });
  });
}
