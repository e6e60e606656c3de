import { Inject, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import type { Client } from '@elastic/elasticsearch';
import { AppConfig } from '../config/app-config';
import { createElasticsearchClient } from './elasticsearch-client.factory';

/** The Elasticsearch client, or null when no cluster is configured (ES_URL / ES_HOST unset). */
export const ELASTICSEARCH_CLIENT = Symbol('ELASTICSEARCH_CLIENT');

/**
 * The single owner of the @elastic/elasticsearch client: built from AppConfig in a factory provider, closed when
 * the application shuts down. No connection is attempted at start-up, so the service starts while the cluster is
 * down; the shipper finds out on its first run and retries.
 */
@Module({
  providers: [
    {
      provide: ELASTICSEARCH_CLIENT,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Client | null => {
        const settings = config.shipping.elasticsearch;
        return settings ? createElasticsearchClient(settings) : null;
      },
    },
  ],
  exports: [ELASTICSEARCH_CLIENT],
})
export class ElasticsearchModule implements OnModuleDestroy {
  private readonly logger = new Logger(ElasticsearchModule.name);

  constructor(@Inject(ELASTICSEARCH_CLIENT) private readonly client: Client | null) {}

  async onModuleDestroy(): Promise<void> {
    await this.client?.close().catch((error: unknown) => {
      this.logger.warn(`Closing the Elasticsearch client failed: ${String(error)}`);
    });
  }
}
