import type { IncomingMessage } from 'node:http';
import {
  bindRequestContext,
  currentRequest,
  RequestContext,
  requestContextOf,
  requestContextStorage,
} from './request-context';

const context = (transactionId: string): RequestContext => ({
  transactionId,
  startNs: 0n,
  stages: new Map(),
});

describe('requestContextOf', () => {
  it('gives the context bound to a request, and none for another request', () => {
    const req = {} as IncomingMessage;
    const ctx = context('tx-1');
    bindRequestContext(req, ctx);
    expect(requestContextOf(req)).toBe(ctx);
    expect(requestContextOf({} as IncomingMessage)).toBeUndefined();
  });
});

describe('currentRequest', () => {
  it('gives the context the current calls run in, and none outside one', async () => {
    const ctx = context('tx-2');
    const seen = await requestContextStorage.run(ctx, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return currentRequest();
    });
    expect(seen).toBe(ctx);
    expect(currentRequest()).toBeUndefined();
  });
});
