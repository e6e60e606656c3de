import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { readFileSync } from 'node:fs';
import type { ElasticsearchSettings } from '../config/app-config';

/** Thrown at start-up when the Elasticsearch settings cannot produce a client (e.g. an unreadable CA file). */
export class ElasticsearchConfigError extends Error {
  override name = 'ElasticsearchConfigError';
}

/**
 * Per-request bounds. The shipper retries failed batches itself, with backoff, on later runs, so the client only
 * rides over a brief blip instead of holding a run for minutes.
 */
export const ELASTICSEARCH_REQUEST_TIMEOUT_MS = 30_000;
export const ELASTICSEARCH_MAX_RETRIES = 1;

/** The client options for the configured cluster: its nodes, API key or basic auth, and the CA that signed its TLS cert. */
export function elasticsearchClientOptions(settings: ElasticsearchSettings): ClientOptions {
  const options: ClientOptions = {
    nodes: settings.nodes,
    requestTimeout: ELASTICSEARCH_REQUEST_TIMEOUT_MS,
    maxRetries: ELASTICSEARCH_MAX_RETRIES,
    name: 'lungcheck',
  };
  if (settings.apiKey) {
    options.auth = { apiKey: settings.apiKey };
  } else if (settings.username) {
    options.auth = { username: settings.username, password: settings.password ?? '' };
  }
  if (settings.caCertPath) {
    let ca: Buffer;
    try {
      ca = readFileSync(settings.caCertPath);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ElasticsearchConfigError(
        `ES_CA_CERT: cannot read the CA certificate ${settings.caCertPath}: ${why}`,
      );
    }
    options.tls = { ca, rejectUnauthorized: true };
  }
  return options;
}

export function createElasticsearchClient(settings: ElasticsearchSettings): Client {
  return new Client(elasticsearchClientOptions(settings));
}
