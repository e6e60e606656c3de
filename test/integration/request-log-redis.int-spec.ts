import type { NestExpressApplication } from '@nestjs/platform-express';
import type Redis from 'ioredis';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import type { LogEntry } from '../../src/log-store/log-entry';
import { LogStore } from '../../src/log-store/log-store';
import { close, createTestApp, listen } from '../e2e/support/test-app';
import { REDIS_HOST, REDIS_PORT, testKeys, testRedis } from '../support/request-log/redis';
import { loggedEntries } from '../support/request-log/wait';
import { waitFor } from '../support/wait-for';

const DB = 14;
const VIEW_MAX = 20;

/** Every API call recorded in the real Redis: the entries as stored, the view's cap, the queue beside it. */
describe('request log in Redis', () => {
  let app: NestExpressApplication;
  let url: string;
  let redis: Redis;
  let keys: ReturnType<typeof testKeys>;
  let viewKey: string;
  let streamKey: string;

  beforeAll(async () => {
    redis = await testRedis(DB);
    keys = testKeys(redis, 'request-log-redis');
    viewKey = `${keys.prefix}:view`;
    streamKey = `${keys.prefix}:stream`;
    app = await createTestApp({
      env: {
        REDIS_HOST,
        REDIS_PORT: String(REDIS_PORT),
        REDIS_DB: String(DB),
        REDIS_LOGS_KEY: viewKey,
        REDIS_LOG_STREAM_KEY: streamKey,
        REDIS_LOGS_MAX_SIZE: String(VIEW_MAX),
      },
    });
    url = await listen(app);
    await waitFor('the service to connect to Redis', async () => {
      const health = await request(url).get('/health');
      return health.body.redis_connected === true;
    });
  });

  afterAll(async () => {
    await close(app);
    await keys.cleanUp();
    await redis.quit();
  });

  const stored = async (): Promise<{ view: LogEntry[]; stream: LogEntry[] }> => ({
    view: (await redis.lrange(viewKey, 0, -1)).map((text) => JSON.parse(text) as LogEntry),
    stream: (await redis.xrange(streamKey, '-', '+')).map(([, fields]) => JSON.parse(fields[1]) as LogEntry),
  });

  it('reports Redis connected and the service healthy', async () => {
    const res = await request(url).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'healthy',
      redis_connected: true,
      request_log: { store: 'redis' },
    });
  });

  it('stores predict, predict_proba, a 422 and a 404 with every field, in the view and the queue', async () => {
    await app.get(LogStore).clearView();
    const before = (await stored()).stream.length;
    const predict = await request(url)
      .post('/predict')
      .set('X-Request-Id', 'int-predict')
      .send(EXAMPLE_REQUEST);
    const proba = await request(url)
      .post('/api/predict_proba')
      .set('X-Request-Id', 'int-proba')
      .send(EXAMPLE_REQUEST);
    const refused = await request(url)
      .post('/predict')
      .set('X-Request-Id', 'int-422')
      .send({ ...EXAMPLE_REQUEST, GENDER: 2 });
    const missing = await request(url).delete('/predict/nothing').set('X-Request-Id', 'int-404');
    expect([predict.status, proba.status, refused.status, missing.status]).toEqual([200, 200, 422, 404]);
    await loggedEntries(app, 4);

    const { view, stream } = await stored();
    const byTx = new Map(view.map((entry) => [entry.data.transaction_id, entry]));
    expect(stream.slice(before)).toEqual([...view].reverse());

    const fields = [
      'transaction_id',
      'method',
      'path',
      'status_code',
      'latency_ms',
      'execution_time_ms',
      'input_data',
      'result',
      'model',
    ];
    for (const entry of view) {
      expect(Object.keys(entry).sort()).toEqual(['data', 'id', 'level', 'message', 'timestamp']);
      expect(Object.keys(entry.data).sort()).toEqual([...fields, 'performance_metrics'].sort());
    }
    for (const [tx, res, path] of [
      ['int-predict', predict, '/predict'],
      ['int-proba', proba, '/predict_proba'],
    ] as const) {
      const entry = byTx.get(tx)!;
      expect(entry).toMatchObject({ level: 'INFO', data: { path, status_code: 200, result: res.body } });
      expect(entry.data.input_data).toEqual(EXAMPLE_REQUEST);
      const metrics = entry.data.performance_metrics!;
      expect(metrics.inference_time_ms).toBeGreaterThan(0);
      expect(metrics.cpu_time_ms).toBeGreaterThan(0);
      expect(metrics.memory_mb).toBeGreaterThan(0);
      expect(metrics.latency_ms).toBeGreaterThanOrEqual(metrics.inference_time_ms);
      expect(metrics.top_functions.length).toBeGreaterThan(0);
    }
    expect(byTx.get('int-422')).toMatchObject({
      level: 'WARNING',
      data: { status_code: 422, result: refused.body, model: null, performance_metrics: null },
    });
    expect(byTx.get('int-404')).toMatchObject({
      level: 'WARNING',
      data: {
        method: 'DELETE',
        path: '/predict/nothing',
        status_code: 404,
        input_data: null,
        result: missing.body,
      },
    });
  });

  it('keeps REDIS_LOGS_MAX_SIZE entries in /logs while the queue keeps every unshipped one', async () => {
    const queued = (await stored()).stream.length;
    const count = VIEW_MAX * 3;
    for (let i = 0; i < count; i += 1) {
      await request(url)
        .post('/predict')
        .set('X-Request-Id', `cap-${i}`)
        .send({ ...EXAMPLE_REQUEST, AGE: 20 + i })
        .expect(200);
    }
    await waitFor(
      `${queued + count} entries in the stream`,
      async () => (await redis.xlen(streamKey)) >= queued + count,
    );
    const logs = await request(url).get('/logs?limit=1000').expect(200);
    expect(logs.body.total).toBe(VIEW_MAX);
    expect(logs.body.logs.map((entry: LogEntry) => entry.data.transaction_id)).toEqual(
      Array.from({ length: VIEW_MAX }, (_, i) => `cap-${count - 1 - i}`),
    );
    const stats = await request(url).get('/logs/stats').expect(200);
    expect(stats.body).toMatchObject({
      total: VIEW_MAX,
      pending_ship: queued + count,
      dropped: 0,
      store: 'redis',
    });
    const unshipped = await app.get(LogStore).readUnshipped(100_000);
    expect(unshipped.slice(-count).map((q) => (JSON.parse(q.json) as LogEntry).data.transaction_id)).toEqual(
      Array.from({ length: count }, (_, i) => `cap-${i}`),
    );
  });
});
