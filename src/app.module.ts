import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from './config/app-config';
import { ApiKeyGuard } from './common/api-key.guard';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { InfoModule } from './info/info.module';
import { LogShippingModule } from './log-shipping/log-shipping.module';
import { ModelPoolModule } from './model-pool/model-pool.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { PredictionModule } from './prediction/prediction.module';
import { RequestLogInterceptor } from './request-log/request-log.interceptor';
import { RequestLogModule } from './request-log/request-log.module';
import { WebModule } from './web/web.module';

@Module({
  imports: [
    ConfigModule,
    // RATE_LIMIT_PER_MINUTE per client IP (req.ip, which TRUST_PROXY governs), over all routes together.
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ ttl: 60_000, limit: Math.max(config.api.rateLimitPerMinute, 1) }],
        skipIf: () => config.api.rateLimitPerMinute === 0,
        generateKey: (_context, tracker) => tracker,
        // Ours rather than the library's "ThrottlerException: Too Many Requests"; Retry-After says the same.
        errorMessage: (_context, { limit, timeToBlockExpire: seconds }) =>
          `Too many requests from this address: at most ${limit} a minute; try again in ${seconds} ` +
          `second${seconds === 1 ? '' : 's'}`,
      }),
    }),
    ModelPoolModule,
    PredictionModule,
    HealthModule,
    InfoModule,
    RequestLogModule,
    LogShippingModule,
    WebModule,
    MonitoringModule,
  ],
  providers: [
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_INTERCEPTOR, useExisting: RequestLogInterceptor },
  ],
})
export class AppModule {}
