import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { HEALTH_CHECK_TIMEOUT_MS } from '../../src/health/health.service';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { close, createTestApp, listen } from '../e2e/support/test-app';
import { freePort, RedisServer, startRedisServer } from '../support/request-log/redis-server';
import { waitFor } from '../support/wait-for';

/** The Redis command timeout (src/redis/redis-client.factory.ts): an unbounded check would wait this long. */
const REDIS_COMMAND_TIMEOUT_MS = 5000;

describe('/health with a frozen Redis', () => {
  let app: NestExpressApplication;
  let url: string;
  let redis: RedisServer;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    app = await createTestApp({
      env: { MODEL_POOL_SIZE: '1', REDIS_HOST: '127.0.0.1', REDIS_PORT: String(port) },
    });
    url = await listen(app);
    await waitFor(
      'the service to connect to Redis',
      async () => (await request(url).get('/health')).body.redis_connected,
    );
  });
  afterAll(async () => {
    redis.thaw();
    await close(app);
    await redis.stop();
  });

  it('answers degraded within its bound while Redis answers nothing (SIGSTOP), and predictions go on', async () => {
    redis.freeze();
    const started = Date.now();
    const health = await request(url).get('/health').expect(200);
    const tookMs = Date.now() - started;
    expect(health.body).toMatchObject({ status: 'degraded', redis_connected: false, model_loaded: true });
    // Bounded by the check's own timeout, far from the command timeout a plain PING would wait for.
    expect(tookMs).toBeLessThan((HEALTH_CHECK_TIMEOUT_MS + REDIS_COMMAND_TIMEOUT_MS) / 2 + 1500);
    process.stdout.write(`/health with Redis frozen (SIGSTOP): degraded in ${tookMs} ms\n`);
    await request(url).get('/health/ready').expect(200);
    await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);

    redis.thaw();
    await waitFor('/health to say healthy again', async () =>
      (await request(url).get('/health')).body.status === 'healthy' ? true : undefined,
    );
  });

  it('answers within its budget by the server’s own clock while predictions load it and Redis is frozen', async () => {
    redis.freeze();
    try {
      let loading = true;
      const load = Array.from({ length: 10 }, async () => {
        while (loading) {
          await request(url).post('/predict').send(EXAMPLE_REQUEST);
        }
      });
      const healths = [];
      for (let i = 0; i < 5; i++) {
        healths.push((await request(url).get('/health').expect(200)).body.status);
      }
      loading = false;
      await Promise.all(load);
      expect(healths).toEqual(Array(5).fill('degraded'));
      // The server-side durations (first byte in to last byte out) of those five, from /metrics: none past 1 s,
      // the check's budget (HEALTH_CHECK_TIMEOUT_MS, counted from the request's arrival) plus a margin.
      const scrape = (await request(url).get('/metrics').expect(200)).text;
      const bucket = (le: string): number =>
        Number(
          new RegExp(
            `^lungcheck_http_request_duration_seconds_bucket\\{le="${le.replace('+', '\\+')}",method="GET",route="/health"\\} (\\d+)`,
            'm',
          ).exec(scrape)?.[1],
        );
      expect(bucket('+Inf')).toBeGreaterThanOrEqual(5);
      expect(bucket('1')).toBe(bucket('+Inf'));
      process.stdout.write(
        `/health under load with Redis frozen: ${bucket('1')} of ${bucket('+Inf')} within 1 s\n`,
      );
    } finally {
      redis.thaw();
    }
  });
});
