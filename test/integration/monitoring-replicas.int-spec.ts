import type { NestExpressApplication } from '@nestjs/platform-express';
import type Redis from 'ioredis';
import request from 'supertest';
import { LogStore } from '../../src/log-store/log-store';
import { AlertsService } from '../../src/monitoring/alerts.service';
import { DriftService } from '../../src/monitoring/drift.service';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { close, createTestApp, listen } from '../e2e/support/test-app';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';

const DB = 13;
const KEY = 'replicas-monitoring-key-0123456789';

/**
 * Two replicas on one real Redis: one drift evaluation kept per period whichever evaluates first, one reference for
 * both once chosen on either, and alerts that count both replicas' predictions.
 */
describe('monitoring across replicas on one Redis', () => {
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;
  const apps: NestExpressApplication[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    redis = await testRedis(DB);
    keys = testKeys(redis, 'monitoring-replicas');
    for (const name of ['replica-a', 'replica-b']) {
      const app = await createTestApp({
        env: {
          REDIS_HOST,
          REDIS_PORT: String(REDIS_PORT),
          REDIS_DB: String(DB),
          REDIS_LOGS_KEY: `${keys.prefix}:view`,
          REDIS_LOG_STREAM_KEY: `${keys.prefix}:stream`,
          HOSTNAME: name,
          API_KEY: KEY,
          DRIFT_WINDOW_SIZE: '20',
          DRIFT_MIN_SAMPLES: '20',
          DRIFT_EVALUATE_SECONDS: '3600',
        },
      });
      apps.push(app);
      urls.push(await listen(app));
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => close(app)));
    await keys.cleanUp();
    await redis.quit();
  });

  it('keeps one evaluation per period, queued once for shipping, whichever replica evaluates first', async () => {
    const at = new Date();
    const [a, b] = await Promise.all(apps.map((app) => app.get(DriftService).evaluate(at)));
    expect([a!.kept, b!.kept].sort()).toEqual([false, true]);
    expect(a!.evaluation.id).toBe(b!.evaluation.id);
    for (const url of urls) {
      const history = (await request(url).get('/drift/history').expect(200)).body.evaluations as {
        id: string;
      }[];
      expect(history.map((e) => e.id)).toEqual([a!.evaluation.id]);
    }
    const queued = await apps[0]!.get(LogStore).readUnshipped(100);
    expect(queued.filter((q) => JSON.parse(q.json).id === a!.evaluation.id)).toHaveLength(1);
  });

  it('uses on every replica the reference chosen on one', async () => {
    const from = new Date().toISOString();
    for (let i = 0; i < 20; i++) {
      await request(urls[i % 2]!)
        .post('/predict')
        .send({ ...EXAMPLE_REQUEST, AGE: 70 + (i % 5) })
        .expect(200);
    }
    // Both replicas' entries written (drain), whatever the other tests logged before.
    await Promise.all(apps.map((app) => app.get(RequestLogService).drain()));
    const to = new Date().toISOString();
    await request(urls[0]!)
      .post('/drift/reference')
      .set('X-API-Key', KEY)
      .send({ reference: 'window', from, to })
      .expect(200);
    const other = (await request(urls[1]!).get('/drift/reference').expect(200)).body;
    expect(other).toMatchObject({ source: 'chosen at run time', reference: { kind: 'window', rows: 20 } });
    await request(urls[1]!)
      .post('/drift/reference')
      .set('X-API-Key', KEY)
      .send({ reference: 'default' })
      .expect(200);
    expect((await request(urls[0]!).get('/drift/reference').expect(200)).body.reference.kind).toBe('card');
  });

  it('judges the alerts over both replicas: the predictions of each count in the CPU per prediction', async () => {
    for (const app of apps) {
      await app.get(AlertsService).keepSample();
    }
    for (let i = 0; i < 6; i++) {
      await request(urls[i % 2]!)
        .post('/predict')
        .send(EXAMPLE_REQUEST)
        .expect(200);
    }
    await apps[1]!.get(AlertsService).keepSample();
    const alerts = (await request(urls[0]!).get('/monitoring/alerts').expect(200)).body.alerts as {
      name: string;
      value: number | null;
    }[];
    const cpu = alerts.find((a) => a.name === 'cpu_time_ms')!;
    const latency = alerts.find((a) => a.name === 'latency_ms')!;
    expect(cpu.value).toBeGreaterThan(0);
    expect(latency.value).toBeGreaterThan(0);
    const samples = (await apps[0]!.get(LogStore).records('samples', 0, 1000)).map(
      (json) => JSON.parse(json) as { replica: string },
    );
    expect(new Set(samples.map((s) => s.replica))).toEqual(new Set(['replica-a', 'replica-b']));
  });
});
