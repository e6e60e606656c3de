import { Injectable } from '@nestjs/common';
import { PACKAGE } from '../common/package-info';
import { within } from '../common/within';
import { LogShippingService, type ShippingStatus } from '../log-shipping/log-shipping.service';
import { ModelRegistry } from '../model-pool/model-registry';
import { RedisConnection } from '../redis/redis.module';
import { RequestLogService } from '../request-log/request-log.service';
import { ShutdownState } from './shutdown-state';

/**
 * How long a health check waits for Redis: the whole answer stays within a second whatever Redis does (a frozen
 * Redis keeps its connection open and answers nothing; its commands fail only after 5 s).
 */
export const HEALTH_CHECK_TIMEOUT_MS = 800;

/**
 * The reference's /health body. `status` follows the model; with the model up, a configured Redis that does not
 * answer makes it `degraded` (predictions go on, their log entries wait in memory). Without Redis configured the
 * in-process store is the intended setup, not a degradation.
 */
export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  model_loaded: boolean;
  redis_connected: boolean;
  version: string;
  /** Request logs in this process: where they are stored, how many wait to be written, how many were dropped. */
  request_log: {
    store: 'redis' | 'memory';
    buffered: number;
    dropped_in_memory: number;
    write_failures: number;
  };
  /** Log shipping (Elasticsearch or the NDJSON archive): last run, totals, backlog; absent if Redis did not answer. */
  shipping?: ShippingStatus;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly redis: RedisConnection,
    private readonly shutdown: ShutdownState,
    private readonly shipping: LogShippingService,
    private readonly requestLog: RequestLogService,
  ) {}

  async check(): Promise<HealthReport> {
    const modelLoaded = this.registry.isLoaded();
    const [redisConnected, shipping] = await Promise.all([
      this.redis.answers(HEALTH_CHECK_TIMEOUT_MS),
      within(this.shipping.status(), HEALTH_CHECK_TIMEOUT_MS, undefined),
    ]);
    const pipeline = this.requestLog.pipeline();
    return {
      status: !modelLoaded ? 'unhealthy' : this.redis.configured && !redisConnected ? 'degraded' : 'healthy',
      model_loaded: modelLoaded,
      redis_connected: redisConnected,
      version: PACKAGE.version,
      request_log: {
        store: pipeline.store,
        buffered: pipeline.buffered,
        dropped_in_memory: pipeline.dropped,
        write_failures: pipeline.writeFailures,
      },
      ...(shipping ? { shipping } : {}),
    };
  }

  /** Whether this process should get traffic: its models are loaded and it is not shutting down. */
  ready(): { ready: boolean; models_loaded: boolean; shutting_down: boolean } {
    const modelsLoaded = this.registry.isLoaded();
    const shuttingDown = this.shutdown.shuttingDown;
    return { ready: modelsLoaded && !shuttingDown, models_loaded: modelsLoaded, shutting_down: shuttingDown };
  }
}
