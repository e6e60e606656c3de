import { Injectable, Optional } from '@nestjs/common';
import { PACKAGE } from '../common/package-info';
import { LogShippingService, type ShippingStatus } from '../log-shipping/log-shipping.service';
import { ModelRegistry } from '../model-pool/model-registry';
import { RedisHealthIndicator } from './health-indicator';

/** The reference's /health body; `status` follows the model, since Redis is optional (logs fall back in-process). */
export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  model_loaded: boolean;
  redis_connected: boolean;
  version: string;
  /** Log shipping to Elasticsearch (or the NDJSON archive): last run, totals, queue backlog. */
  shipping?: ShippingStatus;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly registry: ModelRegistry,
    @Optional() private readonly redis?: RedisHealthIndicator,
    @Optional() private readonly shipping?: LogShippingService,
  ) {}

  async check(): Promise<HealthReport> {
    const modelLoaded = this.registry.isLoaded();
    const redisConnected = this.redis
      ? await Promise.resolve(this.redis.isConnected()).catch(() => false)
      : false;
    return {
      status: modelLoaded ? 'healthy' : 'unhealthy',
      model_loaded: modelLoaded,
      redis_connected: redisConnected,
      version: PACKAGE.version,
      ...(this.shipping ? { shipping: await this.shipping.status() } : {}),
    };
  }
}
