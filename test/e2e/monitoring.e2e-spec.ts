import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { INPUT_FIELDS } from '../../src/features/features';
import { LogStore } from '../../src/log-store/log-store';
import { ALERTS } from '../../src/monitoring/alert.definitions';
import { formatP, type DriftReport } from '../../src/monitoring/drift.engine';
import { DriftService } from '../../src/monitoring/drift.service';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { loggedEntries } from '../support/request-log/wait';
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

/** Ages 30–85 crossed with symptom patterns: enough variety for the two models to disagree somewhere. */
const VARIED = Array.from({ length: 40 }, (_, k) =>
  Object.fromEntries(INPUT_FIELDS.map((f, i) => [f, f === 'AGE' ? 30 + ((k * 7) % 56) : (k >> (i % 6)) & 1])),
);

/** Text as Handlebars writes it in a page. */
const html = (text: string): string =>
  text.replace(
    /[&<>"'`=]/g,
    (c) =>
      ({
        '&': '&amp;',
        '<': '&lt;',
        '>': '&gt;',
        '"': '&quot;',
        "'": '&#x27;',
        '`': '&#x60;',
        '=': '&#x3D;',
      })[c]!,
  );

/** How many times the page holds `needle`. */
const count = (page: string, needle: string): number => page.split(needle).length - 1;

/** Copy that must never show: "(s)" plurals and "1 <plural>". */
const BAD_PLURALS =
  /\(s\)|\b1 (inputs|features|predictions|requests|errors|decisions|patients|disagreements)\b/;

describe('Drift, dashboard and alerts (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeEach(async () => {
    app = await createTestApp({
      env: { DRIFT_MIN_SAMPLES: '30', DRIFT_WINDOW_SIZE: '40', API_KEY: KEY },
    });
    url = await listen(app);
  });
  afterEach(() => close(app));

  async function predict(rows: object[]): Promise<void> {
    await request(url).post('/predict/batch').set('X-API-Key', KEY).send({ instances: rows }).expect(200);
    await app.get(RequestLogService).drain();
  }

  it('answers "not enough data" below DRIFT_MIN_SAMPLES, without a key, and both pages say so', async () => {
    await predict(patients(29, (i) => 40 + i));
    const res = await request(url).get('/drift').expect(200);
    expect(res.body).toMatchObject({
      status: 'not_enough_data',
      dataset_drift: null,
      features: [],
      window: { size: 29, max_size: 40, min_samples: 30 },
    });
    const report = await request(url).get('/monitoring/drift').expect(200);
    expect(report.text).toContain('data-drift="unknown"');
    expect(report.text).toContain(`data-verdict>${html(res.body.verdict)}</p>`);
    expect(report.text).toContain('Not enough data: 29 predictions in the window, 30 needed.');
    expect(report.text).not.toContain('data-feature=');
    const dashboard = await request(url).get('/monitoring').expect(200);
    expect(dashboard.text).toContain('data-drift="unknown"');
    expect(dashboard.text).toContain(
      'All 29 predictions logged so far (the window holds the newest 40, DRIFT_WINDOW_SIZE) and the 29 requests since',
    );
  });

  it('judges the newest DRIFT_WINDOW_SIZE predictions and flags old patients in AGE, on the report page too', async () => {
    await predict(patients(40, (i) => 40 + i));
    await predict(patients(40, () => 88));
    const res = await request(url).get('/drift').expect(200);
    const body = res.body as DriftReport;
    expect(body.status).toBe('ok');
    expect(body.window.size).toBe(40);
    const age = body.features.find((f) => f.feature === 'AGE')!;
    expect(age).toMatchObject({ level: 'DRIFT', test: 'ks', current: { mean: 88, count: 40 } });
    expect(body.features).toHaveLength(15);

    const page = (await request(url).get('/monitoring/drift').expect(200)).text;
    expect(page).toContain(`data-verdict>${html(body.verdict)}</p>`);
    expect(page).toMatch(/<tr data-feature="AGE" data-level="DRIFT">/);
    const row = /<tr data-feature="AGE"[^]*?<\/tr>/.exec(page)![0];
    expect(row).toContain('Kolmogorov–Smirnov');
    expect(row).toContain(html(formatP(age.p_value)));
    expect(row).toContain(html(formatP(age.p_value_adjusted)));
    expect(count(page, '<tr data-feature=')).toBe(15);
    expect(page).toContain('(DRIFT_P_VALUE)');
    expect(page).toContain(`${body.reference.id}`);
    expect(page).toContain('No evaluation kept yet.');
    expect(page).not.toMatch(BAD_PLURALS);
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
    expect(summary.window).toMatchObject({ predictions: 35, max_predictions: 40, requests: 36 });
    expect(summary.drift).toMatchObject({ status: 'ok' });
    expect(summary.timeline.length).toBeGreaterThan(0);
    expect(summary.alerts.map((a: { name: string }) => a.name)).toEqual(ALERTS.map((a) => a.name));
    expect(summary.alerts_window_minutes).toBe(5);
    expect(summary.shadow).toBeNull();
    expect(JSON.stringify(summary)).not.toMatch(/"(SMOKING|COUGHING|input_data)"/);
    const alerts = (await request(url).get('/monitoring/alerts').expect(200)).body;
    expect(alerts).toMatchObject({ window_minutes: 5 });
    expect(alerts.alerts).toHaveLength(ALERTS.length);

    const page = await request(url).get('/monitoring').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['cache-control']).toBe('no-store');
    const text = page.text;
    expect(text).toContain(`data-verdict>${html(summary.drift.verdict)}</p>`);
    expect(text).toContain('Judged over the last 5 minutes, every replica together');
    for (const alert of ALERTS) {
      expect(text).toContain(`<tr data-alert="${alert.name}">`);
      expect(text).toContain(html(alert.quantity));
    }
    for (const panel of [
      'drift',
      'prediction-drift',
      'alerts',
      'traffic',
      'drift-history',
      'shadow',
      'shipping',
    ]) {
      expect([panel, count(text, `data-panel="${panel}"`)]).toEqual([panel, 1]);
    }
    // Every chart has its numbers in a table; none is drawn inline-styled (the CSP forbids it).
    const charts = count(text, '<svg xmlns');
    expect(charts).toBeGreaterThanOrEqual(5);
    expect(count(text, '<details class="numbers"')).toBe(charts);
    expect(text).not.toContain('style=');
    expect(text).toContain('No shadow model: set SHADOW_MODEL');
    expect(text).toContain('No evaluation kept yet.');
    expect(text).not.toContain('undefined');
    expect(text).not.toMatch(BAD_PLURALS);
  });

  it('draws the kept drift evaluations on both pages, and publishes the newest to Prometheus', async () => {
    await predict(patients(40, () => 88));
    const drift = app.get(DriftService);
    const now = Date.now();
    for (const ago of [120_000, 60_000, 0]) {
      await drift.evaluate(new Date(now - ago));
    }
    const history = (await request(url).get('/drift/history').expect(200)).body.evaluations;
    expect(history).toHaveLength(3);

    const dashboard = (await request(url).get('/monitoring').expect(200)).text;
    expect(dashboard).toContain('data-chart="drift-history"');
    expect(dashboard).toContain('Inputs in DRIFT over the last day');
    expect(dashboard).not.toContain('No evaluation kept yet.');
    const report = (await request(url).get('/monitoring/drift').expect(200)).text;
    expect(report).toContain('data-chart="history-prediction"');
    expect(count(report, 'data-chart="history-')).toBe(16);
    expect(report).toContain('>DRIFT below 0.05<');

    const metrics = (await request(url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^lungcheck_drift_features [1-9]\d*$/m);
    expect(metrics).toMatch(/^lungcheck_drift_detected [01]$/m);
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
});

describe('Dashboard with a shadow model (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({ env: { SHADOW_MODEL: 'random_forest', DRIFT_MIN_SAMPLES: '30' } });
    url = await listen(app);
  });
  afterAll(() => close(app));

  it('shows the agreement with the served model and the newest disagreements, without transaction ids', async () => {
    await request(url).post('/predict/batch').send({ instances: VARIED }).expect(200);
    await loggedEntries(app, 1);
    const { shadow } = (await request(url).get('/monitoring/summary').expect(200)).body;
    expect(shadow).toMatchObject({ shadow_model: 'random_forest', compared: 40 });
    const page = (await request(url).get('/monitoring').expect(200)).text;
    const panel = /<section class="panel" data-panel="shadow"[^]*?<\/section>/.exec(page)![0];
    expect(panel).toContain(html(shadow.shadow_model));
    expect(panel).toContain('<dt>Compared</dt><dd>40 predictions</dd>');
    expect(panel).toContain(`<dt>Agreement</dt><dd>${(shadow.agreement_rate * 100).toFixed(1)} %</dd>`);
    expect(panel).toContain('<dt>Mean |Δp| (probability difference)</dt>');
    expect(shadow.disagreements.length).toBeGreaterThan(0);
    expect(count(panel, '<tr>') - 1).toBe(shadow.disagreements.length);
    expect(panel).not.toMatch(/transaction|[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(page).not.toContain('No shadow model');
  });
});
