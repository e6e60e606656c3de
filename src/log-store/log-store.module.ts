import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { CLUSTER_KEY_TAG, type RedisClient } from '../redis/redis-client.factory';
import { REDIS_CLIENT, RedisModule } from '../redis/redis.module';
import { LogStore } from './log-store';
import { MemoryLogStore } from './memory-log-store';
import { RedisLogStore } from './redis-log-store';

/** Redis when it is configured, the embedded in-process store otherwise. */
function createLogStore(config: AppConfig, redis: RedisClient | null): LogStore {
  const { viewMaxSize, bufferMax, bufferMaxBytes } = config.logging;
  const { consumerName: consumer, claimIdleMs } = config.shipping;
  // In a Redis Cluster every key carries one hash tag, so they share a slot (see CLUSTER_KEY_TAG).
  const tag = config.logging.redis?.clusterNodes ? CLUSTER_KEY_TAG : '';
  const viewKey = `${tag}${config.logging.viewKey}`;
  const streamKey = `${tag}${config.logging.streamKey}`;
  return redis
    ? new RedisLogStore(redis, { viewKey, streamKey, viewMaxSize, bufferMax, consumer, claimIdleMs })
    : new MemoryLogStore({ viewMaxSize, bufferMax, bufferMaxBytes });
}

/**
 * The owner of the log entries: the `/logs` view and the queue of entries not yet shipped, in Redis or in this
 * process. Request logging writes to it, log shipping reads and acknowledges from it; neither needs the other.
 */
@Module({
  imports: [RedisModule],
  providers: [{ provide: LogStore, inject: [AppConfig, REDIS_CLIENT], useFactory: createLogStore }],
  exports: [LogStore],
})
export class LogStoreModule {}
