import type { NestExpressApplication } from '@nestjs/platform-express';
import type Redis from 'ioredis';
import { INPUT_FIELDS } from '../../src/features/features';
import type { LogEntry } from '../../src/log-store/log-entry';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { close, createTestApp, listen } from '../e2e/support/test-app';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';
import { waitFor } from '../support/wait-for';

const DB = 14;
const PREDICTIONS = 10_000;
const CONCURRENCY = 16;

/**
 * Issue 4's "done when": 10 000 predictions over HTTP leave exactly 10 000 prediction entries in the shipping
 * queue, and the newest 1000 in /logs (the default REDIS_LOGS_MAX_SIZE).
 */
describe('request log: 10 000 predictions', () => {
  let app: NestExpressApplication;
  let url: string;
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;

  beforeAll(async () => {
    redis = await testRedis(DB);
    keys = testKeys(redis, 'request-log-10k');
    app = await createTestApp({
      env: {
        REDIS_HOST,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_DB: String(DB),
        REDIS_LOGS_KEY: `${keys.prefix}:view`,
        REDIS_LOG_STREAM_KEY: `${keys.prefix}:stream`,
        // 10 000 requests from one address in well under a minute: above the default rate limit.
        RATE_LIMIT_PER_MINUTE: '0',
      },
    });
    url = await listen(app);
  });

  afterAll(async () => {
    await close(app);
    await keys.cleanUp();
    await redis.quit();
  });

  it('queues exactly 10 000 prediction entries and shows the newest 1000', async () => {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < PREDICTIONS; i = next++) {
        const body = Object.fromEntries(
          INPUT_FIELDS.map((f) => [f, f === 'AGE' ? 20 + (i % 71) : (i >> 3) & 1]),
        );
        const res = await fetch(`${url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `done-${i}` },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const streamKey = `${keys.prefix}:stream`;
    await waitFor(
      `${PREDICTIONS} entries in the Redis stream`,
      async () =>
        (await redis.xlen(streamKey)) >= PREDICTIONS && app.get(RequestLogService).pipeline().buffered === 0,
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    const queued = (await redis.xrange(streamKey, '-', '+')).map(
      ([, fields]) => JSON.parse(fields[1]) as LogEntry,
    );
    expect(queued).toHaveLength(PREDICTIONS);
    expect(queued.every((entry) => entry.data.path === '/predict' && entry.data.status_code === 200)).toBe(
      true,
    );
    const transactions = new Set(queued.map((entry) => entry.data.transaction_id));
    expect(transactions.size).toBe(PREDICTIONS);
    expect(transactions).toEqual(new Set(Array.from({ length: PREDICTIONS }, (_, i) => `done-${i}`)));

    const res = await fetch(`${url}/logs?limit=1000`);
    const logs = (await res.json()) as { total: number; logs: LogEntry[] };
    expect(logs.total).toBe(1000);
    expect(logs.logs.map((entry) => entry.id)).toEqual(
      queued
        .slice(-1000)
        .reverse()
        .map((entry) => entry.id),
    );
  }, 300_000);
});
