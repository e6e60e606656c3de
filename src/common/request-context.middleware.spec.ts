import type { Request, Response } from 'express';
import {
  bindRequestContext,
  currentRequest,
  RequestContext,
  requestContextOf,
  requestContextStorage,
} from './request-context';
import {
  requestContextMiddleware,
  restoreRequestContext,
  TRANSACTION_ID_HEADER,
} from './request-context.middleware';

/** Runs a middleware and says in which request context `next` was called. */
function contextOfNext(
  middleware: (req: Request, res: Response, next: () => void) => void,
  req: Request,
  res = {} as Response,
): RequestContext | undefined {
  const next = jest.fn(() => currentRequest());
  middleware(req, res, next);
  expect(next).toHaveBeenCalledTimes(1);
  return next.mock.results[0]!.value as RequestContext | undefined;
}

describe('requestContextMiddleware', () => {
  const headers = new Map<string, unknown>();
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name, value),
  } as unknown as Response;

  beforeEach(() => headers.clear());

  it("takes the caller's X-Request-Id as transaction id and announces it", () => {
    const req = { headers: { 'x-request-id': 'req-42' } } as unknown as Request;
    const ctx = contextOfNext(requestContextMiddleware, req, res);
    expect(ctx).toMatchObject({ transactionId: 'req-42' });
    expect(headers.get(TRANSACTION_ID_HEADER)).toBe('req-42');
  });

  it('runs the rest of the request in a context bound to the request', () => {
    const req = { headers: {} } as Request;
    const ctx = contextOfNext(requestContextMiddleware, req, res);
    expect(ctx).toBeDefined();
    expect(requestContextOf(req)).toBe(ctx);
    expect(headers.get(TRANSACTION_ID_HEADER)).toBe(ctx!.transactionId);
  });
});

describe('restoreRequestContext', () => {
  const context = (transactionId: string): RequestContext => ({
    transactionId,
    startNs: 0n,
    stages: new Map(),
  });
  const boundTo = (ctx: RequestContext): Request => {
    const req = {} as Request;
    bindRequestContext(req, ctx);
    return req;
  };

  it("re-enters the request's context where it was lost", () => {
    const ctx = context('tx-1');
    expect(contextOfNext(restoreRequestContext, boundTo(ctx))).toBe(ctx);
  });

  it("stays in the request's context where it was kept", () => {
    const ctx = context('tx-2');
    expect(requestContextStorage.run(ctx, () => contextOfNext(restoreRequestContext, boundTo(ctx)))).toBe(
      ctx,
    );
  });

  it('leaves the current context alone for a request without one', () => {
    const ctx = context('tx-3');
    expect(requestContextStorage.run(ctx, () => contextOfNext(restoreRequestContext, {} as Request))).toBe(
      ctx,
    );
    expect(contextOfNext(restoreRequestContext, {} as Request)).toBeUndefined();
  });
});
