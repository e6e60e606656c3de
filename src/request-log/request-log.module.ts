import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { CLUSTER_KEY_TAG, type RedisClient } from '../redis/redis-client.factory';
import { REDIS_CLIENT, RedisModule } from '../redis/redis.module';
import { LogStore } from './log-store';
import { MemoryLogStore } from './memory-log-store';
import { RedisLogStore } from './redis-log-store';
import { RequestLogController } from './request-log.controller';
import { RequestLogInterceptor } from './request-log.interceptor';
import { RequestLogService } from './request-log.service';

/** Redis when it is configured, the embedded in-process store otherwise. */
function createLogStore(config: AppConfig, redis: RedisClient | null): LogStore {
  const { viewMaxSize, bufferMax } = config.logging;
  const { consumerName: consumer, claimIdleMs } = config.shipping;
  // In a Redis Cluster every key carries one hash tag, so they share a slot (see CLUSTER_KEY_TAG).
  const tag = config.logging.redis?.clusterNodes ? CLUSTER_KEY_TAG : '';
  const viewKey = `${tag}${config.logging.viewKey}`;
  const streamKey = `${tag}${config.logging.streamKey}`;
  return redis
    ? new RedisLogStore(redis, { viewKey, streamKey, viewMaxSize, bufferMax, consumer, claimIdleMs })
    : new MemoryLogStore({ viewMaxSize, bufferMax });
}

/**
 * Request logging: the log store (exported for the shipper), the recorder the global interceptor and the error
 * filter feed, and the logs API. Global, so that the filter, /health and the shipper reach it from anywhere.
 */
@Global()
@Module({
  imports: [RedisModule],
  controllers: [RequestLogController],
  providers: [
    { provide: LogStore, inject: [AppConfig, REDIS_CLIENT], useFactory: createLogStore },
    RequestLogService,
    RequestLogInterceptor,
  ],
  exports: [LogStore, RequestLogService, RequestLogInterceptor],
})
export class RequestLogModule {}
