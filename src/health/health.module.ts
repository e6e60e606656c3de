import { Module } from '@nestjs/common';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({
  imports: [ModelPoolModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
