import type { LogLevel } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EnvironmentVariables } from './env.schema';
import { type TrustProxy, trustProxySetting } from './trust-proxy';

/** Nest's levels from the least verbose. */
const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The levels Nest's logger writes for LOG_LEVEL: that one and every less verbose one. */
export function logLevels(level: EnvironmentVariables['LOG_LEVEL']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

export interface RedisSettings {
  /** Redis Cluster seed nodes; when set, host/port/db/url are not used. */
  clusterNodes?: { host: string; port: number }[];
  url?: string;
  host: string;
  port: number;
  db: number;
  password?: string;
}

export interface ElasticsearchSettings {
  /** One URL per node: the client spreads requests over them and skips a node that fails. */
  nodes: string[];
  username?: string;
  password?: string;
  apiKey?: string;
  caCertPath?: string;
}

/**
 * The service's typed configuration, derived once from the validated environment. Feature modules inject this,
 * never `process.env` nor ConfigService.
 */
export class AppConfig {
  readonly api: {
    host: string;
    port: number;
    /** Every accepted key (several during a rotation); empty: no key is asked for. */
    apiKeys: string[];
    apiKeyRequiredFor: EnvironmentVariables['API_KEY_REQUIRED_FOR'];
    /** Unset: no CORS headers (same origin only); `*`: any origin, never with credentials. */
    corsOrigins?: string[] | '*';
    rateLimitPerMinute: number;
    /** Express's `trust proxy` value (TRUST_PROXY). */
    trustProxy: TrustProxy;
    maxInflightRequests: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    shutdownTimeoutMs: number;
    /** HEALTH_WINDOW_SECONDS and HEALTH_SHIPPING_FAILURES: what makes /health `degraded`. */
    health: { windowSeconds: number; shippingFailures: number };
  };
  readonly model: {
    dir: string;
    path?: string;
    poolSize: number;
    acquireTimeoutMs: number;
    batchMaxRows: number;
    /** 0: micro-batching off. */
    microBatchMaxRows: number;
    microBatchMaxWaitUs: number;
    /** MODEL_WATCH: reload MODEL_DIR's models when their files change. */
    watch: boolean;
    /** EXPLAIN_BY_DEFAULT: explain every prediction unless `?explain=false`. */
    explainByDefault: boolean;
    /** SHADOW_MODEL: a loaded model that also answers every prediction, off the response path. */
    shadow?: string;
  };
  readonly logging: {
    /** LOG_REQUESTS: whether API calls are logged at all. */
    enabled: boolean;
    performanceMonitoring: boolean;
    profileSampleRate: number;
    /** Unset: the embedded in-process log store. */
    redis?: RedisSettings;
    viewKey: string;
    streamKey: string;
    viewMaxSize: number;
    bufferMax: number;
    /** LOG_BUFFER_MAX_MB in bytes: the in-process queue and the outage buffer. */
    bufferMaxBytes: number;
    flushIntervalMs: number;
    /** Whether log entries keep the survey answers (LOG_INPUTS). */
    keepInputs: boolean;
  };
  readonly shipping: {
    intervalSeconds: number;
    batchSize: number;
    archiveDir: string;
    /** This replica's consumer in the shipping queue's group. */
    consumerName: string;
    claimIdleMs: number;
    /** Unset: the embedded NDJSON sink. */
    elasticsearch?: ElasticsearchSettings;
    indexes: {
      logs: string;
      message: string;
      perfs: string;
      topFunc: string;
      deadLetter: string;
      drift: string;
    };
  };
  /** Drift monitoring: the window of recent predictions and the levels' thresholds (docs/monitoring.md). */
  readonly drift: DriftSettings;
  /** The dashboard's alerts: warning and critical thresholds of each watched figure. */
  readonly alerts: AlertSettings;
  /** The most verbose console level written (Nest's levels, `fatal` always included). */
  readonly logLevel: EnvironmentVariables['LOG_LEVEL'];

  constructor(e: EnvironmentVariables) {
    this.api = {
      host: e.API_HOST,
      port: e.PORT ?? e.API_PORT,
      apiKeys: list(e.API_KEY),
      apiKeyRequiredFor: e.API_KEY_REQUIRED_FOR,
      corsOrigins:
        e.CORS_ORIGINS === undefined ? undefined : e.CORS_ORIGINS === '*' ? '*' : list(e.CORS_ORIGINS),
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      trustProxy: trustProxySetting(e.TRUST_PROXY),
      maxInflightRequests: e.MAX_INFLIGHT_REQUESTS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      health: { windowSeconds: e.HEALTH_WINDOW_SECONDS, shippingFailures: e.HEALTH_SHIPPING_FAILURES },
    };
    this.model = {
      dir: e.MODEL_DIR,
      path: e.MODEL_PATH,
      poolSize: e.MODEL_POOL_SIZE,
      acquireTimeoutMs: e.MODEL_ACQUIRE_TIMEOUT_MS,
      batchMaxRows: e.BATCH_MAX_ROWS,
      microBatchMaxRows: e.MICRO_BATCH_MAX_WAIT_US === 0 ? 0 : e.MICRO_BATCH_MAX_ROWS,
      microBatchMaxWaitUs: e.MICRO_BATCH_MAX_WAIT_US,
      watch: e.MODEL_WATCH,
      explainByDefault: e.EXPLAIN_BY_DEFAULT,
      shadow: e.SHADOW_MODEL,
    };
    this.logging = {
      enabled: e.LOG_REQUESTS,
      performanceMonitoring: e.ENABLE_PERFORMANCE_MONITORING,
      profileSampleRate: e.PROFILE_SAMPLE_RATE,
      redis:
        e.REDIS_CLUSTER_NODES || e.REDIS_URL || e.REDIS_HOST
          ? {
              clusterNodes: e.REDIS_CLUSTER_NODES
                ? list(e.REDIS_CLUSTER_NODES).map((node) => {
                    const [host, port] = node.split(':');
                    return { host, port: Number(port) };
                  })
                : undefined,
              url: e.REDIS_URL,
              host: e.REDIS_HOST ?? '127.0.0.1',
              port: e.REDIS_PORT,
              db: e.REDIS_DB,
              password: e.REDIS_PASSWORD,
            }
          : undefined,
      viewKey: e.REDIS_LOGS_KEY,
      streamKey: e.REDIS_LOG_STREAM_KEY,
      viewMaxSize: e.REDIS_LOGS_MAX_SIZE,
      bufferMax: e.LOG_BUFFER_MAX,
      bufferMaxBytes: e.LOG_BUFFER_MAX_MB * 1024 * 1024,
      flushIntervalMs: e.LOG_FLUSH_INTERVAL_MS,
      keepInputs: e.LOG_INPUTS === 'full',
    };
    // ES_HOST and ES_PORT, or the reference's ELASTICSEARCH_HOST and ELASTICSEARCH_PORT, so its .env files work.
    const [esHost, esPort] = e.ES_HOST
      ? [e.ES_HOST, e.ES_PORT]
      : [e.ELASTICSEARCH_HOST, e.ELASTICSEARCH_PORT ?? e.ES_PORT];
    const esNodes = e.ES_URL
      ? list(e.ES_URL)
      : esHost
        ? [hostUrl(esHost, esPort, e.ES_CA_CERT !== undefined)]
        : undefined;
    this.shipping = {
      intervalSeconds: e.LOG_SHIP_INTERVAL_SECONDS,
      batchSize: e.LOG_SHIP_BATCH_SIZE,
      archiveDir: e.LOG_ARCHIVE_DIR,
      consumerName: consumerName(e.HOSTNAME),
      claimIdleMs: e.LOG_SHIP_CLAIM_IDLE_MS,
      elasticsearch: esNodes
        ? {
            nodes: esNodes,
            username: e.ES_USERNAME,
            password: e.ES_PASSWORD,
            apiKey: e.ES_API_KEY,
            caCertPath: e.ES_CA_CERT,
          }
        : undefined,
      indexes: {
        logs: e.ES_INDEX_LOGS,
        message: e.ES_INDEX_MESSAGE,
        perfs: e.ES_INDEX_PERFS,
        topFunc: e.ES_INDEX_TOP_FUNC,
        deadLetter: e.ES_INDEX_DEADLETTER,
        drift: e.ES_INDEX_DRIFT,
      },
    };
    this.drift = {
      windowSize: e.DRIFT_WINDOW_SIZE,
      minSamples: e.DRIFT_MIN_SAMPLES,
      pValue: { drift: e.DRIFT_P_VALUE, possible: e.DRIFT_P_VALUE_POSSIBLE },
      share: e.DRIFT_SHARE,
      evaluateSeconds: e.DRIFT_EVALUATE_SECONDS,
      reference: driftReference(e.DRIFT_REFERENCE),
    };
    this.alerts = {
      latency_ms: { warning: e.ALERT_LATENCY_MS_WARNING, critical: e.ALERT_LATENCY_MS_CRITICAL },
      cpu_time_ms: { warning: e.ALERT_CPU_MS_WARNING, critical: e.ALERT_CPU_MS_CRITICAL },
      memory_delta_mb: {
        warning: e.ALERT_MEMORY_DELTA_MB_WARNING,
        critical: e.ALERT_MEMORY_DELTA_MB_CRITICAL,
      },
      inference_time_ms: { warning: e.ALERT_INFERENCE_MS_WARNING, critical: e.ALERT_INFERENCE_MS_CRITICAL },
      shipping_lag_seconds: {
        warning: e.ALERT_SHIPPING_LAG_SECONDS_WARNING,
        critical: e.ALERT_SHIPPING_LAG_SECONDS_CRITICAL,
      },
    };
    this.logLevel = e.LOG_LEVEL;
  }
}

export interface DriftSettings {
  windowSize: number;
  minSamples: number;
  /** An adjusted p-value below `drift` is DRIFT, below `possible` POSSIBLE. */
  pValue: { drift: number; possible: number };
  /** The share of inputs in DRIFT from which the data set counts as drifted. */
  share: number;
  /** DRIFT_EVALUATE_SECONDS: how often an evaluation is kept and shipped; 0: never. */
  evaluateSeconds: number;
  /** DRIFT_REFERENCE: the reference used until one is chosen at run time (POST /drift/reference). */
  reference: DriftReferenceChoice;
}

/** The training data of the default model, or a window of logged traffic (ISO-8601 times, normalised). */
export type DriftReferenceChoice = { kind: 'card' } | { kind: 'window'; from: string; to: string };

/** DRIFT_REFERENCE, already matched by the schema, with its times normalised to ISO-8601 UTC. */
function driftReference(value: string): DriftReferenceChoice {
  if (value === 'card') {
    return { kind: 'card' };
  }
  const [from, to] = value.slice('window:'.length).split('/');
  return { kind: 'window', from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

export interface Threshold {
  warning: number;
  critical: number;
}

export type AlertSettings = Record<
  'latency_ms' | 'cpu_time_ms' | 'memory_delta_mb' | 'inference_time_ms' | 'shipping_lag_seconds',
  Threshold
>;

/** A comma-separated list, trimmed, without empty items; empty for unset. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The shipping consumer's name: HOSTNAME (a pod or container name) made safe, or a random one per process. */
function consumerName(hostname: string | undefined): string {
  const safe = hostname?.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
  return safe || `lungcheck-${randomUUID().slice(0, 8)}`;
}

/**
 * The Elasticsearch URL from ES_HOST and ES_PORT: a host given with its scheme keeps it; otherwise https when a CA
 * certificate is configured (TLS, as Elasticsearch 8 runs by default), http as in the reference otherwise. The
 * schema has checked that ES_HOST is a host name with at most a scheme and a port.
 */
function hostUrl(host: string, port: number, tls: boolean): string {
  const withScheme = /^https?:\/\//i.test(host) ? host : `${tls ? 'https' : 'http'}://${host}`;
  const url = new URL(withScheme);
  if (!/:\d+$/.test(withScheme)) {
    url.port = String(port);
  }
  return url.origin;
}
