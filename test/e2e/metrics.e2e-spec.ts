import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { loggedEntries } from '../support/request-log/wait';
import { close, createTestApp, listen } from './support/test-app';

const API_KEY = 'metrics-test-key-0123456789';

/** The value of one sample of the Prometheus text format, e.g. `name{label="x"} 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeEach(async () => {
    app = await createTestApp({ env: { MODEL_POOL_SIZE: '2', API_KEY, API_KEY_REQUIRED_FOR: 'all' } });
    url = await listen(app);
  });
  afterEach(() => close(app));

  it('counts requests by route and status, times them and the model, and reports pools, logs and process', async () => {
    for (let i = 0; i < 3; i += 1) {
      await request(url).post('/predict').set('X-API-Key', API_KEY).send(EXAMPLE_REQUEST).expect(200);
    }
    await request(url).post('/api/predict_proba').set('X-API-Key', API_KEY).send({ AGE: 150 }).expect(422);
    await request(url).get('/no/such/path').set('X-API-Key', API_KEY).expect(404);
    await loggedEntries(app, 5);

    const res = await request(url).get('/metrics').expect(200);
    expect(res.type).toBe('text/plain');
    const text = res.text;
    expect(sample(text, 'lungcheck_http_requests_total{method="POST",route="/predict",status="200"}')).toBe(
      3,
    );
    expect(
      sample(text, 'lungcheck_http_requests_total{method="POST",route="/predict_proba",status="422"}'),
    ).toBe(1);
    expect(sample(text, 'lungcheck_http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(
      1,
    );
    expect(
      sample(text, 'lungcheck_http_request_duration_seconds_count{method="POST",route="/predict"}'),
    ).toBe(3);
    expect(
      sample(
        text,
        'lungcheck_http_request_duration_seconds_bucket{le="0.0001",method="POST",route="/predict"}',
      ),
    ).toBeDefined();
    expect(sample(text, 'lungcheck_model_inference_seconds_count{model="logistic_regression"}')).toBe(3);
    expect(sample(text, 'lungcheck_model_pool_size{model="random_forest"}')).toBe(2);
    expect(sample(text, 'lungcheck_model_pool_in_use{model="logistic_regression"}')).toBe(0);
    expect(sample(text, 'lungcheck_log_entries_buffered')).toBe(0);
    expect(sample(text, 'lungcheck_shipping_pending_entries')).toBe(5);
    expect(sample(text, 'lungcheck_shipping_runs_total')).toBe(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('reports the rows of the model run that answered each prediction request, and its wait for a micro-batch', async () => {
    for (let i = 0; i < 3; i += 1) {
      await request(url).post('/predict').set('X-API-Key', API_KEY).send(EXAMPLE_REQUEST).expect(200);
    }
    const instances = Array.from({ length: 4 }, (_, i) => ({ ...EXAMPLE_REQUEST, AGE: 40 + i }));
    await request(url).post('/predict/batch').set('X-API-Key', API_KEY).send({ instances }).expect(200);
    const text = (await request(url).get('/metrics').expect(200)).text;
    const model = '{model="logistic_regression"}';
    expect(sample(text, `lungcheck_model_batch_rows_count${model}`)).toBe(4);
    expect(sample(text, `lungcheck_model_batch_rows_sum${model}`)).toBe(3 + 4);
    expect(sample(text, 'lungcheck_model_batch_rows_bucket{le="1",model="logistic_regression"}')).toBe(3);
    expect(sample(text, `lungcheck_model_batch_wait_seconds_count${model}`)).toBe(4);
    expect(sample(text, `lungcheck_model_batch_wait_seconds_sum${model}`)).toBeGreaterThanOrEqual(0);
  });

  it("counts the shadow model's predictions by outcome", async () => {
    await close(app);
    app = await createTestApp({ env: { SHADOW_MODEL: 'random_forest' } });
    url = await listen(app);
    const before = await request(url).get('/metrics').expect(200);
    expect(sample(before.text, 'lungcheck_shadow_predictions_total{status="ok"}')).toBe(0);
    // A patient of the training data the two models decide differently (the forest says negative), then two others.
    const disputed = {
      ...EXAMPLE_REQUEST,
      GENDER: 0,
      AGE: 63,
      SMOKING: 0,
      YELLOW_FINGERS: 1,
      ANXIETY: 0,
      PEER_PRESSURE: 0,
      'CHRONIC DISEASE': 0,
      FATIGUE: 0,
      ALLERGY: 0,
      WHEEZING: 1,
      'ALCOHOL CONSUMING': 0,
      COUGHING: 1,
      'SHORTNESS OF BREATH': 1,
      'SWALLOWING DIFFICULTY': 0,
      'CHEST PAIN': 0,
    };
    for (const body of [disputed, EXAMPLE_REQUEST, EXAMPLE_REQUEST]) {
      await request(url).post('/predict').send(body).expect(200);
    }
    const entries = await loggedEntries(app, 3);
    expect(entries.filter((e) => e.data.shadow?.agrees === false)).toHaveLength(1);
    const text = (await request(url).get('/metrics').expect(200)).text;
    expect(sample(text, 'lungcheck_shadow_predictions_total{status="ok"}')).toBe(3);
    expect(sample(text, 'lungcheck_shadow_disagreements_total')).toBe(
      entries.filter((e) => e.data.shadow?.agrees === false).length,
    );
    expect(text).toContain('# TYPE lungcheck_shadow_predictions_total counter');
    expect(sample(text, 'lungcheck_shadow_predictions_total{status="dropped"}')).toBe(0);
    expect(sample(text, 'lungcheck_shadow_predictions_total{status="failed"}')).toBe(0);
  });

  it('is open without the key, not rate limited, and not logged as an API call', async () => {
    for (let i = 0; i < 3; i += 1) {
      await request(url).get('/metrics').expect(200);
    }
    await request(url).post('/predict').set('X-API-Key', API_KEY).send(EXAMPLE_REQUEST).expect(200);
    const logs = await loggedEntries(app, 1);
    expect(logs.map((entry) => entry.data.path)).toEqual(['/predict']);
    const swagger = await request(url).get('/docs-json').set('X-API-Key', API_KEY).expect(200);
    expect(Object.keys(swagger.body.paths)).not.toContain('/metrics');
  });
});
