import { Injectable, Optional } from '@nestjs/common';
import { PACKAGE } from '../common/package-info';
import { LogShippingService, type ShippingStatus } from '../log-shipping/log-shipping.service';
import { ModelRegistry } from '../model-pool/model-registry';
import { RequestLogService } from '../request-log/request-log.service';
import { RedisHealthIndicator } from './health-indicator';

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
  request_log?: {
    store: 'redis' | 'memory';
    buffered: number;
    dropped_in_memory: number;
    write_failures: number;
  };
  /** Log shipping to Elasticsearch (or the NDJSON archive): last run, totals, queue backlog. */
  shipping?: ShippingStatus;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly registry: ModelRegistry,
    @Optional() private readonly redis?: RedisHealthIndicator,
    @Optional() private readonly shipping?: LogShippingService,
    @Optional() private readonly requestLog?: RequestLogService,
  ) {}

  async check(): Promise<HealthReport> {
    const modelLoaded = this.registry.isLoaded();
    const redisConnected = this.redis
      ? await Promise.resolve(this.redis.isConnected()).catch(() => false)
      : false;
    const pipeline = this.requestLog?.pipeline();
    return {
      status: !modelLoaded ? 'unhealthy' : this.redis?.configured && !redisConnected ? 'degraded' : 'healthy',
      model_loaded: modelLoaded,
      redis_connected: redisConnected,
      version: PACKAGE.version,
      ...(pipeline
        ? {
            request_log: {
              store: pipeline.store,
              buffered: pipeline.buffered,
              dropped_in_memory: pipeline.dropped,
              write_failures: pipeline.writeFailures,
            },
          }
        : {}),
      ...(this.shipping ? { shipping: await this.shipping.status() } : {}),
    };
  }
}
