import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

/**
 * The Redis the tests use: TEST_REDIS_URL, which the integration tier's global set-up points at a redis-server of its
 * own on a free port (test/integration/test-redis.ts) unless it was given one, so that a developer's own Redis is
 * never touched. Databases 10 to 14 are the tests'.
 */
function testRedisUrl(): URL {
  const url = process.env.TEST_REDIS_URL;
  if (!url) {
    throw new Error(
      'TEST_REDIS_URL is not set: the integration tier sets it up (jest --selectProjects integration)',
    );
  }
  return new URL(url);
}

export const REDIS_HOST = process.env.TEST_REDIS_URL ? testRedisUrl().hostname : '127.0.0.1';
export const REDIS_PORT = process.env.TEST_REDIS_URL ? Number(testRedisUrl().port || 6379) : 0;

/** A client of the test Redis, ready to use, on a database no other test file writes to the same keys of. */
export async function testRedis(db: number): Promise<Redis> {
  const url = testRedisUrl();
  const client = new Redis({
    host: url.hostname,
    port: Number(url.port || 6379),
    password: url.password || undefined,
    db,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  await client.connect();
  return client;
}

/** Keys of one test: a prefix nobody else uses, and a way to delete everything under it. */
export function testKeys(client: Redis, name: string): { prefix: string; cleanUp(): Promise<void> } {
  const prefix = `test:${name}:${randomUUID()}`;
  return {
    prefix,
    async cleanUp() {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) {
        await client.del(...keys);
      }
    },
  };
}
