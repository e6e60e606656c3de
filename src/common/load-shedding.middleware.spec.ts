import type { Request, Response } from 'express';
import { EventEmitter } from 'node:events';
import { TemporarilyUnavailableException } from './api-errors';
import { loadSheddingMiddleware } from './load-shedding.middleware';

const response = (): Response => new EventEmitter() as unknown as Response;

/** What the middleware passed to `next`: nothing (go on) or the error it answers with. */
function admit(middleware: ReturnType<typeof loadSheddingMiddleware>, res = response()): unknown {
  let passed: unknown = 'not called';
  middleware({} as Request, res, (error?: unknown) => {
    passed = error;
  });
  return passed;
}

describe(loadSheddingMiddleware.name, () => {
  it('admits up to max requests in progress and answers the next one 503 with Retry-After at once', () => {
    const shed = loadSheddingMiddleware(2);
    const first = response();
    expect(admit(shed, first)).toBeUndefined();
    expect(admit(shed)).toBeUndefined();
    const refused = admit(shed);
    expect(refused).toBeInstanceOf(TemporarilyUnavailableException);
    expect(refused).toMatchObject({ retryAfterSeconds: 1 });
    expect((refused as Error).message).toContain('MAX_INFLIGHT_REQUESTS');

    first.emit('close');
    expect(admit(shed)).toBeUndefined();
  });

  it('counts a refused request nowhere, so refusals never pile up', () => {
    const shed = loadSheddingMiddleware(1);
    const only = response();
    admit(shed, only);
    for (let i = 0; i < 5; i += 1) {
      expect(admit(shed)).toBeInstanceOf(TemporarilyUnavailableException);
    }
    only.emit('close');
    expect(admit(shed)).toBeUndefined();
  });

  it('admits everything with 0', () => {
    const off = loadSheddingMiddleware(0);
    for (let i = 0; i < 1000; i += 1) {
      expect(admit(off)).toBeUndefined();
    }
  });
});
