import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;

/** A client of this machine's Redis, ready to use, on a database no other test file writes to the same keys of. */
export async function testRedis(db: number): Promise<Redis> {
  const client = new Redis({
    host: REDIS_HOST,
    port: REDIS_PORT,
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
