import type { NextFunction, Request, Response } from 'express';
import { TemporarilyUnavailableException } from './api-errors';

/** What a shed request is told to wait: the queue of a saturated service drains within about a second. */
const RETRY_AFTER_SECONDS = 1;

/**
 * Load shedding: past `max` requests in progress, a new one is answered 503 with Retry-After at once (through the
 * error filter, so it is logged like any answer) instead of waiting in an unbounded queue and timing out there.
 * 0 turns it off.
 */
export function loadSheddingMiddleware(max: number) {
  let inflight = 0;
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (max === 0) {
      next();
      return;
    }
    if (inflight >= max) {
      next(
        new TemporarilyUnavailableException(
          `The service is handling ${max} requests (MAX_INFLIGHT_REQUESTS); retry in ${RETRY_AFTER_SECONDS} s`,
          RETRY_AFTER_SECONDS,
        ),
      );
      return;
    }
    inflight += 1;
    res.once('close', () => {
      inflight -= 1;
    });
    next();
  };
}
