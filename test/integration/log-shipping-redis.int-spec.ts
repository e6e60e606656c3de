import type Redis from 'ioredis';
import { RedisLogStore } from '../../src/request-log/redis-log-store';
import { testKeys, testRedis } from '../support/request-log/redis';
import { describeShippingScenarios } from '../support/log-shipping/shipping-scenarios';

/** The shipping scenarios with the queue in this machine's Redis (a stream with a consumer group). */
const DB = 12;

describeShippingScenarios('RedisLogStore on the real Redis', async () => {
  const redis = await testRedis(DB);
  const keys = testKeys(redis, 'log-shipping');
  const options = {
    viewKey: `${keys.prefix}:view`,
    streamKey: `${keys.prefix}:stream`,
    viewMaxSize: 1000,
    bufferMax: 100_000,
  };
  const restarted: Redis[] = [];
  return {
    store: new RedisLogStore(redis, options),
    reopen: async () => {
      const client = await testRedis(DB);
      restarted.push(client);
      return new RedisLogStore(client, options);
    },
    close: async () => {
      await keys.cleanUp();
      await Promise.all([redis, ...restarted].map((c) => c.quit()));
    },
  };
});
