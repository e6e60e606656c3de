import type Redis from 'ioredis';
import { RedisLogStore, type RedisLogStoreOptions } from '../../src/log-store/redis-log-store';
import type { LogStoreLimits } from '../../src/log-store/memory-log-store';
import { entries, asStored } from '../support/request-log/log-entries';
import { describeLogStoreContract } from '../support/request-log/log-store.contract';
import { testKeys, testRedis } from '../support/request-log/redis';

const DB = 11;

describe(RedisLogStore.name, () => {
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;
  let count = 0;

  beforeAll(async () => {
    redis = await testRedis(DB);
    keys = testKeys(redis, 'redis-log-store');
  });

  afterAll(async () => {
    await keys.cleanUp();
    await redis.quit();
  });

  const storeAt = (
    name: string,
    limits: LogStoreLimits,
    replica: Partial<Pick<RedisLogStoreOptions, 'consumer' | 'claimIdleMs' | 'consumerMaxIdleMs'>> = {},
  ): RedisLogStore =>
    new RedisLogStore(redis, {
      ...limits,
      ...replica,
      viewKey: `${keys.prefix}:${name}:view`,
      streamKey: `${keys.prefix}:${name}:stream`,
    });

  describe('contract', () => {
    describeLogStoreContract({
      create: (limits) => {
        count += 1;
        return Promise.resolve(storeAt(`contract-${count}`, limits));
      },
    });
  });

  const limits = { viewMaxSize: 10, bufferMax: 50 };

  /** The stream's group as Redis sees it. */
  const queue = (name: string) => ({
    pending: async (): Promise<number> =>
      Number(((await redis.xpending(`${keys.prefix}:${name}:stream`, 'shipper')) as [number])[0]),
    consumers: async (): Promise<string[]> =>
      ((await redis.xinfo('CONSUMERS', `${keys.prefix}:${name}:stream`, 'shipper')) as string[][])
        .map((fields) => fields[1])
        .sort(),
  });

  it('writes a retried batch once: the batch it just wrote, appended again, is skipped', async () => {
    const store = storeAt('retry', limits);
    const batch = entries(3);
    const next = entries(2);
    await store.append(asStored(batch), 2);
    await store.append(asStored(batch), 2);
    await store.append(asStored(next));
    await store.append(asStored(next));
    expect((await store.list({ limit: 100, offset: 0 })).logs).toEqual([...batch, ...next].reverse());
    expect(await store.queueStats()).toMatchObject({ pending: 5, dropped: 2 });
    expect(await redis.keys(`${keys.prefix}:retry:stream:last-batch:*`)).toHaveLength(1);
    // Another process (another store instance) writing the same batch is not a retry of this one.
    await storeAt('retry', limits).append(asStored(next));
    expect((await store.queueStats()).pending).toBe(7);
  });

  it('keeps unshipped entries and their delivery state for a new process', async () => {
    const written = entries(4);
    await storeAt('restart', limits).append(asStored(written));
    const delivered = await storeAt('restart', limits).readUnshipped(2);
    const afterRestart = await storeAt('restart', limits).readUnshipped(10);
    // Delivered before the restart: handed out again, marked as such (perhaps stored already).
    expect(afterRestart.slice(0, 2)).toEqual(delivered.map((q) => ({ ...q, redelivered: true })));
    expect(afterRestart.map((q) => JSON.parse(q.json))).toEqual(written);
  });

  describe('several replicas on one queue', () => {
    it('gives each replica its own entries: none is read by two', async () => {
      const a = storeAt('replicas', limits, { consumer: 'replica-a' });
      const b = storeAt('replicas', limits, { consumer: 'replica-b' });
      const written = entries(6);
      await a.append(asStored(written));
      const readByA = await a.readUnshipped(4);
      const readByB = await b.readUnshipped(10);
      expect(readByA.map((q) => JSON.parse(q.json))).toEqual(written.slice(0, 4));
      expect(readByB.map((q) => JSON.parse(q.json))).toEqual(written.slice(4));
      // Each gets its own unacknowledged entries back, never the other's (they are not idle long enough).
      expect((await a.readUnshipped(10)).map((q) => JSON.parse(q.json))).toEqual(written.slice(0, 4));
      expect((await b.readUnshipped(10)).map((q) => JSON.parse(q.json))).toEqual(written.slice(4));
    });

    it('takes over what a replica that died left unacknowledged, once idle for claimIdleMs', async () => {
      const dead = storeAt('claim', limits, { consumer: 'dead' });
      const alive = storeAt('claim', limits, { consumer: 'alive', claimIdleMs: 50 });
      const written = entries(3);
      await dead.append(asStored(written));
      expect(await dead.readUnshipped(2)).toHaveLength(2);
      // Not idle long enough yet: only the entry never delivered.
      expect((await alive.readUnshipped(10)).map((q) => JSON.parse(q.json))).toEqual([written[2]]);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const claimed = await alive.readUnshipped(10);
      // Its own unacknowledged entry first, then the two the dead replica held.
      expect(claimed.map((q) => JSON.parse(q.json))).toEqual([written[2], written[0], written[1]]);
      await alive.ack(claimed.map((q) => q.queueId));
      expect(await queue('claim').pending()).toBe(0);
    });

    it('removes consumers that hold nothing and have been idle past consumerMaxIdleMs, and only those', async () => {
      const gone = storeAt('sweep', limits, { consumer: 'gone' });
      const holding = storeAt('sweep', limits, { consumer: 'holding' });
      await gone.append(asStored(entries(2)));
      await gone.ack((await gone.readUnshipped(1)).map((q) => q.queueId));
      await holding.readUnshipped(1);
      await new Promise((resolve) => setTimeout(resolve, 30));
      await storeAt('sweep', limits, { consumer: 'sweeper', consumerMaxIdleMs: 10 }).readUnshipped(1);
      expect(await queue('sweep').consumers()).toEqual(['holding', 'sweeper']);
    });
  });

  it('recreates its consumer group when the stream was deleted', async () => {
    const store = storeAt('deleted', limits);
    await store.append(asStored(entries(2)));
    await store.readUnshipped(2);
    await redis.del(`${keys.prefix}:deleted:stream`);
    const later = entries(2);
    await store.append(asStored(later));
    expect((await store.readUnshipped(10)).map((q) => JSON.parse(q.json))).toEqual(later);
  });

  it('skips delivered entries trimmed away past bufferMax, whatever their number', async () => {
    const store = storeAt('trimmed', { viewMaxSize: 10, bufferMax: 5 });
    await store.append(asStored(entries(5)));
    await store.readUnshipped(5);
    const newest = entries(5);
    await store.append(asStored(newest));
    expect((await store.readUnshipped(3)).map((q) => JSON.parse(q.json))).toEqual(newest.slice(0, 3));
    expect(await store.queueStats()).toMatchObject({ pending: 5, dropped: 5 });
  });

  it('hands an entry it cannot parse to the shipper as it is (which dead-letters it), never losing it', async () => {
    const store = storeAt('corrupt', limits);
    await store.append(asStored(entries(1)));
    await redis.xadd(`${keys.prefix}:corrupt:stream`, '*', 'entry', 'not a log entry');
    await store.append(asStored(entries(1)));
    const read = await store.readUnshipped(10);
    expect(read.map((q) => q.json)[1]).toBe('not a log entry');
    expect(await store.queueStats()).toMatchObject({ pending: 3, dropped: 0 });
  });

  it('reads queue ids that acknowledge the stream entries', async () => {
    const store = storeAt('ids', limits);
    await store.append(asStored(entries(3)));
    const read = await store.readUnshipped(3);
    read.forEach((q) => expect(q.queueId).toMatch(/^\d+-\d+$/));
    await store.ack(read.map((q) => q.queueId));
    expect(await redis.xlen(`${keys.prefix}:ids:stream`)).toBe(0);
    expect(await redis.xpending(`${keys.prefix}:ids:stream`, 'shipper')).toEqual([0, null, null, null]);
  });
});
