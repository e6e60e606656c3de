import { Injectable, Optional } from '@nestjs/common';
import { PACKAGE } from '../common/package-info';
import { ModelRegistry } from '../model-pool/model-registry';
import { RedisHealthIndicator } from './health-indicator';

/** The reference's /health body; `status` follows the model, since Redis is optional (logs fall back in-process). */
export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  model_loaded: boolean;
  redis_connected: boolean;
  version: string;
}

@Injectable()
export class HealthService {
  constructor(
    private readonly registry: ModelRegistry,
    @Optional() private readonly redis?: RedisHealthIndicator,
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
    };
  }
}
