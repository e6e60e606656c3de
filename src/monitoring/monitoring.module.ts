import { Module } from '@nestjs/common';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** What operators watch: Prometheus metrics (and, later, drift and the dashboard). */
@Module({
  imports: [ModelPoolModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MonitoringModule {}
