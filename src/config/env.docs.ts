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
  PORT: { description: 'Overrides API_PORT (platforms that inject PORT).' },
  API_KEY: {
    description: 'Key(s) for X-API-Key or Authorization: Bearer; comma-separated to rotate; 16+ characters.',
    secret: true,
  },
  API_KEY_REQUIRED_FOR: {
    description:
      'With API_KEY: admin (the POSTs that change state, DELETE /logs), logs (also /logs, /models/compare), or all (all but /health*, /metrics).',
  },
  CORS_ORIGINS: {
    description: 'Origins a browser may call the API from, comma-separated, or *; unset: same origin only.',
  },
  RATE_LIMIT_PER_MINUTE: {
    description: 'Requests per minute per client IP, then 429 with Retry-After; 0: no limit.',
  },
  TRUST_PROXY: {
    description:
      'Proxies in front, whose X-Forwarded-For gives the client IP: their number (1 behind one load balancer) or ' +
      'their addresses/subnets (10.0.0.0/8, loopback); true is refused.',
  },
  MAX_INFLIGHT_REQUESTS: {
    description: 'Requests in progress at most; past it 503 with Retry-After at once; 0: no limit.',
  },
  HTTP_HEADERS_TIMEOUT_MS: {
    description:
      'How long a client may take to send the request headers; checked every second (408 within this + 1 s).',
  },
  HTTP_REQUEST_TIMEOUT_MS: {
    description:
      'How long a client may take to send a whole request; checked every second (408 within this + 1 s).',
  },
  HTTP_KEEP_ALIVE_TIMEOUT_MS: {
    description:
      'How long an idle keep-alive connection stays open (Keep-Alive: timeout); Node closes it 1 s later.',
  },
  SHUTDOWN_TIMEOUT_MS: {
    description:
      'On SIGTERM, how long requests in progress may take; connections idle for 1 s are closed before, the rest then.',
  },
  HEALTH_WINDOW_SECONDS: {
    description: '/health is degraded when log entries were dropped within this many seconds.',
  },
  HEALTH_SHIPPING_FAILURES: {
    description: '/health is degraded after this many failed shipping runs in a row.',
  },
  MODEL_DIR: { description: 'Directory of `<name>.onnx` models with their `<name>.card.json` cards.' },
  MODEL_PATH: { description: 'One model file to serve as the default.' },
  MODEL_POOL_SIZE: { description: 'onnxruntime sessions per model (1-64).' },
  MODEL_ACQUIRE_TIMEOUT_MS: { description: 'How long a prediction waits for a free session before a 503.' },
  MODEL_WATCH: {
    description: 'Reload a model when its files in MODEL_DIR change (as POST /models/reload does).',
  },
  EXPLAIN_BY_DEFAULT: {
    description: 'Explain every prediction (as `?explain=true`) unless the request says `?explain=false`.',
  },
  SHADOW_MODEL: {
    description:
      'A loaded model that also answers every prediction after the response, for GET /models/compare.',
  },
  LOG_REQUESTS: { description: 'Log every API call (false: no entry is made, so none is shipped).' },
  BATCH_MAX_ROWS: {
    description: 'Most rows in one POST /predict/batch (whose body may take 1 KiB per row).',
  },
  MICRO_BATCH_MAX_ROWS: {
    description: 'Concurrent predictions of a model run together, at most this many per run; 0 turns it off.',
  },
  MICRO_BATCH_MAX_WAIT_US: {
    description: 'Longest wait of a prediction for its micro-batch to fill; 0 turns it off.',
  },
  ENABLE_PERFORMANCE_MONITORING: {
    description: 'Measure each prediction (latency, inference, CPU, memory, stages) in its log entry.',
  },
  PROFILE_SAMPLE_RATE: { description: 'Share of predictions (0-1) profiled by V8 too (costly).' },
  REDIS_URL: { description: 'Redis URL; wins over REDIS_HOST/PORT/DB/PASSWORD.' },
  REDIS_HOST: {
    description: 'Redis host. Unset (no REDIS_URL either): logs stay in a bounded in-process store.',
  },
  REDIS_CLUSTER_NODES: {
    description: 'Redis Cluster nodes (host:port,…); wins over REDIS_URL and REDIS_HOST.',
  },
  REDIS_PORT: { description: 'Redis port.' },
  REDIS_DB: { description: 'Redis database number (0-15).' },
  REDIS_PASSWORD: { description: 'Redis password.', secret: true },
  REDIS_LOGS_KEY: { description: 'Redis list of the newest entries, which GET /logs reads.' },
  REDIS_LOG_STREAM_KEY: { description: 'Redis stream of the entries not yet shipped.' },
  REDIS_LOGS_MAX_SIZE: { description: 'How many newest entries the /logs view keeps.' },
  LOG_BUFFER_MAX: {
    description:
      'Most unshipped entries kept (queue, and memory while Redis is down); the oldest are dropped.',
  },
  LOG_BUFFER_MAX_MB: {
    description: 'Most MiB of unshipped entries kept in this process; the oldest are dropped.',
  },
  LOG_FLUSH_INTERVAL_MS: {
    description: 'Longest wait of an entry in memory before it is written: what a SIGKILL can lose.',
  },
  LOG_INPUTS: { description: 'full: entries keep the survey answers; none: never stored.' },
  LOG_SHIP_INTERVAL_SECONDS: { description: 'Seconds between shipping runs; 0 turns the schedule off.' },
  LOG_SHIP_BATCH_SIZE: { description: 'Entries per bulk request.' },
  LOG_SHIP_CLAIM_IDLE_MS: {
    description: 'Entries another replica has held unacknowledged this long are taken over.',
  },
  HOSTNAME: {
    description: "This replica's name in the shipping queue (set by Docker and Kubernetes); random if unset.",
  },
  LOG_ARCHIVE_DIR: {
    description: 'Without Elasticsearch, shipped entries go here as Bulk-API NDJSON files.',
  },
  ES_URL: {
    description: 'Elasticsearch URL, or several nodes comma-separated. Unset: logs go to LOG_ARCHIVE_DIR.',
  },
  ES_HOST: { description: 'Elasticsearch host (with ES_PORT) when ES_URL is unset; https with ES_CA_CERT.' },
  ES_PORT: { description: 'Elasticsearch port, with ES_HOST.' },
  ELASTICSEARCH_HOST: { description: "The reference's name for ES_HOST." },
  ELASTICSEARCH_PORT: { description: "The reference's name for ES_PORT." },
  ES_USERNAME: { description: 'Elasticsearch basic-auth user.' },
  ES_PASSWORD: { description: 'Elasticsearch basic-auth password.', secret: true },
  ES_API_KEY: { description: 'Elasticsearch API key (instead of user/password).', secret: true },
  ES_CA_CERT: { description: 'CA certificate (PEM file) of the cluster, for TLS.' },
  ES_INDEX_LOGS: { description: 'Index of every log entry.' },
  ES_INDEX_MESSAGE: { description: 'Index of successful predictions (input and result).' },
  ES_INDEX_PERFS: { description: 'Index of per-prediction performance profiles.' },
  ES_INDEX_TOP_FUNC: { description: 'Index of the costliest stages, one document each.' },
  ES_INDEX_DEADLETTER: { description: 'Index of documents Elasticsearch refused for good, with the reason.' },
  ES_INDEX_DRIFT: { description: 'Index of the scheduled drift evaluations (DRIFT_EVALUATE_SECONDS).' },
  LOG_LEVEL: { description: 'Console log level: error, warn, log, debug, verbose.' },
  DRIFT_WINDOW_SIZE: {
    description: 'Drift compares the last this many logged predictions with the training data.',
  },
  DRIFT_MIN_SAMPLES: {
    description: 'Below this many predictions in the window, drift answers "not enough data".',
  },
  DRIFT_P_VALUE: {
    description:
      'An input drifts when its Holm-adjusted p-value is below this (the decisions: their p-value).',
  },
  DRIFT_P_VALUE_POSSIBLE: { description: 'Possible drift (a warning) below this adjusted p-value.' },
  DRIFT_SHARE: { description: 'The data set drifts when at least this share of the 15 inputs drift.' },
  DRIFT_EVALUATE_SECONDS: {
    description: 'How often drift is evaluated and kept (7 days) and shipped to ES_INDEX_DRIFT; 0: never.',
  },
  DRIFT_REFERENCE: {
    description:
      'What drift compares with: card (the training data) or window:<from>/<to> of logged traffic.',
  },
  ALERT_LATENCY_MS_WARNING: {
    description: 'Alert: p95 server-side duration (ms) of prediction requests over 5 minutes, warning.',
  },
  ALERT_LATENCY_MS_CRITICAL: { description: 'Alert: p95 prediction request duration (ms), critical.' },
  ALERT_CPU_MS_WARNING: {
    description: 'Alert: process CPU time (ms) per predicted row over 5 minutes, warning.',
  },
  ALERT_CPU_MS_CRITICAL: { description: 'Alert: process CPU time (ms) per predicted row, critical.' },
  ALERT_MEMORY_DELTA_MB_WARNING: {
    description: "Alert: growth (MB) of a replica's resident memory over 5 minutes, warning.",
  },
  ALERT_MEMORY_DELTA_MB_CRITICAL: {
    description: 'Alert: resident-memory growth (MB) over 5 minutes, critical.',
  },
  ALERT_INFERENCE_MS_WARNING: { description: 'Alert: p95 model-run time (ms) over 5 minutes, warning.' },
  ALERT_INFERENCE_MS_CRITICAL: { description: 'Alert: p95 model-run time (ms), critical.' },
  ALERT_SHIPPING_LAG_SECONDS_WARNING: {
    description: 'Alert: age (s) of the oldest log entry not yet shipped, warning.',
  },
  ALERT_SHIPPING_LAG_SECONDS_CRITICAL: {
    description: 'Alert: age (s) of the oldest unshipped entry, critical.',
  },
};
