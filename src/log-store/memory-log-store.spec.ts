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
  });
});
