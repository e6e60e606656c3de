import Redis, { type RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/app-config';

/** Longest wait between two reconnection attempts: a Redis that comes back is used again within a second. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** A command unanswered after this long is failed and retried from the request log's buffer. */
const COMMAND_TIMEOUT_MS = 5000;

/**
 * Options for the one Redis connection: it never blocks a request or the start-up, and every command fails fast
 * while Redis is away instead of queueing inside ioredis, because the request log keeps its own bounded, ordered
 * buffer and retries from it. Commands in flight when the connection drops fail too rather than being re-sent
 * behind that buffer's back (a re-sent batch could be written twice).
 */
const CONNECTION_OPTIONS: RedisOptions = {
  connectionName: 'lungcheck',
  lazyConnect: false,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
  commandTimeout: COMMAND_TIMEOUT_MS,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
};

/** REDIS_URL, when set, says everything about where to connect; REDIS_HOST/PORT/DB/PASSWORD otherwise. */
export function createRedisClient(settings: RedisSettings): Redis {
  if (settings.url) {
    return new Redis(settings.url, CONNECTION_OPTIONS);
  }
  const { host, port, db, password } = settings;
  return new Redis({ ...CONNECTION_OPTIONS, host, port, db, password });
}
