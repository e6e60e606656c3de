import type { NestExpressApplication } from '@nestjs/platform-express';
import { connect } from 'node:net';
import request from 'supertest';
import type { LogEntry } from '../../src/log-store/log-entry';
import { LOGGED_JSON_MAX_CHARS } from '../../src/request-log/log-entry.factory';
import { LogStore } from '../../src/log-store/log-store';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { logEntry, asStored } from '../support/request-log/log-entries';
import { loggedEntries } from '../support/request-log/wait';
import { close, createTestApp, listen } from './support/test-app';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const API_KEY = 'an-api-key-of-some-length';

/** The example answers under the spellings clients also send: underscores, lower case, extra spaces. */
const MIXED_SPELLINGS: Record<string, number> = {
  ...EXAMPLE_REQUEST,
  'ALCOHOL CONSUMING': undefined as unknown as number,
  ALCOHOL_CONSUMING: 1,
  'CHEST PAIN': undefined as unknown as number,
  'chest pain ': 1,
};
for (const key of Object.keys(MIXED_SPELLINGS)) {
  if (MIXED_SPELLINGS[key] === undefined) {
    delete MIXED_SPELLINGS[key];
  }
}

/** The answers as the log stores them: canonical names, in the order the client sent them. */
const canonicalOrder = (): Record<string, number> =>
  Object.fromEntries(
    Object.entries(MIXED_SPELLINGS).map(([key, value]) => [
      key === 'ALCOHOL_CONSUMING' ? 'ALCOHOL CONSUMING' : key === 'chest pain ' ? 'CHEST PAIN' : key,
      value,
    ]),
  );

function expectProfiled(entry: LogEntry): void {
  const metrics = entry.data.performance_metrics;
  expect(metrics).not.toBeNull();
  for (const key of [
    'inference_time_ms',
    'latency_ms',
    'cpu_time_ms',
    'memory_mb',
    'function_calls',
  ] as const) {
    expect(typeof metrics![key]).toBe('number');
    expect(metrics![key]).toBeGreaterThan(0);
  }
  expect(typeof metrics!.memory_delta_mb).toBe('number');
  expect(metrics!.latency_ms).toBeGreaterThanOrEqual(metrics!.inference_time_ms);
  expect(metrics!.latency_ms).toBe(entry.data.latency_ms);
  expect(metrics!.top_functions.length).toBeGreaterThan(0);
  expect(metrics!.top_functions.length).toBeLessThanOrEqual(5);
  for (const row of metrics!.top_functions) {
    expect(Object.keys(row).sort()).toEqual(
      ['calls', 'cumulative_time_ms', 'file', 'function', 'line', 'total_time_ms'].sort(),
    );
    expect(row.cumulative_time_ms).toBeGreaterThanOrEqual(row.total_time_ms);
  }
}

describe('request logging (e2e)', () => {
  describe('recording', () => {
    let app: NestExpressApplication;
    let url: string;

    // An application per test: an entry of one test written late cannot land in the next one's view.
    beforeEach(async () => {
      app = await createTestApp({ env: { MODEL_POOL_SIZE: '1' } });
      url = await listen(app);
    });

    afterEach(() => close(app));

    it('records a prediction with its input, result, model and measured profile', async () => {
      const res = await request(url).post('/predict').send(MIXED_SPELLINGS).expect(200);
      const [entry] = await loggedEntries(app, 1);
      const transactionId = res.headers['x-transaction-id'];

      expect(entry.id).toMatch(UUID_V7);
      expect(entry.timestamp).toMatch(ISO_UTC_MS);
      expect(Math.abs(Date.parse(entry.timestamp) - Date.now())).toBeLessThan(60_000);
      expect(entry.level).toBe('INFO');
      expect(entry.data).toMatchObject({
        transaction_id: transactionId,
        method: 'POST',
        path: '/predict',
        status_code: 200,
        result: res.body,
        model: res.body.model,
      });
      expect(entry.data.input_data).toEqual(canonicalOrder());
      expect(Object.keys(entry.data.input_data!)).toEqual(Object.keys(canonicalOrder()));
      expect(entry.data.latency_ms).toBeGreaterThan(0);
      // The reference's log collector reads the same figure under its own name.
      expect(entry.data.execution_time_ms).toBe(entry.data.latency_ms);
      expect(entry.message).toBe(
        `[${transactionId}] API Call - POST /predict - Status: 200 - ` +
          `Time: ${entry.data.latency_ms.toFixed(2)}ms - ` +
          `Input: ${JSON.stringify(canonicalOrder()).replace(/,/g, ', ').replace(/":/g, '": ')} - ` +
          `Result: ${JSON.stringify(res.body)
            .replace(/,(?=["{[\d-])/g, ', ')
            .replace(/":/g, '": ')
            .replace(/é/g, '\\u00e9')}`,
      );
      expectProfiled(entry);
      expect(entry.data.performance_metrics!.top_functions.map((row) => row.function)).toContain('model_run');
    });

    it('records predict_proba called through the /api alias under its own path', async () => {
      const res = await request(url).post('/api/predict_proba').send(EXAMPLE_REQUEST).expect(200);
      const [entry] = await loggedEntries(app, 1);
      expect(entry.data).toMatchObject({
        method: 'POST',
        path: '/predict_proba',
        status_code: 200,
        result: res.body,
      });
      expect(entry.data.input_data).toEqual(EXAMPLE_REQUEST);
      expect(entry.message).toContain('API Call - POST /predict_proba - Status: 200');
      expectProfiled(entry);
    });

    it('records a form submission with the prediction the page showed', async () => {
      const form = {
        AGE: '65',
        GENDER: '1',
        SMOKING: 'on',
        COUGHING: 'on',
        'CHEST PAIN': 'on',
        WHEEZING: 'on',
      };
      await request(url).post('/').type('form').set('Accept', 'text/html').send(form).expect(200);
      const [entry] = await loggedEntries(app, 1);
      const sameAnswers = Object.fromEntries(
        Object.keys(EXAMPLE_REQUEST).map((k) => [k, k === 'AGE' ? 65 : k in form ? 1 : 0]),
      );
      const api = await request(url).post('/predict').send(sameAnswers).expect(200);
      expect(entry.data).toMatchObject({
        method: 'POST',
        path: '/',
        status_code: 200,
        model: api.body.model,
      });
      expect(entry.data.result).toEqual({
        prediction: api.body.prediction,
        probability: api.body.probability,
        risk_level: api.body.risk_level,
        threshold: api.body.threshold,
        model: api.body.model,
      });
      expectProfiled(entry);
    });

    it('records a refused prediction as a WARNING with the error body, unprofiled', async () => {
      const res = await request(url)
        .post('/predict')
        .send({ ...EXAMPLE_REQUEST, AGE: 150 })
        .expect(422);
      const [entry] = await loggedEntries(app, 1);
      expect(entry.level).toBe('WARNING');
      expect(entry.id).toMatch(UUID_V7);
      expect(entry.timestamp).toMatch(ISO_UTC_MS);
      expect(entry.data).toEqual({
        transaction_id: res.headers['x-transaction-id'],
        method: 'POST',
        path: '/predict',
        status_code: 422,
        latency_ms: expect.any(Number),
        execution_time_ms: expect.any(Number),
        input_data: { ...EXAMPLE_REQUEST, AGE: 150 },
        result: res.body,
        model: null,
        performance_metrics: null,
      });
      expect(entry.message).toMatch(
        / - Status: 422 - .* - Result: \{"detail": \[\{"type": "less_than_equal"/,
      );
    });

    it('records a 404, which no route or interceptor sees', async () => {
      const res = await request(url).get('/no/such/path?x=1').expect(404);
      const [entry] = await loggedEntries(app, 1);
      expect(entry.level).toBe('WARNING');
      expect(entry.data).toEqual({
        transaction_id: res.headers['x-transaction-id'],
        method: 'GET',
        path: '/no/such/path',
        status_code: 404,
        latency_ms: expect.any(Number),
        execution_time_ms: expect.any(Number),
        input_data: null,
        result: res.body,
        model: null,
        performance_metrics: null,
      });
      expect(entry.message).toMatch(
        /API Call - GET \/no\/such\/path - Status: 404 - Time: [\d.]+ms - Input: null/,
      );
    });

    it('records a body the JSON parser refused', async () => {
      const res = await request(url)
        .post('/predict')
        .set('Content-Type', 'application/json')
        .send('{"AGE": ')
        .expect(422);
      const [entry] = await loggedEntries(app, 1);
      expect(entry.data).toMatchObject({ status_code: 422, input_data: null, result: res.body });
      expect(res.body.detail[0].type).toBe('json_invalid');
    });

    it('keeps the entry of a hostile body small: survey answers and the start of a long error only', async () => {
      const body = Object.fromEntries(Array.from({ length: 700 }, (_, i) => [`unknown_${i}`, i]));
      const res = await request(url).post('/predict').send(body).expect(422);
      expect(JSON.stringify(res.body).length).toBeGreaterThan(100_000);
      const [entry] = await loggedEntries(app, 1);
      expect(entry.data.input_data).toEqual({ _truncated: { json_chars: expect.any(Number) } });
      expect(entry.data.result).toEqual({
        _truncated: { json_chars: expect.any(Number), preview: expect.stringMatching(/^\{"detail": \[/) },
      });
      expect(JSON.stringify(entry).length).toBeLessThan(4 * LOGGED_JSON_MAX_CHARS);
    });

    it('records other API calls, such as the JSON description and the model list', async () => {
      const description = await request(url).get('/').set('Accept', 'application/json').expect(200);
      const models = await request(url).get('/models').expect(200);
      const logs = await loggedEntries(app, 2);
      expect(logs.map((entry) => `${entry.data.method} ${entry.data.path}`)).toEqual([
        'GET /models',
        'GET /',
      ]);
      expect(logs.map((entry) => entry.data.result)).toEqual([models.body, description.body]);
      expect(
        logs.every((entry) => entry.data.performance_metrics === null && entry.data.model === null),
      ).toBe(true);
    });

    it('does not record health checks, the logs API, Swagger, static files or the form page', async () => {
      await request(url).get('/').set('Accept', 'text/html').expect(200).expect('Content-Type', /html/);
      await request(url).get('/health').expect(200);
      await request(url).get('/api/health').expect(200);
      await request(url).get('/logs').expect(200);
      await request(url).get('/logs/stats').expect(200);
      await request(url).get('/docs-json').expect(200);
      await request(url).get('/static/missing.css');
      await request(url).get('/favicon.ico');
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      const logs = await loggedEntries(app, 1);
      expect(logs.map((entry) => entry.data.path)).toEqual(['/predict']);
    });

    it('keeps every call of a burst, in the order their responses ended', async () => {
      const bodies = Array.from({ length: 40 }, (_, i) => ({ ...EXAMPLE_REQUEST, AGE: 20 + i }));
      await Promise.all(bodies.map((body) => request(url).post('/predict').send(body).expect(200)));
      const logs = await loggedEntries(app, 40);
      expect(logs).toHaveLength(40);
      expect(new Set(logs.map((entry) => entry.data.input_data!.AGE)).size).toBe(40);
      const ids = logs.map((entry) => entry.id);
      expect([...ids].sort().reverse()).toEqual(ids);
    });
  });

  describe('logs API', () => {
    let app: NestExpressApplication;
    let url: string;
    let seeded: LogEntry[];

    beforeAll(async () => {
      app = await createTestApp({ env: { API_KEY } });
      url = await listen(app);
    });

    afterAll(() => close(app));

    beforeEach(async () => {
      await app.get(LogStore).clearView();
      seeded = [
        logEntry({ prediction: 1, latencyMs: 4, timestamp: '2025-01-01T10:00:00.000Z' }),
        logEntry({
          prediction: 0,
          path: '/predict_proba',
          latencyMs: 2,
          timestamp: '2025-01-01T11:00:00.000Z',
        }),
        logEntry({ level: 'WARNING', status: 422, latencyMs: 1, timestamp: '2025-01-01T12:00:00.000Z' }),
        logEntry({ prediction: 1, latencyMs: 8, timestamp: '2025-01-01T13:00:00.000Z' }),
        logEntry({ level: 'ERROR', status: 500, latencyMs: 100, timestamp: '2025-01-01T14:00:00.000Z' }),
      ];
      await app.get(LogStore).append(asStored(seeded));
    });

    const newest = (...indexes: number[]): LogEntry[] => indexes.map((i) => seeded[i]);

    it('lists entries newest first with the total, and pages them', async () => {
      expect((await request(url).get('/logs').set('X-API-Key', API_KEY).expect(200)).body).toEqual({
        total: 5,
        logs: newest(4, 3, 2, 1, 0),
      });
      expect(
        (await request(url).get('/api/logs?limit=2&offset=1').set('X-API-Key', API_KEY).expect(200)).body,
      ).toEqual({
        total: 5,
        logs: newest(3, 2),
      });
    });

    it('filters by level, path and time', async () => {
      expect(
        (await request(url).get('/logs?level=warning').set('X-API-Key', API_KEY).expect(200)).body,
      ).toEqual({
        total: 1,
        logs: newest(2),
      });
      expect(
        (await request(url).get('/logs?path=/predict&limit=1').set('X-API-Key', API_KEY).expect(200)).body,
      ).toEqual({
        total: 4,
        logs: newest(4),
      });
      expect(
        (
          await request(url)
            .get('/logs')
            .set('X-API-Key', API_KEY)
            .query({ since: '2025-01-01T11:30:00+01:00', level: 'INFO' })
            .expect(200)
        ).body,
      ).toEqual({ total: 2, logs: newest(3, 1) });
    });

    it('answers bad parameters with a 422 in the FastAPI shape', async () => {
      const res = await request(url)
        .get('/logs?limit=5000&level=DEBUG')
        .set('X-API-Key', API_KEY)
        .expect(422);
      expect(res.body.detail.map((d: { type: string; loc: string[] }) => [d.type, d.loc])).toEqual([
        ['less_than_equal', ['query', 'limit']],
        ['enum', ['query', 'level']],
      ]);
      expect(res.body.transaction_id).toEqual(expect.any(String));
    });

    it('computes the stats of the view and reports the shipping backlog', async () => {
      const res = await request(url).get('/logs/stats').set('X-API-Key', API_KEY).expect(200);
      expect(res.body).toEqual({
        total: 5,
        by_level: { INFO: 3, WARNING: 1, ERROR: 1 },
        by_path: { '/predict': 4, '/predict_proba': 1 },
        by_status: { '200': 3, '422': 1, '500': 1 },
        predictions: { count: 3, positive: 2, positive_rate: 0.667 },
        latency_ms: { p50: 4, p95: 81.6, p99: 96.32 },
        pending_ship: expect.any(Number),
        dropped: 0,
        buffered: 0,
        store: 'memory',
        shipping: expect.objectContaining({ sink: 'ndjson', pending: res.body.pending_ship }),
      });
      expect(res.body.pending_ship).toBeGreaterThanOrEqual(5);
    });

    it('clears the view with the API key, keeping the shipping queue', async () => {
      const before = await app.get(LogStore).queueStats();
      await request(url).delete('/logs').expect(401);
      await request(url).delete('/logs').set('X-API-Key', 'wrong-key-of-some-length').expect(401);
      const res = await request(url).delete('/logs').set('X-API-Key', API_KEY).expect(200);
      expect(res.body).toEqual({ message: 'Logs supprimés avec succès', deleted: 5 });
      expect((await request(url).get('/logs').set('X-API-Key', API_KEY).expect(200)).body).toEqual({
        total: 0,
        logs: [],
      });
      expect((await app.get(LogStore).queueStats()).pending).toBe(before.pending);
    });
  });

  describe('configuration', () => {
    let app: NestExpressApplication | undefined;

    afterEach(() => close(app));

    it('leaves DELETE /logs open when no API_KEY is set, as the reference did', async () => {
      app = await createTestApp();
      const url = await listen(app);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      await loggedEntries(app, 1);
      expect((await request(url).delete('/api/logs').expect(200)).body).toEqual({
        message: 'Logs supprimés avec succès',
        deleted: 1,
      });
    });

    it('keeps no survey answer with LOG_INPUTS=none: no input, and no value echoed by a 422', async () => {
      app = await createTestApp({ env: { LOG_INPUTS: 'none', MODEL_POOL_SIZE: '1' } });
      const url = await listen(app);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      await request(url)
        .post('/predict')
        .send({ ...EXAMPLE_REQUEST, AGE: 150 })
        .expect(422);
      const [refused, answered] = await loggedEntries(app, 2);
      expect(answered.data.input_data).toBeNull();
      expect(answered.message).toContain(' - Input: null - ');
      expect(answered.data.result).toMatchObject({ prediction: 1 });
      expect(refused.data.input_data).toBeNull();
      expect(refused.data.result).toMatchObject({
        detail: [
          { type: 'less_than_equal', loc: ['body', 'AGE'], msg: 'Input should be less than or equal to 120' },
        ],
      });
      expect(JSON.stringify(refused)).not.toContain('150');
    });

    it('logs a request to an absolute URL under its routed path, and OPTIONS * not at all', async () => {
      app = await createTestApp({ env: { MODEL_POOL_SIZE: '1' } });
      const url = new URL(await listen(app));
      const body = JSON.stringify(EXAMPLE_REQUEST);
      const raw = (head: string, payload = ''): Promise<string> =>
        new Promise((resolve, reject) => {
          // Written, not ended: the server closes the connection after its answer (Connection: close).
          const socket = connect(Number(url.port), url.hostname, () => socket.write(head + payload));
          let answer = '';
          socket.on('data', (chunk) => (answer += chunk.toString()));
          socket.on('end', () => resolve(answer));
          socket.on('error', reject);
        });
      const options = await raw('OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(options).toMatch(/^HTTP\/1\.1 \d{3}/);
      const answer = await raw(
        `POST http://evil.example/predict HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
        body,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      const logs = await loggedEntries(app, 1);
      expect(logs.map((entry) => `${entry.data.method} ${entry.data.path}`)).toEqual(['POST /predict']);
      expect(logs[0].message).toContain('API Call - POST /predict - Status: 200');
    });

    it('makes no entry at all with LOG_REQUESTS=false', async () => {
      app = await createTestApp({ env: { LOG_REQUESTS: 'false', MODEL_POOL_SIZE: '1' } });
      const url = await listen(app);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      await request(url).post('/predict').send({}).expect(422);
      await app.get(RequestLogService).drain();
      expect(await app.get(LogStore).queueStats()).toMatchObject({ pending: 0 });
      expect((await request(url).get('/logs').expect(200)).body).toEqual({ total: 0, logs: [] });
    });

    it('records no profile with ENABLE_PERFORMANCE_MONITORING=false', async () => {
      app = await createTestApp({ env: { ENABLE_PERFORMANCE_MONITORING: 'false' } });
      const url = await listen(app);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      const [entry] = await loggedEntries(app, 1);
      expect(entry.data.performance_metrics).toBeNull();
      expect(entry.data.model).toEqual(expect.stringContaining('@'));
    });

    it('replaces the stages with the top JS functions of a V8 profile for sampled requests', async () => {
      app = await createTestApp({ env: { PROFILE_SAMPLE_RATE: '1' } });
      const url = await listen(app);
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
      const [entry] = await loggedEntries(app, 1);
      expectProfiled(entry);
      const stages = [
        'validate',
        'feature_engineering',
        'pool_acquire',
        'model_run',
        'pool_release',
        'serialise',
      ];
      const rows = entry.data.performance_metrics!.top_functions;
      expect(rows.some((row) => stages.includes(row.function))).toBe(false);
      expect(rows.every((row) => /\.(ts|js)$/.test(row.file) && row.line > 0)).toBe(true);
      expect(rows.filter((row) => row.file.includes('v8-sampler'))).toEqual([]);
    });
  });
});
