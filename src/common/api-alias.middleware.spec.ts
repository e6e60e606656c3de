import type { Request, Response } from 'express';
import { apiAliasMiddleware } from './api-alias.middleware';

const rewrite = (url: string): string => {
  const req = { url } as Request;
  const next = jest.fn();
  apiAliasMiddleware(req, {} as Response, next);
  expect(next).toHaveBeenCalledTimes(1);
  return req.url;
};

describe('apiAliasMiddleware', () => {
  it.each([
    ['/api/predict', '/predict'],
    ['/api/predict_proba?model_type=random_forest', '/predict_proba?model_type=random_forest'],
    ['/api', '/'],
    ['/api/', '/'],
    ['/api?x=1', '/?x=1'],
  ])('routes %s as %s', (url, expected) => {
    expect(rewrite(url)).toBe(expected);
  });

  it.each(['/predict', '/apidocs', '/apiary/x', '/docs/api'])('leaves %s alone', (url) => {
    expect(rewrite(url)).toBe(url);
  });
});
