import Redis, { Cluster, type RedisOptions } from 'ioredis';
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

/** The one Redis connection: a single server, or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

/**
 * Every key of the service in a Redis Cluster starts with this hash tag, so that they all live in one slot: the
 * append script touches the view, the stream and the counters in one call, which a cluster allows within a slot only.
 */
export const CLUSTER_KEY_TAG = '{lungcheck}';

/**
 * REDIS_CLUSTER_NODES, when set, makes a Cluster client (seeded by those nodes, with the same fail-fast options on
 * every node); otherwise REDIS_URL says everything about where to connect, or REDIS_HOST/PORT/DB/PASSWORD.
 */
export function createRedisClient(settings: RedisSettings): RedisClient {
  if (settings.clusterNodes) {
    return new Cluster(settings.clusterNodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: CONNECTION_OPTIONS.retryStrategy,
      redisOptions: { ...CONNECTION_OPTIONS, password: settings.password },
    });
  }
  if (settings.url) {
    return new Redis(settings.url, CONNECTION_OPTIONS);
  }
  const { host, port, db, password } = settings;
  return new Redis({ ...CONNECTION_OPTIONS, host, port, db, password });
}

/**
 * Resolves once the client is ready. The client fails commands fast while it is not (no offline queue), so a one-shot
 * command waits for it first; past `timeoutMs` it gives up with a message saying so.
 */
export async function redisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') {
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', ready);
      reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const ready = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', ready);
  });
}

/** Where the settings point, for messages to people: hosts, ports and database, never credentials. */
export function describeRedis(settings: RedisSettings): string {
  if (settings.clusterNodes) {
    return `the Redis Cluster of ${settings.clusterNodes.map((n) => `${n.host}:${n.port}`).join(', ')}`;
  }
  const { host, port, db } = settings.url ? urlParts(settings.url) : settings;
  return `${host}:${port}${db ? ` (database ${db})` : ''}`;
}

function urlParts(url: string): { host: string; port: number; db: number } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
  };
}
