import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LogShippingCoreModule } from '../log-shipping/log-shipping.module';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { RedisModule } from '../redis/redis.module';
import { RequestLogModule } from '../request-log/request-log.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { ShutdownState } from './shutdown-state';

/** Health reports and probes, and the shutdown state they and the HTTP layer read. */
@Module({
  imports: [
    ModelPoolModule,
    RedisModule,
    RequestLogModule,
    LogShippingCoreModule,
    TerminusModule.forRoot({ logger: false }),
  ],
  controllers: [HealthController],
  providers: [HealthService, ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
