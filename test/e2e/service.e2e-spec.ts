import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { PACKAGE } from '../../src/common/package-info';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { close, createTestApp, listen } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('service endpoints (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp();
    url = await listen(app);
  });
  afterAll(() => close(app));

  it('GET / describes the service and lists its endpoints', async () => {
    const res = await request(url).get('/').set('Accept', 'application/json').expect(200);
    expect(res.body).toMatchObject({
      message: 'API de Prédiction ML',
      service: 'lungcheck',
      version: PACKAGE.version,
      docs: '/docs',
    });
    expect(Object.keys(res.body.endpoints)).toEqual(
      expect.arrayContaining([
        'POST /predict',
        'POST /predict_proba',
        'POST /features',
        'GET /models',
        'GET /models/types',
        'GET /pool/stats',
        'GET /health',
      ]),
    );
  });

  it('GET / also keys the endpoints as the reference did, which its clients read (endpoints.health)', async () => {
    const res = await request(url).get('/').expect(200);
    expect(res.body.endpoints).toMatchObject({
      health: '/health',
      predict: '/predict',
      predict_proba: '/predict_proba',
      logs: '/logs',
    });
    for (const path of ['health', 'predict', 'predict_proba', 'logs']) {
      expect(Object.keys(res.body.endpoints)).toContain(
        `${path === 'health' || path === 'logs' ? 'GET' : 'POST'} /${path}`,
      );
    }
  });

  it('GET /health reports the model loaded and no Redis yet', async () => {
    const res = await request(url).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'healthy',
      model_loaded: true,
      redis_connected: false,
      version: PACKAGE.version,
    });
    expect(res.body.shipping).toMatchObject({
      sink: 'ndjson',
      interval_seconds: 0,
      pending: expect.any(Number),
      last_run_at: null,
    });
    expect(res.body.request_log).toMatchObject({ store: 'memory', dropped_in_memory: 0, write_failures: 0 });
  });

  it('GET /models lists both models with the default first', async () => {
    const res = await request(url).get('/models').expect(200);
    expect(res.body.default).toBe('logistic_regression');
    expect(res.body.available_types).toEqual(['logistic_regression', 'random_forest']);
    expect(res.body.default_type).toBe('logistic_regression');
    expect(res.body.models[0]).toMatchObject({
      name: 'logistic_regression',
      model: expect.stringMatching(/^logistic_regression@[0-9a-f]{12}$/),
      family: 'logistic_regression',
      default: true,
      threshold: expect.any(Number),
      cv_metrics: { roc_auc: expect.any(Number) },
    });
    expect(res.body.models[1]).toMatchObject({ name: 'random_forest', default: false });
    await request(url).get('/models/types').expect(200, res.body);
  });

  it('GET /pool/stats gives every field per model', async () => {
    const res = await request(url).get('/pool/stats').expect(200);
    expect(Object.keys(res.body)).toEqual(['logistic_regression', 'random_forest']);
    expect(res.body.random_forest).toEqual({
      pool_size: 4,
      available: 4,
      in_use: 0,
      pending: 0,
      total_predictions: expect.any(Number),
      avg_usage_per_instance: expect.any(Number),
      model_path: expect.stringMatching(/model\/random_forest\.onnx$/),
    });
  });

  it.each(['/', '/health', '/models', '/models/types', '/pool/stats', '/info'])(
    'GET /api%s answers as GET %s',
    async (path) => {
      // /health counts the log entries still buffered: the calls of the previous tests must be written first.
      await app.get(RequestLogService).drain();
      const plain = await request(url).get(path).expect(200);
      const alias = await request(url).get(`/api${path}`).expect(200);
      expect(alias.body).toEqual(plain.body);
    },
  );

  it('gives every response a transaction id, reusing a reasonable X-Request-Id', async () => {
    const fresh = await request(url).get('/health');
    expect(fresh.headers['x-transaction-id']).toMatch(UUID);
    const reused = await request(url).get('/health').set('X-Request-Id', 'client-42.a_b');
    expect(reused.headers['x-transaction-id']).toBe('client-42.a_b');
    const refused = await request(url).get('/health').set('X-Request-Id', 'x'.repeat(65));
    expect(refused.headers['x-transaction-id']).toMatch(UUID);
  });

  it('answers an unknown path with 404 JSON carrying the transaction id', async () => {
    const res = await request(url).get('/nowhere').set('X-Request-Id', 'lost-1').expect(404);
    expect(res.headers['x-transaction-id']).toBe('lost-1');
    expect(res.body).toEqual({ detail: 'Cannot GET /nowhere', transaction_id: 'lost-1' });
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await request(url).get('/docs').expect(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('documents the API at /docs-json: example body, every response and error shape', async () => {
    const { body: doc } = await request(url).get('/docs-json').expect(200);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/',
        '/health',
        '/predict',
        '/predict_proba',
        '/features',
        '/models',
        '/pool/stats',
      ]),
    );
    expect(doc.paths['/health'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/HealthReportDto',
    });
    const predict = doc.paths['/predict'].post;
    expect(Object.keys(predict.responses).sort()).toEqual(['200', '400', '413', '415', '422', '503']);
    expect(predict.requestBody.content['application/json'].examples.reference.value).toMatchObject({
      AGE: 65,
      'CHEST PAIN': 1,
    });
    expect(predict.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'explain',
      'model',
      'model_type',
    ]);
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.PredictRequestDto.properties)).toHaveLength(15);
    expect(schemas.PredictRequestDto.properties.AGE).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 120,
    });
    expect(Object.keys(schemas.PredictResponseDto.properties).sort()).toEqual(
      [
        'explanation',
        'message',
        'model',
        'prediction',
        'probability',
        'risk_level',
        'threshold',
        'transaction_id',
      ].sort(),
    );
    expect(schemas.PredictResponseDto.required).not.toContain('explanation');
    expect(Object.keys(schemas.ExplanationDto.properties).sort()).toEqual(
      ['base_value', 'contributions', 'features', 'method', 'output', 'output_scale'].sort(),
    );
    expect(schemas.ValidationErrorResponseDto.properties.detail).toMatchObject({ type: 'array' });
  });
});
