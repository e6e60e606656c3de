import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import { createRedisClient, describeRedis } from './redis-client.factory';

describe(createRedisClient.name, () => {
  let client: Redis;

  afterEach(() => client.disconnect());

  const create = (settings: Parameters<typeof createRedisClient>[0]): Redis => {
    client = createRedisClient(settings) as Redis;
    client.on('error', () => undefined);
    return client;
  };

  it('connects with REDIS_HOST/PORT/DB/PASSWORD and fails commands fast while disconnected', () => {
    const { options } = create({ host: '127.0.0.1', port: 1, db: 5, password: 'secret' });
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 1,
      db: 5,
      password: 'secret',
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
    });
    expect(options.retryStrategy?.(1)).toBe(100);
    expect(options.retryStrategy?.(50)).toBe(1000);
  });

  it('takes everything from REDIS_URL when it is set', () => {
    const { options } = create({
      url: 'redis://:from-url@127.0.0.1:2/7',
      host: 'ignored.example',
      port: 6379,
      db: 0,
      password: 'ignored',
    });
    expect(options).toMatchObject({ host: '127.0.0.1', port: 2, db: 7, password: 'from-url' });
  });

  it('fails a command at once, without queueing it, while Redis does not answer', async () => {
    await expect(create({ host: '127.0.0.1', port: 1, db: 0 }).ping()).rejects.toThrow(/writeable|offline/i);
  });
});

describe(describeRedis.name, () => {
  it.each([
    [{ host: 'cache', port: 6380, db: 0 }, 'cache:6380'],
    [{ host: 'cache', port: 6379, db: 3, password: 'secret' }, 'cache:6379 (database 3)'],
    [{ url: 'redis://:secret@r.example:7000/2', host: 'x', port: 1, db: 0 }, 'r.example:7000 (database 2)'],
    [
      {
        clusterNodes: [
          { host: 'a', port: 7000 },
          { host: 'b', port: 7001 },
        ],
        host: 'x',
        port: 1,
        db: 0,
      },
      'the Redis Cluster of a:7000, b:7001',
    ],
  ])('describes %j as %s, never with the password', (settings, text) => {
    expect(describeRedis(settings)).toBe(text);
  });
});

describe(`${createRedisClient.name} for a cluster`, () => {
  it('makes a Cluster client from REDIS_CLUSTER_NODES, failing commands fast while it is not ready', async () => {
    const cluster = createRedisClient({
      clusterNodes: [{ host: '127.0.0.1', port: 1 }],
      host: 'x',
      port: 1,
      db: 0,
    });
    cluster.on('error', () => undefined);
    expect(cluster).toBeInstanceOf(Cluster);
    expect((cluster as Cluster).options.enableOfflineQueue).toBe(false);
    await expect(cluster.ping()).rejects.toThrow();
    cluster.disconnect();
  });
});
