import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { InfoModule } from './info/info.module';
import { LogShippingModule } from './log-shipping/log-shipping.module';
import { ModelPoolModule } from './model-pool/model-pool.module';
import { PredictionModule } from './prediction/prediction.module';
import { RequestLogInterceptor } from './request-log/request-log.interceptor';
import { RequestLogModule } from './request-log/request-log.module';
import { WebModule } from './web/web.module';

@Module({
  imports: [
    ConfigModule,
    ModelPoolModule,
    PredictionModule,
    HealthModule,
    InfoModule,
    RequestLogModule,
    LogShippingModule,
    WebModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
    { provide: APP_INTERCEPTOR, useExisting: RequestLogInterceptor },
  ],
})
export class AppModule {}
