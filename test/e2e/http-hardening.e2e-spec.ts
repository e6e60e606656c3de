import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { startService } from '../support/service-process';
import { close, createTestApp, listen } from './support/test-app';

const ALLOWED = 'https://clinic.example';

describe('HTTP hardening (e2e): headers, CORS, rate limit', () => {
  let app: NestExpressApplication | undefined;
  afterEach(() => close(app));

  async function serve(env: Record<string, string> = {}): Promise<string> {
    app = await createTestApp({ env: { MODEL_POOL_SIZE: '1', ...env } });
    return listen(app);
  }

  it.each([
    ['JSON', (url: string) => request(url).post('/predict').send(EXAMPLE_REQUEST), /application\/json/],
    ['the logs', (url: string) => request(url).get('/logs'), /application\/json/],
    ['an error', (url: string) => request(url).get('/no/such/path'), /application\/json/],
    ['the form page', (url: string) => request(url).get('/').set('Accept', 'text/html'), /text\/html/],
    ['a static file', (url: string) => request(url).get('/static/css/app.css'), /text\/css/],
    ['Swagger UI', (url: string) => request(url).get('/docs'), /text\/html/],
  ])('sends the security headers with %s', async (_what, call, type) => {
    const res = await call(await serve());
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'|default-src 'none'/);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('keeps answers out of caches, static files apart', async () => {
    const url = await serve();
    for (const res of [
      await request(url).post('/predict').send(EXAMPLE_REQUEST),
      await request(url).get('/logs'),
      await request(url).get('/').set('Accept', 'text/html'),
    ]) {
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await request(url).get('/static/js/form.js')).headers['cache-control']).toBe(
      'public, max-age=3600',
    );
  });

  it('keeps the form page on its own stricter policy: no inline style', async () => {
    const url = await serve();
    const res = await request(url).get('/').set('Accept', 'text/html').expect(200);
    expect(res.headers['content-security-policy']).toContain("style-src 'self';");
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('sends no CORS headers without CORS_ORIGINS', async () => {
    const url = await serve();
    const preflight = await request(url)
      .options('/predict')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a preflight from an allowed origin with 204, and gives another origin no CORS header', async () => {
    const url = await serve({ CORS_ORIGINS: `${ALLOWED}, https://other-clinic.example` });
    const allowed = await request(url)
      .options('/predict')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-api-key')
      .expect(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(allowed.headers['access-control-allow-methods']).toContain('POST');
    expect(allowed.headers['access-control-allow-headers']).toMatch(/X-API-Key/i);
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();

    const other = await request(url)
      .options('/predict')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const answer = await request(url)
      .post('/predict')
      .set('Origin', ALLOWED)
      .send(EXAMPLE_REQUEST)
      .expect(200);
    expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(answer.headers['access-control-expose-headers']).toContain('X-Transaction-Id');
  });

  it('allows any origin with CORS_ORIGINS=*, never with credentials', async () => {
    const url = await serve({ CORS_ORIGINS: '*' });
    const res = await request(url)
      .post('/predict')
      .set('Origin', 'https://anywhere.example')
      .send(EXAMPLE_REQUEST);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers past RATE_LIMIT_PER_MINUTE with 429 and Retry-After, per client, in words of ours', async () => {
    const url = await serve({ RATE_LIMIT_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i += 1) {
      await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    }
    const limited = await request(url).get('/models').expect(429);
    const seconds = Number(limited.headers['retry-after']);
    expect(seconds).toBeGreaterThan(0);
    expect(limited.body).toEqual({
      detail: `Too many requests from this address: at most 3 a minute; try again in ${seconds} seconds`,
      transaction_id: limited.headers['x-transaction-id'],
    });
    await request(url).get('/health').expect(200);
  });

  // The test's client is the proxy: it sends what a proxy in front would, the client's own X-Forwarded-For (forged
  // here, a new address each time) with the address it saw appended on the right.
  it.each(['1', '127.0.0.1', 'loopback'])(
    'holds the rate limit against forged X-Forwarded-For with TRUST_PROXY=%s: the client is the right-most',
    async (trustProxy) => {
      const url = await serve({ RATE_LIMIT_PER_MINUTE: '20', TRUST_PROXY: trustProxy });
      const statuses: number[] = [];
      for (let i = 0; i < 25; i += 1) {
        const forwarded = `198.51.100.${i}, 203.0.113.7`;
        statuses.push((await request(url).get('/models').set('X-Forwarded-For', forwarded)).status);
      }
      expect(statuses).toEqual([...Array<number>(20).fill(200), ...Array<number>(5).fill(429)]);
      await request(url).get('/models').set('X-Forwarded-For', '198.51.100.1, 203.0.113.8').expect(200);
    },
  );

  it('refuses TRUST_PROXY=true at start-up, saying what to set instead', async () => {
    const run = startService({
      TRUST_PROXY: 'true',
      LOG_ARCHIVE_DIR: mkdtempSync(join(tmpdir(), 'lungcheck-trust-proxy-')),
    });
    expect(await run.exit).toEqual({ code: 1, signal: null });
    expect(run.output()).toBe(
      'Invalid configuration:\n  - TRUST_PROXY=true would let any client choose its address: set the number of ' +
        'proxies in front (1 behind one load balancer) or their addresses, e.g. 10.0.0.0/8 (got "true")\n',
    );
  }, 60_000);

  it('turns the rate limit off with 0', async () => {
    const url = await serve({ RATE_LIMIT_PER_MINUTE: '0' });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i += 1) {
      statuses.add((await request(url).get('/models')).status);
    }
    expect([...statuses]).toEqual([200]);
  });
});
