import { isLoggedPath, routedPath } from './request-log.service';

describe(routedPath.name, () => {
  it.each([
    ['/predict', '/predict'],
    ['/predict?model=rf', '/predict'],
    ['/api/predict_proba?x=1', '/predict_proba'],
    ['/api', '/'],
    ['/api?x=1', '/'],
    ['/apis/x', '/apis/x'],
    ['/', '/'],
  ])('routes %s as %s', (url, path) => {
    expect(routedPath(url)).toBe(path);
  });
});

describe(isLoggedPath.name, () => {
  it.each(['/predict', '/predict_proba', '/', '/models', '/pool/stats', '/no/such/path', '/healthz'])(
    'records calls to %s',
    (path) => expect(isLoggedPath(path)).toBe(true),
  );

  it.each([
    '/health',
    '/metrics',
    '/logs',
    '/logs/stats',
    '/logs/ship',
    '/docs',
    '/docs/swagger-ui.css',
    '/docs-json',
    '/static/css/form.css',
    '/favicon.ico',
    '/robots.txt',
  ])('does not record calls to %s', (path) => expect(isLoggedPath(path)).toBe(false));
});
