import type { EnvName } from './env.schema';

export interface EnvDoc {
  description: string;
  /** Never logged or shown; must not be committed. */
  secret?: boolean;
}

/**
 * One description per environment variable. The README table and `.env.example` mirror this record, and
 * `env.docs.spec.ts` keeps the three equal; the schema's defaults are the single source of default values.
 */
export const ENV_DOCS: Record<EnvName, EnvDoc> = {
  API_HOST: { description: 'Address the HTTP server listens on.' },
  API_PORT: { description: 'Port the HTTP server listens on.' },
  PORT: { description: 'Overrides API_PORT when set (platforms that inject PORT).' },
  API_KEY: {
    description:
      'Key(s) required in X-API-Key or Authorization: Bearer (comma-separated for rotation, 16+ characters each).',
    secret: true,
  },
  API_KEY_REQUIRED_FOR: {
    description:
      'With API_KEY: admin (DELETE /logs, POST /logs/ship), logs (those and every /logs endpoint), all (all but probes and /metrics).',
  },
  CORS_ORIGINS: {
    description:
      'Origins allowed to call the API from a browser, comma-separated, or *; unset: same origin only.',
  },
  RATE_LIMIT_PER_MINUTE: {
    description: 'Requests per minute per client IP (429 with Retry-After past it); 0 turns it off.',
  },
  TRUST_PROXY: {
    description:
      "Express's trust proxy: unset trusts none; true, a hop count or addresses read the client IP from X-Forwarded-For.",
  },
  MAX_INFLIGHT_REQUESTS: {
    description:
      'Requests in progress at most; past it, 503 with Retry-After at once (load shedding); 0 turns it off.',
  },
  HTTP_HEADERS_TIMEOUT_MS: { description: 'How long a client may take to send the request headers.' },
  HTTP_REQUEST_TIMEOUT_MS: { description: 'How long a client may take to send a whole request.' },
  HTTP_KEEP_ALIVE_TIMEOUT_MS: { description: 'How long an idle keep-alive connection stays open.' },
  SHUTDOWN_TIMEOUT_MS: { description: 'On SIGTERM, how long requests in progress may take to finish.' },
  MODEL_DIR: { description: 'Directory of `<name>.onnx` models with their `<name>.card.json` cards.' },
  MODEL_PATH: { description: 'One model file to serve as the default, overriding the directory default.' },
  MODEL_POOL_SIZE: { description: 'onnxruntime sessions per model in its generic-pool pool (1-64).' },
  MODEL_ACQUIRE_TIMEOUT_MS: {
    description: 'How long a prediction waits for a free session before answering 503 with Retry-After.',
  },
  ENABLE_PERFORMANCE_MONITORING: {
    description:
      'Measure per-request profile (inference, latency, CPU, memory, top stages) in each log entry.',
  },
  PROFILE_SAMPLE_RATE: {
    description: 'Share of predictions (0-1) that also get a real V8 CPU profile (costly; 0 turns it off).',
  },
  REDIS_URL: { description: 'Redis connection URL; takes precedence over REDIS_HOST/PORT/DB/PASSWORD.' },
  REDIS_HOST: {
    description: 'Redis host. Unset (and no REDIS_URL): logs live in a bounded in-process store instead.',
  },
  REDIS_CLUSTER_NODES: {
    description: 'Redis Cluster nodes (host:port,…); takes precedence over REDIS_URL and REDIS_HOST.',
  },
  REDIS_PORT: { description: 'Redis port.' },
  REDIS_DB: { description: 'Redis database number (0-15).' },
  REDIS_PASSWORD: { description: 'Redis password.', secret: true },
  REDIS_LOGS_KEY: { description: 'Redis list holding the newest entries that GET /logs reads.' },
  REDIS_LOG_STREAM_KEY: { description: 'Redis stream holding the entries not yet shipped to Elasticsearch.' },
  REDIS_LOGS_MAX_SIZE: { description: 'How many newest entries the /logs view keeps.' },
  LOG_BUFFER_MAX: {
    description:
      'Bound of the unshipped queue and of the in-process buffer while Redis is down; past it the oldest are dropped and counted.',
  },
  LOG_FLUSH_INTERVAL_MS: {
    description:
      'Entries wait in memory at most this long before being written (bounds what a SIGKILL loses).',
  },
  LOG_INPUTS: { description: 'full: log entries keep the survey answers; none: they are not stored at all.' },
  LOG_SHIP_INTERVAL_SECONDS: { description: 'Seconds between log-shipping runs; 0 turns the schedule off.' },
  LOG_SHIP_BATCH_SIZE: { description: 'Entries read and bulk-indexed per batch.' },
  LOG_SHIP_CLAIM_IDLE_MS: {
    description:
      'An entry another replica read and left unacknowledged this long is taken over (XAUTOCLAIM).',
  },
  HOSTNAME: {
    description:
      "This replica's consumer name in the shipping queue (set by Docker and Kubernetes); random when unset.",
  },
  LOG_ARCHIVE_DIR: {
    description: 'Without Elasticsearch, shipped batches are written here as Bulk-API NDJSON files.',
  },
  ES_URL: {
    description:
      'Elasticsearch URL, or several nodes comma-separated. Unset (and no ES_HOST): logs go to LOG_ARCHIVE_DIR.',
  },
  ES_HOST: {
    description:
      'Elasticsearch host (with ES_PORT when ES_URL is unset); https with ES_CA_CERT or an https:// prefix.',
  },
  ES_PORT: { description: 'Elasticsearch port, with ES_HOST.' },
  ELASTICSEARCH_HOST: { description: "The reference's name for ES_HOST, read when ES_HOST is unset." },
  ELASTICSEARCH_PORT: { description: "The reference's name for ES_PORT, with ELASTICSEARCH_HOST." },
  ES_USERNAME: { description: 'Elasticsearch basic-auth user.' },
  ES_PASSWORD: { description: 'Elasticsearch basic-auth password.', secret: true },
  ES_API_KEY: { description: 'Elasticsearch API key (instead of user/password).', secret: true },
  ES_CA_CERT: { description: 'Path to the CA certificate (PEM) that signed the cluster TLS certificate.' },
  ES_INDEX_LOGS: { description: 'Index of every log entry.' },
  ES_INDEX_MESSAGE: { description: 'Index of successful predictions (input and result).' },
  ES_INDEX_PERFS: { description: 'Index of per-prediction performance profiles.' },
  ES_INDEX_TOP_FUNC: { description: 'Index of the costliest stages, one document per stage per prediction.' },
  ES_INDEX_DEADLETTER: { description: 'Index of entries Elasticsearch refused for good, with the reason.' },
  LOG_LEVEL: { description: 'Console log level of the service: error, warn, log, debug, verbose.' },
};
