import { Module } from '@nestjs/common';
import { LogShippingCoreModule } from '../log-shipping/log-shipping.module';
import { ModelPoolModule } from '../model-pool/model-pool.module';
import { RequestLogModule } from '../request-log/request-log.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { LogStoreModule } from '../log-store/log-store.module';
import { MonitoringController } from './monitoring.controller';
import { MonitoringService } from './monitoring.service';
import { AlertsService } from './alerts.service';
import { DriftService } from './drift.service';
import { MonitoringJobs } from './monitoring.jobs';
import { ShadowModule } from '../shadow/shadow.module';

/** What operators watch: Prometheus metrics, drift against the training data, the dashboard and its alerts. */
@Module({
  imports: [ModelPoolModule, RequestLogModule, LogShippingCoreModule, LogStoreModule, ShadowModule],
  controllers: [MetricsController, MonitoringController],
  providers: [MetricsService, DriftService, AlertsService, MonitoringService, MonitoringJobs],
  exports: [MetricsService],
})
export class MonitoringModule {}
