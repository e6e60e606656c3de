import { Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { REDIS_CLIENT, RedisModule } from '../redis/redis.module';
import { LogStore } from './log-store';
import { MemoryLogStore } from './memory-log-store';
import { RedisLogStore } from './redis-log-store';

/** Redis when it is configured, the embedded in-process store otherwise. */
function createLogStore(config: AppConfig, redis: Redis | null): LogStore {
  const { viewKey, streamKey, viewMaxSize, bufferMax } = config.logging;
  return redis
    ? new RedisLogStore(redis, { viewKey, streamKey, viewMaxSize, bufferMax })
    : new MemoryLogStore({ viewMaxSize, bufferMax });
}

/** Request logging: the log store (exported for the shipper). */
@Global()
@Module({
  imports: [RedisModule],
  providers: [{ provide: LogStore, inject: [AppConfig, REDIS_CLIENT], useFactory: createLogStore }],
  exports: [LogStore],
})
export class RequestLogModule {}
