import type { NestExpressApplication } from '@nestjs/platform-express';
import Redis from 'ioredis';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import type { LogEntry } from '../../src/log-store/log-entry';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { close, createTestApp, listen } from '../e2e/support/test-app';
import { freePort, startRedisServer } from '../support/request-log/redis-server';
import { waitFor } from '../support/wait-for';

const PREDICTIONS = 500;
const VIEW_KEY = 'outage:view';
const STREAM_KEY = 'outage:stream';

const requestId = (i: number): string => `outage-${String(i).padStart(4, '0')}`;

/**
 * Redis down when the service starts and during 500 predictions: every prediction succeeds, /health says
 * degraded, the entries wait in memory; once a redis-server starts on that port, all 500 reach it, in order, once.
 */
describe('request log through a Redis outage', () => {
  let app: NestExpressApplication;
  let url: string;
  let port: number;
  let server: { stop(): Promise<void> } | undefined;
  let redis: Redis | undefined;

  beforeAll(async () => {
    port = await freePort();
    app = await createTestApp({
      env: {
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(port),
        REDIS_LOGS_KEY: VIEW_KEY,
        REDIS_LOG_STREAM_KEY: STREAM_KEY,
      },
    });
    url = await listen(app);
  });

  afterAll(async () => {
    await close(app);
    redis?.disconnect();
    await server?.stop();
  });

  it('answers every prediction while Redis is down and writes all their entries, in order, once it is back', async () => {
    const health = await request(url).get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'degraded', redis_connected: false, model_loaded: true });

    for (let i = 0; i < PREDICTIONS; i += 1) {
      await request(url).post('/predict').set('X-Request-Id', requestId(i)).send(EXAMPLE_REQUEST).expect(200);
    }
    const recorder = app.get(RequestLogService);
    await waitFor(
      `${PREDICTIONS} entries buffered in memory`,
      () => recorder.pipeline().buffered >= PREDICTIONS,
    );
    expect(recorder.pipeline()).toMatchObject({ buffered: PREDICTIONS, dropped: 0, redisConnected: false });
    const refused = await request(url).get('/logs').expect(503).expect('Retry-After', '5');
    expect(refused.body.detail).toBe(
      `Redis at 127.0.0.1:${port} does not answer, so the logs cannot be read. Predictions go on: their log ` +
        `entries wait in this process (${PREDICTIONS} buffered) and are written once Redis is back. Retry in 5 s.`,
    );
    expect(recorder.pipeline().writeFailures).toBeGreaterThan(0);

    server = await startRedisServer(port);
    await waitFor('the buffered entries to be written to Redis', () => recorder.pipeline().buffered === 0, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });

    redis = new Redis({ host: '127.0.0.1', port });
    const streamed = (await redis.xrange(STREAM_KEY, '-', '+')).map(
      ([, fields]) => JSON.parse(fields[1]) as LogEntry,
    );
    const expected = Array.from({ length: PREDICTIONS }, (_, i) => requestId(i));
    expect(streamed.map((entry) => entry.data.transaction_id)).toEqual(expected);
    expect(new Set(streamed.map((entry) => entry.id)).size).toBe(PREDICTIONS);
    expect(streamed.every((entry) => entry.data.path === '/predict' && entry.data.status_code === 200)).toBe(
      true,
    );

    const view = (await redis.lrange(VIEW_KEY, 0, -1)).map((text) => JSON.parse(text) as LogEntry);
    expect(view.map((entry) => entry.data.transaction_id)).toEqual([...expected].reverse());

    const healthy = await request(url).get('/health').expect(200);
    expect(healthy.body).toMatchObject({ status: 'healthy', redis_connected: true });
    const logs = await request(url).get('/logs?limit=3').expect(200);
    expect(logs.body.total).toBe(PREDICTIONS);
    expect(logs.body.logs.map((entry: LogEntry) => entry.data.transaction_id)).toEqual(
      [497, 498, 499].reverse().map(requestId),
    );
  });
});
