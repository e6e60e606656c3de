import { InvalidArgumentError } from 'commander';
import type { AppConfig, ElasticsearchSettings } from '../config/app-config';

/**
 * The migration tool's options as commander hands them over, and how they become connection settings. The
 * reference's names are kept (`--es-host localhost:9200`, `--kibana-host`), next to the URLs lungcheck uses.
 */

export const DEFAULT_ES_URL = 'http://localhost:9200';
export const DEFAULT_KIBANA_URL = 'http://localhost:5601';
export const DEFAULT_INDEX_PATTERN = 'ml-api-*';
export const DEFAULT_BATCH_SIZE = 1000;

export interface ConnectionOptions {
  esUrl?: string;
  esHost?: string;
  kibanaUrl?: string;
  kibanaHost?: string;
  username?: string;
  password?: string;
  apiKey?: string;
  caCert?: string;
}

export interface MigrationOptions extends ConnectionOptions {
  output?: string;
  input?: string;
  indexes: string;
  batchSize: number;
  overwrite: boolean;
  dryRun: boolean;
  /** import-reference: the IANA zone the reference's API host ran in (its timestamps are that zone's wall clock). */
  sourceTimezone?: string;
}

/** `localhost:9200`, `es.example` or a full URL → an origin URL; http unless the value says https. */
export function hostUrl(value: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(`expected host:port or an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got "${value}"`);
  }
  // A user and password written in the URL are kept: the client takes them from there (reports redact them).
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${url.protocol}//${auth}${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** An IANA zone name (`Europe/Paris`, `UTC`), checked against the zones this Node.js knows. */
export function timeZone(value: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a time zone name such as Europe/Paris or UTC`);
  }
}

/**
 * The cluster to talk to: `--es-url` (several nodes comma-separated), `--es-host`, else the service's own settings
 * (ES_URL, ES_HOST…), else localhost:9200. Credentials given as options replace the configured ones as a whole, so
 * an `--api-key` is never sent together with a configured user; without any, ES_API_KEY or ES_USERNAME/ES_PASSWORD
 * apply, which keeps secrets off the command line.
 */
export function elasticsearchSettings(options: ConnectionOptions, config: AppConfig): ElasticsearchSettings {
  const configured = config.shipping.elasticsearch;
  const nodes = options.esUrl
    ? options.esUrl.split(',').map((node) => hostUrl(node.trim()))
    : options.esHost
      ? [hostUrl(options.esHost)]
      : (configured?.nodes ?? [DEFAULT_ES_URL]);
  const credentials =
    options.apiKey || options.username
      ? { apiKey: options.apiKey, username: options.username, password: options.password }
      : { apiKey: configured?.apiKey, username: configured?.username, password: configured?.password };
  return { nodes, ...credentials, caCertPath: options.caCert ?? configured?.caCertPath };
}

export function kibanaUrl(options: ConnectionOptions): string {
  return hostUrl(options.kibanaUrl ?? options.kibanaHost ?? DEFAULT_KIBANA_URL);
}

/** Kibana takes the stack's users and Elasticsearch API keys: the same credentials as the cluster. */
export function kibanaAuthorization(settings: ElasticsearchSettings): string | undefined {
  if (settings.apiKey) {
    return `ApiKey ${settings.apiKey}`;
  }
  if (settings.username) {
    return `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}`;
  }
  return undefined;
}
