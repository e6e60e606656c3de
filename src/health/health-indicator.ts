/**
 * Reports whether an outside connection is up, for GET /health. The Redis module (src/redis) provides
 * `{ provide: RedisHealthIndicator, useExisting: RedisConnection }` from a global module; without one, Redis is
 * reported as not connected (logs then live in the in-process store).
 */
export abstract class RedisHealthIndicator {
  /** False when Redis is not configured: the in-process store is then in use, which is not a degradation. */
  abstract readonly configured: boolean;
  abstract isConnected(): boolean | Promise<boolean>;
}
