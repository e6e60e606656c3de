import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { loggedEntries } from '../support/request-log/wait';
import { close, createTestApp, listen } from './support/test-app';

const ROWS = [
  EXAMPLE_REQUEST,
  { ...EXAMPLE_REQUEST, AGE: 41, SMOKING: 0, COUGHING: 0, 'CHEST PAIN': 0 },
  { ...EXAMPLE_REQUEST, GENDER: 0, AGE: 30, WHEEZING: 0, FATIGUE: 0 },
];

describe('POST /predict/batch (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeEach(async () => {
    app = await createTestApp({ env: { MODEL_POOL_SIZE: '1', BATCH_MAX_ROWS: '5' } });
    url = await listen(app);
  });
  afterEach(() => close(app));

  it('answers every row as POST /predict answers it alone, from one model run', async () => {
    const alone = [];
    for (const row of ROWS) {
      alone.push((await request(url).post('/predict?model_type=random_forest').send(row).expect(200)).body);
    }
    const res = await request(url)
      .post('/predict/batch?model_type=random_forest')
      .send({ instances: ROWS })
      .expect(200);
    expect(res.body).toEqual({
      predictions: alone.map(({ prediction, probability, risk_level }) => ({
        prediction,
        probability,
        risk_level,
      })),
      model: alone[0].model,
      threshold: alone[0].threshold,
      transaction_id: res.headers['x-transaction-id'],
    });
    const stats = await request(url).get('/pool/stats').expect(200);
    expect(stats.body.random_forest.total_predictions).toBe(2 * ROWS.length);
  });

  it('logs each row as an entry of its own under the batch transaction id, the profile with the first', async () => {
    const res = await request(url).post('/api/predict/batch').send({ instances: ROWS }).expect(200);
    const entries = (await loggedEntries(app, ROWS.length)).reverse();
    expect(entries).toHaveLength(ROWS.length);
    expect(entries.map((e) => e.data.transaction_id)).toEqual(
      Array(ROWS.length).fill(res.headers['x-transaction-id']),
    );
    expect(entries.map((e) => e.data.path)).toEqual(Array(ROWS.length).fill('/predict/batch'));
    expect(entries.map((e) => e.data.input_data?.AGE)).toEqual(ROWS.map((r) => r.AGE));
    expect(entries.map((e) => e.data.result)).toEqual(
      res.body.predictions.map((p: object, row: number) => ({ row, ...p })),
    );
    expect(entries[0]!.data.performance_metrics).toMatchObject({ batch_size: ROWS.length });
    expect(entries.slice(1).map((e) => e.data.performance_metrics)).toEqual([null, null]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(ROWS.length);
  });

  it('refuses the whole batch when one row is bad, locating each problem by row, and predicts nothing', async () => {
    const res = await request(url)
      .post('/predict/batch')
      .send({
        instances: [EXAMPLE_REQUEST, { ...EXAMPLE_REQUEST, AGE: 150 }, { ...EXAMPLE_REQUEST, SMOKING: 'x' }],
      })
      .expect(422);
    expect(res.body.detail).toEqual([
      expect.objectContaining({ type: 'less_than_equal', loc: ['body', 'instances', 1, 'AGE'], input: 150 }),
      expect.objectContaining({ type: 'int_parsing', loc: ['body', 'instances', 2, 'SMOKING'], input: 'x' }),
    ]);
    const stats = await request(url).get('/pool/stats').expect(200);
    expect(stats.body.logistic_regression.total_predictions).toBe(0);
  });

  it.each([
    ['no instances', {}, 'missing'],
    ['instances that are not a list', { instances: EXAMPLE_REQUEST }, 'list_type'],
    ['an empty list', { instances: [] }, 'too_short'],
    ['more rows than BATCH_MAX_ROWS', { instances: Array(6).fill(EXAMPLE_REQUEST) }, 'too_long'],
  ])('refuses %s with 422', async (_what, body, type) => {
    const res = await request(url).post('/predict/batch').send(body).expect(422);
    expect(res.body.detail).toEqual([expect.objectContaining({ type, loc: ['body', 'instances'] })]);
  });

  it('is in Swagger with an example', async () => {
    const doc = (await request(url).get('/docs-json').expect(200)).body;
    const batch = doc.paths['/predict/batch'].post;
    expect(Object.keys(batch.responses).sort()).toEqual(['200', '400', '413', '415', '422', '503']);
    expect(batch.requestBody.content['application/json'].examples.two.value.instances).toHaveLength(2);
  });
});

describe('POST /predict/batch at the default BATCH_MAX_ROWS (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({ env: { MODEL_POOL_SIZE: '1' } });
    url = await listen(app);
  });
  afterAll(() => close(app));

  it('takes 1 000 rows, far past the 16 KiB a lone prediction may send, and answers 413 past 1 KiB per row', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ ...EXAMPLE_REQUEST, AGE: 20 + (i % 70) }));
    const body = JSON.stringify({ instances: rows });
    expect(body.length).toBeGreaterThan(16 * 1024);
    const ok = await request(url).post('/api/predict/batch').type('json').send(body).expect(200);
    expect(ok.body.predictions).toHaveLength(1000);
    const padded = `{"instances":[${rows.map((r) => JSON.stringify(r) + ' '.repeat(1024)).join(',')}]}`;
    const tooBig = await request(url).post('/predict/batch').type('json').send(padded).expect(413);
    expect(tooBig.body.detail).toMatch(/too large/i);
    await request(url).post('/predict').type('json').send(body).expect(413);
  });
});
