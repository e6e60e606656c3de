import { Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, type RedisSettings } from '../config/app-config';
import { within } from '../common/within';
import { CLUSTER_KEY_TAG, createRedisClient, describeRedis, type RedisClient } from './redis-client.factory';

/** The ioredis client, or null when Redis is not configured (REDIS_HOST / REDIS_URL unset). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** Longest a clean QUIT may take at shutdown before the socket is simply closed. */
const QUIT_TIMEOUT_MS = 2000;

/** The health probe's key expires by itself. */
const PROBE_TTL_MS = 60_000;

/**
 * The state of the one Redis connection, for /health and for whoever must know when Redis answers again. Logs a
 * lost connection once per outage rather than once per reconnection attempt.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnection.name);
  private lostAt: number | null = null;

  private readonly settings?: RedisSettings;
  /** In the slot of the service's other keys (the cluster hash tag), so that the probe tests where they live. */
  private readonly probeKey: string;

  constructor(
    @Inject(REDIS_CLIENT) readonly client: RedisClient | null,
    config: AppConfig,
  ) {
    this.settings = config.logging.redis;
    this.probeKey = `${this.settings?.clusterNodes ? CLUSTER_KEY_TAG : ''}lungcheck:health-probe`;
    client?.on('ready', () => {
      if (this.lostAt !== null) {
        this.logger.log(`Redis is back after ${Math.round((Date.now() - this.lostAt) / 1000)} s`);
      }
      this.lostAt = null;
    });
    client?.on('error', (error: Error) => {
      if (this.lostAt === null) {
        this.lostAt = Date.now();
        this.logger.warn(`Redis unavailable, request logs wait in memory until it answers: ${error.message}`);
      }
    });
  }

  get configured(): boolean {
    return this.client !== null;
  }

  /** Whether the connection is up (a frozen Redis keeps a connection that looks up: see answers()). */
  isConnected(): boolean {
    return this.client?.status === 'ready';
  }

  /**
   * Whether Redis takes a write to the service's own key within `timeoutMs`: false when not configured, down, frozen,
   * read-only, or (a Redis Cluster) when the slot of the service's keys has no master — a PING to some node would
   * still answer then, and a cluster in `cluster_state:fail` refuses every write.
   */
  answers(timeoutMs: number): Promise<boolean> {
    if (!this.client || !this.isConnected()) {
      return Promise.resolve(false);
    }
    return within(
      this.client
        .set(this.probeKey, String(Date.now()), 'PX', PROBE_TTL_MS)
        .then(() => true)
        .catch(() => false),
      timeoutMs,
      false,
    );
  }

  /** Where the connection goes, for messages to people: host, port and database, never credentials. */
  get target(): string {
    return this.settings ? describeRedis(this.settings) : 'none';
  }

  /**
   * After every module's onModuleDestroy, so the request log has flushed its buffer through this connection first.
   */
  async onApplicationShutdown(): Promise<void> {
    const client = this.client;
    if (!client || client.status === 'end') {
      return;
    }
    if (client.status !== 'ready') {
      client.disconnect();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
    });
    await Promise.race([client.quit().catch(() => undefined), timeout]);
    clearTimeout(timer);
    client.disconnect();
  }
}

/** The single owner of the Redis connection: created from AppConfig in a factory provider, closed at shutdown. */
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [AppConfig],
      useFactory: (config: AppConfig): RedisClient | null => {
        const settings = config.logging.redis;
        return settings ? createRedisClient(settings) : null;
      },
    },
    RedisConnection,
  ],
  exports: [REDIS_CLIENT, RedisConnection],
})
export class RedisModule {}
