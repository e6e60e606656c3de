import { Module } from '@nestjs/common';
import { LogShippingCoreModule } from '../log-shipping/log-shipping.module';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { RequestLogModule } from '../request-log/request-log.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** What operators watch: Prometheus metrics (and, later, drift and the dashboard). */
@Module({
  imports: [ModelPoolModule, RequestLogModule, LogShippingCoreModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MonitoringModule {}
