import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { InfoModule } from './info/info.module';
import { LogShippingModule } from './log-shipping/log-shipping.module';
import { ModelPoolModule } from './model-pool/model-pool.module';
import { PredictionModule } from './prediction/prediction.module';

@Module({
  imports: [ConfigModule, ModelPoolModule, PredictionModule, HealthModule, InfoModule, LogShippingModule],
  providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
})
export class AppModule {}
