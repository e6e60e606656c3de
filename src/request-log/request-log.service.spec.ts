import { isLoggedPath, routedPath, withoutInputs } from './request-log.service';

describe(routedPath.name, () => {
  it.each([
    ['/predict', '/predict'],
    ['/predict?model=rf', '/predict'],
    ['/api/predict_proba?x=1', '/predict_proba'],
    ['/api', '/'],
    ['/api?x=1', '/'],
    ['/apis/x', '/apis/x'],
    ['/', '/'],
    ['http://evil.example/predict', '/predict'],
    ['http://evil.example/api/predict?x=1', '/predict'],
    ['http://evil.example', '/'],
  ])('routes %s as %s', (url, path) => {
    expect(routedPath(url)).toBe(path);
  });

  it.each(['*', 'not a url'])(
    'gives no path for the request target %j, which is not an API call',
    (target) => {
      expect(routedPath(target)).toBeUndefined();
      expect(isLoggedPath(routedPath(target))).toBe(false);
    },
  );
});

describe(withoutInputs.name, () => {
  it("drops the values a 422 echoes, keeping each problem's location, type and message", () => {
    const result = {
      detail: [
        { type: 'less_than_equal', loc: ['body', 'AGE'], msg: 'too old', input: 150, ctx: { le: 120 } },
        { type: 'missing', loc: ['body', 'GENDER'], msg: 'Field required', input: { AGE: 150 } },
      ],
      transaction_id: 't',
    };
    expect(withoutInputs(result)).toEqual({
      detail: [
        { type: 'less_than_equal', loc: ['body', 'AGE'], msg: 'too old', ctx: { le: 120 } },
        { type: 'missing', loc: ['body', 'GENDER'], msg: 'Field required' },
      ],
      transaction_id: 't',
    });
  });

  it.each([[{ prediction: 1, probability: 0.9 }], [{ detail: 'Not Found' }], [null], ['text']])(
    'leaves %j alone',
    (result) => {
      expect(withoutInputs(result)).toEqual(result);
    },
  );
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
