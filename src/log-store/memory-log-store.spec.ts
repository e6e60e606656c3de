import { describeLogStoreContract } from '../../test/support/request-log/log-store.contract';
import { entries, asStored } from '../../test/support/request-log/log-entries';
import { MemoryLogStore } from './memory-log-store';

describe(MemoryLogStore.name, () => {
  describeLogStoreContract({ create: (limits) => Promise.resolve(new MemoryLogStore(limits)) });

  describe('of its own', () => {
    const limits = { viewMaxSize: 100, bufferMax: 100 };

    it('starts with an empty view', async () => {
      const store = new MemoryLogStore(limits);
      expect(await store.clearView()).toBe(0);
      expect(await store.list({ limit: 10, offset: 0 })).toEqual({ total: 0, logs: [] });
    });

    it('gives queue ids that sort as strings in the order entries were appended', async () => {
      const store = new MemoryLogStore(limits);
      await store.append(asStored(entries(12)));
      const queueIds = (await store.readUnshipped(100)).map((q) => q.queueId);
      expect(queueIds[0]).toBe('0000000000000001');
      expect(queueIds[11]).toBe('0000000000000012');
      expect([...queueIds].sort()).toEqual(queueIds);
    });

    it('bounds the queue in bytes of JSON: the oldest go first, counted, and acknowledged entries free theirs', async () => {
      const stored = asStored(entries(9));
      const ids = (from: number, to: number): string[] => stored.slice(from, to).map((e) => e.id);
      const bytes = (from: number, to: number): number =>
        stored.slice(from, to).reduce((n, e) => n + e.json.length, 0);
      // Room for exactly the JSON of entries 2 to 4.
      const store = new MemoryLogStore({ ...limits, bufferMaxBytes: bytes(2, 5) });
      await store.append(stored.slice(0, 5));
      const first = await store.readUnshipped(10);
      expect(first.map((q) => JSON.parse(q.json).id)).toEqual(ids(2, 5));
      expect(await store.queueStats()).toMatchObject({ pending: 3, dropped: 2 });

      await store.ack(first.slice(0, 2).map((q) => q.queueId));
      await store.append(stored.slice(5, 9));
      // Entry 4 and the four new ones hold more than the bound: the oldest go until the rest fits.
      const kept = (await store.readUnshipped(10)).map((q) => JSON.parse(q.json).id);
      let expected = 4;
      while (bytes(expected, 9) > bytes(2, 5)) {
        expected += 1;
      }
      expect(kept).toEqual(ids(expected, 9));
      expect(await store.queueStats()).toMatchObject({ pending: 9 - expected, dropped: 2 + expected - 4 });
      // The view is not the queue: it keeps every entry, newest first.
      const view = await store.list({ limit: 20, offset: 0 });
      expect(view.total).toBe(9);
      expect(view.logs.map((e) => e.id)).toEqual(ids(0, 9).reverse());
    });

    it('keeps dropping the oldest correctly past the point where it compacts its queue', async () => {
      const store = new MemoryLogStore({ viewMaxSize: 10, bufferMax: 10 });
      const stored = asStored(entries(3000));
      for (let i = 0; i < 3000; i += 100) {
        await store.append(stored.slice(i, i + 100));
      }
      const kept = await store.readUnshipped(20);
      expect(kept.map((q) => JSON.parse(q.json).id)).toEqual(stored.slice(2990).map((e) => e.id));
      expect(kept[0]!.queueId).toBe('0000000000002991');
      expect(await store.queueStats()).toMatchObject({ pending: 10, dropped: 2990 });
    });
  });
});
