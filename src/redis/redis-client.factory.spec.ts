import type Redis from 'ioredis';
import { createRedisClient } from './redis-client.factory';

describe(createRedisClient.name, () => {
  let client: Redis;

  afterEach(() => client.disconnect());

  const create = (settings: Parameters<typeof createRedisClient>[0]): Redis => {
    client = createRedisClient(settings);
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
