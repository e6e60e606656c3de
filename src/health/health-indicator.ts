/**
 * Reports whether an outside connection is up, for GET /health. The logging module provides
 * `{ provide: RedisHealthIndicator, useExisting: <its class> }` from a global module; without one, Redis is
 * reported as not connected (logs then live in the in-process store).
 */
export abstract class RedisHealthIndicator {
  abstract isConnected(): boolean | Promise<boolean>;
}
