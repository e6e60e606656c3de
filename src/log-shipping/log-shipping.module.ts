import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { Client } from '@elastic/elasticsearch';
import { AppConfig } from '../config/app-config';
import { ELASTICSEARCH_CLIENT, ElasticsearchModule } from '../elasticsearch/elasticsearch.module';
import { LogStoreModule } from '../log-store/log-store.module';
import { BatchEncoder, WorkerBatchEncoder } from './batch-encoder';
import { ElasticsearchLogSink } from './elasticsearch-log-sink';
import { LogShippingController } from './log-shipping.controller';
import { LogShippingJob } from './log-shipping.job';
import { ShippingClock } from './log-shipping.clock';
import { LogShippingService } from './log-shipping.service';
import { indexTemplates } from './log-shipping.templates';
import { LogSink } from './log-sink';
import { NdjsonLogSink } from './ndjson-log-sink';

/**
 * The shipping service and its sink: Elasticsearch when a cluster is configured, NDJSON files otherwise. Reads the
 * log store, never the request logger; used alone by `npm run ship`.
 */
@Module({
  imports: [LogStoreModule, ElasticsearchModule],
  providers: [
    ShippingClock,
    {
      provide: LogSink,
      inject: [AppConfig, ELASTICSEARCH_CLIENT],
      useFactory: (config: AppConfig, client: Client | null): LogSink => {
        const { elasticsearch, indexes, archiveDir } = config.shipping;
        return client && elasticsearch
          ? new ElasticsearchLogSink(client, indexTemplates(indexes), elasticsearch.nodes.join(', '))
          : new NdjsonLogSink(archiveDir);
      },
    },
    { provide: BatchEncoder, useClass: WorkerBatchEncoder },
    LogShippingService,
  ],
  exports: [LogShippingService],
})
export class LogShippingCoreModule {}

/** The service's part: the core, the schedule and POST /logs/ship. */
@Module({
  imports: [ScheduleModule.forRoot(), LogShippingCoreModule],
  controllers: [LogShippingController],
  providers: [LogShippingJob],
})
export class LogShippingModule {}
