import type { NestExpressApplication } from '@nestjs/platform-express';
import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import type { LogEntry } from '../../src/log-store/log-entry';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { close, createTestApp, listen } from '../e2e/support/test-app';
import { freePort, RedisServer, startRedisServer } from '../support/request-log/redis-server';
import { waitFor } from '../support/wait-for';

const REQUESTS = 5000;
const CONCURRENCY = 10;
const STREAM_KEY = 'killed:stream';

/**
 * Redis SIGKILLed in the middle of 5 000 predictions (it writes every command to its append-only file, fsync
 * always), then started again on its data: no prediction fails, and every one of the 5 000 entries is in the stream
 * once, whatever was in flight when it died.
 */
describe('Redis killed in the middle of a run', () => {
  let app: NestExpressApplication;
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'lungcheck-redis-killed-'));

  afterAll(async () => {
    redis?.disconnect();
    await close(app);
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every prediction and keeps every entry once through the kill and the restart', async () => {
    const port = await freePort();
    server = await startRedisServer(port, dataDir);
    app = await createTestApp({
      env: {
        MODEL_POOL_SIZE: '2',
        RATE_LIMIT_PER_MINUTE: '0',
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(port),
        REDIS_LOG_STREAM_KEY: STREAM_KEY,
      },
    });
    const url = await listen(app);
    await waitFor('the service to connect to Redis', async () => {
      const health = (await (await fetch(`${url}/health`)).json()) as { redis_connected: boolean };
      return health.redis_connected;
    });

    const statuses: number[] = [];
    let next = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        const i = next;
        next += 1;
        if (i === 2000 && !killed) {
          killed = true;
          await server!.kill();
        }
        if (i === 3500) {
          server = await startRedisServer(port, dataDir);
        }
        const res = await fetch(`${url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `k-${i}` },
          body: JSON.stringify(EXAMPLE_REQUEST),
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(statuses.length).toBe(REQUESTS);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);

    const recorder = app.get(RequestLogService);
    await waitFor('every entry written to Redis', () => recorder.pipeline().buffered === 0, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    redis = new Redis({ host: '127.0.0.1', port });
    const ids = (await redis.xrange(STREAM_KEY, '-', '+')).map(
      ([, fields]) => (JSON.parse(fields[1]) as LogEntry).data.transaction_id,
    );
    expect(ids.length).toBe(REQUESTS);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: REQUESTS }, (_, i) => `k-${i}`)));
    expect(recorder.pipeline()).toMatchObject({ dropped: 0 });
    expect(recorder.pipeline().writeFailures).toBeGreaterThan(0);
    process.stdout.write(
      `Redis SIGKILLed after 2 000 of ${REQUESTS} predictions, back at 3 500: ${statuses.length} answered 200, ` +
        `${ids.length} entries in the stream, none twice, ${recorder.pipeline().writeFailures} failed writes retried\n`,
    );
  }, 240_000);
});
