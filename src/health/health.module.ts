import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { ShutdownState } from './shutdown-state';

/** Health reports and probes, and the shutdown state they and the HTTP layer read (hence global). */
@Global()
@Module({
  imports: [ModelPoolModule, TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HealthService, ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
