import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { ShutdownState } from '../../src/health/shutdown-state';
import { loggedEntries } from '../support/request-log/wait';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { close, createTestApp, listen } from './support/test-app';

const API_KEY = 'probe-test-key-0123456789';

describe('probes (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeEach(async () => {
    // The strictest settings: every endpoint behind the key, two requests a minute per client.
    app = await createTestApp({
      env: { MODEL_POOL_SIZE: '1', API_KEY, API_KEY_REQUIRED_FOR: 'all', RATE_LIMIT_PER_MINUTE: '2' },
    });
    url = await listen(app);
  });
  afterEach(() => close(app));

  it('answers /health/live and /health/ready with 200 while the service runs', async () => {
    const live = await request(url).get('/health/live').expect(200);
    expect(live.body).toEqual({
      status: 'ok',
      info: { process: { status: 'up' } },
      error: {},
      details: { process: { status: 'up' } },
    });
    const ready = await request(url).get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.service).toEqual({ status: 'up', models_loaded: true, shutting_down: false });
  });

  it('fails readiness with 503 as soon as shutdown begins, while liveness still answers', async () => {
    app.get(ShutdownState).begin();
    const ready = await request(url).get('/health/ready').expect(503);
    expect(ready.body.status).toBe('error');
    expect(ready.body.details.service).toEqual({ status: 'down', models_loaded: true, shutting_down: true });
    const live = await request(url).get('/api/health/live').expect(200);
    expect(live.headers.connection).toBe('close');
  });

  it('keeps probes and /health out of the API key, the rate limit and the request log', async () => {
    for (let i = 0; i < 5; i += 1) {
      await request(url).get('/health/live').expect(200);
      await request(url).get('/health/ready').expect(200);
      const health = await request(url).get('/health').expect(200);
      expect(health.body.status).toBe('healthy');
    }
    await request(url).post('/predict').set('X-API-Key', API_KEY).send(EXAMPLE_REQUEST).expect(200);
    const logs = await loggedEntries(app, 1);
    expect(logs.map((entry) => entry.data.path)).toEqual(['/predict']);
  });
});
