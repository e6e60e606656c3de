import { Module } from '@nestjs/common';
import { LogShippingCoreModule } from '../log-shipping/log-shipping.module';
import { LogStoreModule } from '../log-store/log-store.module';
import { RedisModule } from '../redis/redis.module';
import { RequestLogController } from './request-log.controller';
import { RequestLogInterceptor } from './request-log.interceptor';
import { RequestLogService } from './request-log.service';

/**
 * Request logging: the recorder (one entry per API call, built when its response has ended, written to the log store
 * off the response path), its interceptor, and the logs API (which reports the shipping backlog too).
 */
@Module({
  imports: [LogStoreModule, RedisModule, LogShippingCoreModule],
  controllers: [RequestLogController],
  providers: [RequestLogService, RequestLogInterceptor],
  exports: [RequestLogService, RequestLogInterceptor],
})
export class RequestLogModule {}
