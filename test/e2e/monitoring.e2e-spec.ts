import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { LogStore } from '../../src/log-store/log-store';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { close, createTestApp, listen } from './support/test-app';

const KEY = 'a-long-enough-monitoring-key';

/** Patients whose age goes from 40 to 80, and whose other answers alternate. */
const patients = (n: number, age: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => ({
    ...EXAMPLE_REQUEST,
    AGE: age(i),
    SMOKING: i % 2,
    COUGHING: (i + 1) % 2,
  }));

describe('Drift, dashboard and alerts (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeEach(async () => {
    app = await createTestApp({
      env: { DRIFT_MIN_SAMPLES: '30', DRIFT_WINDOW_SIZE: '40', API_KEY: KEY, API_KEY_REQUIRED_FOR: 'all' },
    });
    url = await listen(app);
  });
  afterEach(() => close(app));

  async function predict(rows: object[]): Promise<void> {
    await request(url).post('/predict/batch').set('X-API-Key', KEY).send({ instances: rows }).expect(200);
    await app.get(RequestLogService).drain();
  }

  it('answers "not enough data" below DRIFT_MIN_SAMPLES, without a key', async () => {
    await predict(patients(29, (i) => 40 + i));
    const res = await request(url).get('/drift').expect(200);
    expect(res.body).toMatchObject({
      status: 'not_enough_data',
      dataset_drift: null,
      features: [],
      window: { size: 29, max_size: 40, min_samples: 30 },
    });
    const page = await request(url).get('/monitoring/drift').expect(200);
    expect(page.text).toContain('Not enough data: drift needs at least 30 logged predictions');
  });

  it('judges the newest DRIFT_WINDOW_SIZE predictions and flags old patients in AGE', async () => {
    await predict(patients(40, (i) => 40 + i));
    await predict(patients(40, () => 88));
    const res = await request(url).get('/drift').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.window.size).toBe(40);
    const age = res.body.features.find((f: { feature: string }) => f.feature === 'AGE');
    expect(age).toMatchObject({ level: 'DRIFT', test: 'ks', current: { mean: 88, count: 40 } });
    expect(res.body.features).toHaveLength(15);
  });

  it('reads the predictions since ?since=, and refuses a bad date with 422', async () => {
    await predict(patients(40, () => 88));
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await request(url).get(`/drift?since=${future}`).expect(200)).body).toMatchObject({
      status: 'not_enough_data',
      window: { size: 0 },
    });
    const past = new Date(Date.now() - 600_000).toISOString();
    expect((await request(url).get(`/drift?since=${past}`).expect(200)).body.window.size).toBe(40);
    const bad = await request(url).get('/api/drift?since=yesterday').expect(422);
    expect(bad.body.detail[0]).toMatchObject({ type: 'datetime_parsing', loc: ['query', 'since'] });
  });

  it('serves the dashboard, its summary and its alerts, with aggregates only', async () => {
    await predict(patients(35, (i) => 45 + i));
    await request(url).post('/predict').set('X-API-Key', KEY).send({ AGE: 'old' }).expect(422);
    await app.get(RequestLogService).drain();
    const summary = (await request(url).get('/monitoring/summary').expect(200)).body;
    expect(summary.predictions.count).toBe(35);
    expect(summary.requests).toMatchObject({ count: 36, errors: 1, server_errors: 0 });
    expect(summary.drift).toMatchObject({ status: 'ok', window_size: 35 });
    expect(summary.alerts.map((a: { name: string }) => a.name)).toEqual([
      'latency_ms',
      'cpu_time_ms',
      'memory_delta_mb',
      'inference_time_ms',
      'shipping_lag_seconds',
      'drift',
    ]);
    expect(JSON.stringify(summary)).not.toMatch(/"(SMOKING|COUGHING|input_data)"/);
    const alerts = (await request(url).get('/monitoring/alerts').expect(200)).body;
    expect(alerts.alerts).toHaveLength(6);
    const page = await request(url).get('/monitoring').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text.match(/<svg /g)?.length).toBe(5);
    expect(page.text).toContain('Alerts');
    expect(page.text).not.toContain('undefined');
  });

  it('does not log its own calls, so that a dashboard refreshing never fills the window', async () => {
    await predict(patients(1, () => 50));
    for (const path of [
      '/drift',
      '/monitoring',
      '/monitoring/summary',
      '/monitoring/alerts',
      '/monitoring/drift',
    ]) {
      await request(url).get(path).expect(200);
    }
    await app.get(RequestLogService).drain();
    const logs = await request(url).get('/logs?limit=100').set('X-API-Key', KEY).expect(200);
    expect(logs.body.logs.map((l: { data: { path: string } }) => l.data.path)).toEqual(['/predict/batch']);
  });

  it('answers 503 with the reason when the log store cannot be read, and keeps serving predictions', async () => {
    const store = app.get(LogStore);
    jest.spyOn(store, 'list').mockRejectedValue(new Error('connection refused'));
    for (const path of ['/drift', '/monitoring', '/monitoring/summary', '/monitoring/alerts']) {
      const res = await request(url).get(path).expect(503);
      expect(res.body.detail).toBe('The request log cannot be read now: connection refused');
    }
    const metrics = (await request(url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^lungcheck_drift_detected Nan$/m); // prom-client writes NaN so; Prometheus reads it
    await request(url).post('/predict').set('X-API-Key', KEY).send(EXAMPLE_REQUEST).expect(200);
  });

  it('publishes the drift verdict to Prometheus', async () => {
    await predict(patients(40, () => 88));
    const metrics = (await request(url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^lungcheck_drift_features [1-9]\d*$/m);
    expect(metrics).toMatch(/^lungcheck_drift_detected [01]$/m);
  });
});
