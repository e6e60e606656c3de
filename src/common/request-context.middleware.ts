import type { NextFunction, Request, Response } from 'express';
import {
  bindRequestContext,
  RequestContext,
  requestContextOf,
  requestContextStorage,
} from './request-context';
import { resolveTransactionId } from './transaction-id';

export const TRANSACTION_ID_HEADER = 'X-Transaction-Id';

/**
 * First middleware of every request, routed or not: creates its context (transaction id, start time, stage table),
 * binds it to the request, announces the transaction id in `X-Transaction-Id`, and runs the rest of the request
 * inside the context.
 */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const ctx: RequestContext = {
    transactionId: resolveTransactionId(req.headers['x-request-id']),
    startNs: process.hrtime.bigint(),
    stages: new Map(),
  };
  bindRequestContext(req, ctx);
  res.setHeader(TRANSACTION_ID_HEADER, ctx.transactionId);
  requestContextStorage.run(ctx, next);
}

/**
 * Re-enters the request's context after the body parsers: they call `next` from the socket's stream events, whose
 * async context is the connection's, not the request's, so AsyncLocalStorage would otherwise lose it there.
 */
export function restoreRequestContext(req: Request, _res: Response, next: NextFunction): void {
  const ctx = requestContextOf(req);
  if (ctx && requestContextStorage.getStore() !== ctx) {
    requestContextStorage.run(ctx, next);
    return;
  }
  next();
}
