import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { close, createTestApp, listen } from './support/test-app';

const API_KEY = 'route-table-key-0123456789';

type Mode = 'admin' | 'logs' | 'all';

/** The API_KEY_REQUIRED_FOR modes in which a route asks for the key. */
const NEVER: readonly Mode[] = [];
const WITH_ALL: readonly Mode[] = ['all'];
const WITH_LOGS: readonly Mode[] = ['logs', 'all'];
const ALWAYS: readonly Mode[] = ['admin', 'logs', 'all'];

/** A middleware mounted on paths that answers nothing itself (a body parser, the key check). */
const PASSES_ON = 'passes on';

interface Expectation {
  needsKey: readonly Mode[];
  /** What to request: the route's path by default; a file for a static mount. */
  url?: string;
}

/**
 * Every route of Express's router (Nest's, and what is mounted beside them) and every middleware mounted on a
 * path, by `METHOD /path` or `<middleware> /mount`: a route added without an entry here fails this test, so that
 * someone decides whether it needs the key.
 */
const EXPECTED: Record<string, Expectation | typeof PASSES_ON> = {
  // The probes and metrics: never behind the key.
  'GET /health': { needsKey: NEVER },
  'GET /health/live': { needsKey: NEVER },
  'GET /health/ready': { needsKey: NEVER },
  'GET /metrics': { needsKey: NEVER },
  // The logs (patient answers) and what changes or moves them.
  'GET /logs': { needsKey: WITH_LOGS },
  'GET /logs/stats': { needsKey: WITH_LOGS },
  'GET /models/compare': { needsKey: WITH_LOGS },
  'DELETE /logs': { needsKey: ALWAYS },
  'POST /logs/ship': { needsKey: ALWAYS },
  'POST /models/reload': { needsKey: ALWAYS },
  'POST /drift/reference': { needsKey: ALWAYS },
  // Drift, the dashboard and the alerts: aggregates of patient answers.
  'GET /drift': { needsKey: WITH_ALL },
  'GET /drift/history': { needsKey: WITH_ALL },
  'GET /drift/reference': { needsKey: WITH_ALL },
  'GET /monitoring': { needsKey: WITH_ALL },
  'GET /monitoring/drift': { needsKey: WITH_ALL },
  'GET /monitoring/summary': { needsKey: WITH_ALL },
  'GET /monitoring/alerts': { needsKey: WITH_ALL },
  // The API, the form page (GET / for browsers) and its submission.
  'GET /': { needsKey: WITH_ALL },
  'POST /': { needsKey: WITH_ALL },
  'GET /info': { needsKey: WITH_ALL },
  'POST /predict': { needsKey: WITH_ALL },
  'POST /predict_proba': { needsKey: WITH_ALL },
  'POST /predict/batch': { needsKey: WITH_ALL },
  'POST /features': { needsKey: WITH_ALL },
  'GET /models': { needsKey: WITH_ALL },
  'GET /models/types': { needsKey: WITH_ALL },
  'GET /pool/stats': { needsKey: WITH_ALL },
  // Swagger's pages and documents, mounted beside Nest's routes.
  'GET /docs': { needsKey: WITH_ALL },
  'GET /docs/': { needsKey: WITH_ALL },
  'GET /docs/index.html': { needsKey: WITH_ALL },
  'GET /docs/LICENSE': { needsKey: WITH_ALL },
  'GET /docs/swagger-ui-init.js': { needsKey: WITH_ALL },
  'GET /docs/docs/swagger-ui-init.js': { needsKey: WITH_ALL },
  'GET /docs-json': { needsKey: WITH_ALL },
  'GET /docs-yaml': { needsKey: WITH_ALL },
  // Static files: Swagger UI's, and the form's stylesheet and script.
  'serveStatic /docs': { needsKey: WITH_ALL, url: '/docs/swagger-ui.css' },
  'serveStatic /static/': { needsKey: WITH_ALL, url: '/static/css/app.css' },
  'jsonParser /predict/batch': PASSES_ON,
  'apiKeyCheck /static/ /docs /docs-json /docs-yaml': PASSES_ON,
};

interface RouterLayer {
  name: string;
  slash: boolean;
  rawPath: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Each route as `METHOD /path`, each middleware mounted on paths as `<name> /path…`, from Express's router. */
function routerEntries(app: NestExpressApplication): string[] {
  // Express 5's layers (the `router` package) carry `slash` and `rawPath`, which @types/express does not know.
  const { router } = app.getHttpAdapter().getInstance() as unknown as { router: { stack: RouterLayer[] } };
  return router.stack.flatMap((layer) => {
    if (layer.route) {
      const paths = [layer.route.path].flat();
      const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
      return methods.flatMap((m) => paths.map((p) => `${m.toUpperCase()} ${p}`));
    }
    return layer.slash ? [] : [`${layer.name} ${[layer.rawPath].flat().join(' ')}`];
  });
}

type Method = 'get' | 'post' | 'delete';

function call(url: string, entry: string, expectation: Expectation, path?: string) {
  const [method, routePath] = entry.split(' ');
  const verb = (/^[A-Z]+$/.test(method) ? method.toLowerCase() : 'get') as Method;
  const target = path ?? expectation.url ?? routePath;
  const req = request(url)[verb](target);
  return verb === 'get' ? req : req.set('Content-Type', 'application/json').send('{}');
}

const UNAUTHORIZED = 'Missing or wrong X-API-Key (or Authorization: Bearer) header';

describe.each<Mode>(['admin', 'logs', 'all'])(
  'the API key on every route, API_KEY_REQUIRED_FOR=%s (e2e)',
  (mode) => {
    let app: NestExpressApplication;
    let url: string;

    beforeAll(async () => {
      app = await createTestApp({
        env: { MODEL_POOL_SIZE: '1', API_KEY, API_KEY_REQUIRED_FOR: mode, RATE_LIMIT_PER_MINUTE: '0' },
      });
      url = await listen(app);
    });
    afterAll(() => close(app));

    it('knows every route and mount of the router, and the router has every one it knows', () => {
      expect([...routerEntries(app)].sort()).toEqual(Object.keys(EXPECTED).sort());
    });

    it.each(Object.entries(EXPECTED).filter((e): e is [string, Expectation] => e[1] !== PASSES_ON))(
      '%s',
      async (entry, expectation) => {
        const needed = expectation.needsKey.includes(mode);
        const routePath = expectation.url ?? entry.split(' ')[1];
        for (const path of [routePath, `/api${routePath}`]) {
          const without = await call(url, entry, expectation, path);
          expect({ path, asksForKey: without.status === 401 }).toEqual({ path, asksForKey: needed });
          if (needed) {
            expect(without.body).toEqual({
              detail: UNAUTHORIZED,
              transaction_id: without.headers['x-transaction-id'],
            });
          }
        }
        const withKey = await call(url, entry, expectation).set('X-API-Key', API_KEY);
        expect({ entry, refusedWithKey: withKey.status === 401 }).toEqual({ entry, refusedWithKey: false });
        if (expectation.url) {
          expect(withKey.status).toBe(200);
        }
      },
    );
  },
);

describe('API_KEY_REQUIRED_FOR=all on the form page (e2e)', () => {
  let app: NestExpressApplication;
  afterEach(() => close(app));

  it('asks a browser for the key too: the page, its submission and its static files', async () => {
    app = await createTestApp({ env: { MODEL_POOL_SIZE: '1', API_KEY, API_KEY_REQUIRED_FOR: 'all' } });
    const url = await listen(app);
    await request(url).get('/').set('Accept', 'text/html').expect(401);
    await request(url).post('/').type('form').send('AGE=65').expect(401);
    await request(url).get('/static/js/form.js').expect(401);
    const page = await request(url).get('/').set('Accept', 'text/html').set('X-API-Key', API_KEY).expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    await request(url).get('/static/js/form.js').set('Authorization', `Bearer ${API_KEY}`).expect(200);
  });
});
