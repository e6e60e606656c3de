import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { ENV_DOCS } from './env.docs';
import { IsTrustProxy } from './trust-proxy';

/** Every environment variable the service reads, validated once at start-up (STYLE.md habit 1). */

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') {
    return value;
  }
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(v)) {
    return false;
  }
  return value;
};
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const INT = (name: string, min: number, max: number) => [
  Transform(toInt),
  IsInt({ message: `${name} must be an integer from ${min} to ${max}` }),
  Min(min, { message: `${name} must be an integer from ${min} to ${max}` }),
  Max(max, { message: `${name} must be an integer from ${min} to ${max}` }),
];
const NUMBER_IN = (name: string, min: number, max: number, what: string) => [
  Transform(toNumber),
  IsNumber({ allowNaN: false, allowInfinity: false }, { message: `${name} must be ${what}` }),
  Min(min, { message: `${name} must be ${what}` }),
  Max(max, { message: `${name} must be ${what}` }),
];
const FRACTION = (name: string) => NUMBER_IN(name, 0, 1, 'a number from 0 to 1');
const POSITIVE = (name: string) => NUMBER_IN(name, 0, 1e9, 'a number from 0 up');
const BOOL = (name: string) => [
  Transform(toBool),
  IsBoolean({ message: `${name} must be one of true, false, 1, 0, yes, no, on, off` }),
];
const OPTIONAL_STRING = (name: string) => [
  Transform(emptyToUndefined),
  IsOptional(),
  IsString({ message: `${name} must be a string` }),
];

function apply(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((d) => d(target, key));
}

const INDEX_NAME = /^[a-z0-9][a-z0-9._-]*$/;
/** `card`, or `window:<from>/<to>` with two ISO-8601 date-times (checked as dates by the drift reference). */
const DRIFT_REFERENCE =
  /^(card|window:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})\/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))$/;
const INDEX_MSG = (name: string) =>
  `${name} must be a lower-case Elasticsearch index name ([a-z0-9._-], not starting with . _ or -)`;
const REDIS_KEY = (name: string) => [
  IsString(),
  MinLength(1, { message: `${name} must be a non-empty Redis key` }),
  MaxLength(200, { message: `${name} must be at most 200 characters` }),
];

export class EnvironmentVariables {
  // --- HTTP ---
  @IsString({ message: 'API_HOST must be a host name or address' })
  API_HOST = '0.0.0.0';

  @apply(...INT('API_PORT', 0, 65535))
  API_PORT = 8000;

  @apply(Transform(emptyToUndefined), IsOptional(), ...INT('PORT', 0, 65535))
  PORT?: number;

  @apply(
    ...OPTIONAL_STRING('API_KEY'),
    Matches(/^[^,\s]{16,}(\s*,\s*[^,\s]{16,})*$/, {
      message: 'API_KEY must be one key, or several separated by commas, of at least 16 characters each',
    }),
  )
  API_KEY?: string;

  @IsIn(['admin', 'logs', 'all'], { message: 'API_KEY_REQUIRED_FOR must be one of admin, logs, all' })
  API_KEY_REQUIRED_FOR: 'admin' | 'logs' | 'all' = 'logs';

  @apply(
    ...OPTIONAL_STRING('CORS_ORIGINS'),
    Matches(/^(\*|https?:\/\/[^,\s]+(\s*,\s*https?:\/\/[^,\s]+)*)$/, {
      message: 'CORS_ORIGINS must be * or comma-separated origins such as https://app.example',
    }),
  )
  CORS_ORIGINS?: string;

  @apply(...INT('RATE_LIMIT_PER_MINUTE', 0, 10_000_000))
  RATE_LIMIT_PER_MINUTE = 6000;

  @apply(...OPTIONAL_STRING('TRUST_PROXY'), IsTrustProxy())
  TRUST_PROXY?: string;

  @apply(...INT('MAX_INFLIGHT_REQUESTS', 0, 1_000_000))
  MAX_INFLIGHT_REQUESTS = 512;

  @apply(...INT('HTTP_HEADERS_TIMEOUT_MS', 1000, 600_000))
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  @apply(...INT('HTTP_REQUEST_TIMEOUT_MS', 1000, 600_000))
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  @apply(...INT('HTTP_KEEP_ALIVE_TIMEOUT_MS', 1000, 600_000))
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5000;

  @apply(...INT('SHUTDOWN_TIMEOUT_MS', 0, 600_000))
  SHUTDOWN_TIMEOUT_MS = 10_000;

  @apply(...INT('HEALTH_WINDOW_SECONDS', 1, 86_400))
  HEALTH_WINDOW_SECONDS = 60;

  @apply(...INT('HEALTH_SHIPPING_FAILURES', 1, 1000))
  HEALTH_SHIPPING_FAILURES = 3;

  // --- Model ---
  @IsString({ message: 'MODEL_DIR must be a directory path' })
  MODEL_DIR = './model';

  @apply(...OPTIONAL_STRING('MODEL_PATH'))
  MODEL_PATH?: string;

  @apply(...INT('MODEL_POOL_SIZE', 1, 64))
  MODEL_POOL_SIZE = 4;

  @apply(...INT('MODEL_ACQUIRE_TIMEOUT_MS', 1, 600000))
  MODEL_ACQUIRE_TIMEOUT_MS = 30000;

  @apply(...BOOL('MODEL_WATCH'))
  MODEL_WATCH = false;

  @apply(...BOOL('EXPLAIN_BY_DEFAULT'))
  EXPLAIN_BY_DEFAULT = false;

  @apply(...OPTIONAL_STRING('SHADOW_MODEL'))
  SHADOW_MODEL?: string;

  @apply(...INT('BATCH_MAX_ROWS', 1, 100_000))
  BATCH_MAX_ROWS = 1000;

  @apply(...INT('MICRO_BATCH_MAX_ROWS', 0, 10_000))
  MICRO_BATCH_MAX_ROWS = 32;

  @apply(...INT('MICRO_BATCH_MAX_WAIT_US', 0, 1_000_000))
  MICRO_BATCH_MAX_WAIT_US = 200;

  // --- Request logging and profiling ---
  @apply(...BOOL('LOG_REQUESTS'))
  LOG_REQUESTS = true;

  @apply(...BOOL('ENABLE_PERFORMANCE_MONITORING'))
  ENABLE_PERFORMANCE_MONITORING = true;

  @apply(
    Transform(toNumber),
    IsNumber({}, { message: 'PROFILE_SAMPLE_RATE must be a number from 0 to 1' }),
    Min(0, { message: 'PROFILE_SAMPLE_RATE must be a number from 0 to 1' }),
    Max(1, { message: 'PROFILE_SAMPLE_RATE must be a number from 0 to 1' }),
  )
  PROFILE_SAMPLE_RATE = 0;

  @apply(
    Transform(emptyToUndefined),
    IsOptional(),
    IsUrl(
      { protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true },
      { message: 'REDIS_URL must be a redis:// or rediss:// URL' },
    ),
  )
  REDIS_URL?: string;

  @apply(...OPTIONAL_STRING('REDIS_HOST'))
  REDIS_HOST?: string;

  @apply(
    ...OPTIONAL_STRING('REDIS_CLUSTER_NODES'),
    Matches(/^[A-Za-z0-9._-]+:\d{1,5}(\s*,\s*[A-Za-z0-9._-]+:\d{1,5})*$/, {
      message: 'REDIS_CLUSTER_NODES must be host:port pairs separated by commas',
    }),
  )
  REDIS_CLUSTER_NODES?: string;

  @apply(...INT('REDIS_PORT', 1, 65535))
  REDIS_PORT = 6379;

  @apply(...INT('REDIS_DB', 0, 15))
  REDIS_DB = 0;

  @apply(...OPTIONAL_STRING('REDIS_PASSWORD'))
  REDIS_PASSWORD?: string;

  @apply(...REDIS_KEY('REDIS_LOGS_KEY'))
  REDIS_LOGS_KEY = 'api_logs';

  @apply(...REDIS_KEY('REDIS_LOG_STREAM_KEY'))
  REDIS_LOG_STREAM_KEY = 'api_logs:stream';

  @apply(...INT('REDIS_LOGS_MAX_SIZE', 1, 1000000))
  REDIS_LOGS_MAX_SIZE = 1000;

  @apply(...INT('LOG_BUFFER_MAX', 1, 10000000))
  LOG_BUFFER_MAX = 100000;

  @apply(...INT('LOG_BUFFER_MAX_MB', 1, 100_000))
  LOG_BUFFER_MAX_MB = 64;

  @apply(...INT('LOG_FLUSH_INTERVAL_MS', 1, 60_000))
  LOG_FLUSH_INTERVAL_MS = 50;

  @IsIn(['full', 'none'], { message: 'LOG_INPUTS must be one of full, none' })
  LOG_INPUTS: 'full' | 'none' = 'full';

  // --- Log shipping ---
  @apply(...INT('LOG_SHIP_INTERVAL_SECONDS', 0, 86400))
  LOG_SHIP_INTERVAL_SECONDS = 10;

  @apply(...INT('LOG_SHIP_BATCH_SIZE', 1, 10000))
  LOG_SHIP_BATCH_SIZE = 1000;

  @apply(...INT('LOG_SHIP_CLAIM_IDLE_MS', 1000, 86_400_000))
  LOG_SHIP_CLAIM_IDLE_MS = 60_000;

  @apply(...OPTIONAL_STRING('HOSTNAME'))
  HOSTNAME?: string;

  @IsString({ message: 'LOG_ARCHIVE_DIR must be a directory path' })
  LOG_ARCHIVE_DIR = './data/indexes';

  @apply(
    ...OPTIONAL_STRING('ES_URL'),
    Matches(/^https?:\/\/[^,\s]+(\s*,\s*https?:\/\/[^,\s]+)*$/i, {
      message: 'ES_URL must be an http:// or https:// URL, or several separated by commas',
    }),
  )
  ES_URL?: string;

  @apply(
    ...OPTIONAL_STRING('ES_HOST'),
    Matches(/^(https?:\/\/)?[A-Za-z0-9._-]+(:\d{1,5})?$/i, {
      message: 'ES_HOST must be a host name, optionally with http:// or https:// and a port',
    }),
  )
  ES_HOST?: string;

  @apply(...INT('ES_PORT', 1, 65535))
  ES_PORT = 9200;

  @apply(
    ...OPTIONAL_STRING('ELASTICSEARCH_HOST'),
    Matches(/^(https?:\/\/)?[A-Za-z0-9._-]+(:\d{1,5})?$/i, {
      message: 'ELASTICSEARCH_HOST must be a host name, optionally with http:// or https:// and a port',
    }),
  )
  ELASTICSEARCH_HOST?: string;

  @apply(Transform(emptyToUndefined), IsOptional(), ...INT('ELASTICSEARCH_PORT', 1, 65535))
  ELASTICSEARCH_PORT?: number;

  @apply(...OPTIONAL_STRING('ES_USERNAME'))
  ES_USERNAME?: string;

  @apply(...OPTIONAL_STRING('ES_PASSWORD'))
  ES_PASSWORD?: string;

  @apply(...OPTIONAL_STRING('ES_API_KEY'))
  ES_API_KEY?: string;

  @apply(...OPTIONAL_STRING('ES_CA_CERT'))
  ES_CA_CERT?: string;

  @apply(Matches(INDEX_NAME, { message: INDEX_MSG('ES_INDEX_LOGS') }))
  ES_INDEX_LOGS = 'ml-api-logs';

  @apply(Matches(INDEX_NAME, { message: INDEX_MSG('ES_INDEX_MESSAGE') }))
  ES_INDEX_MESSAGE = 'ml-api-message';

  @apply(Matches(INDEX_NAME, { message: INDEX_MSG('ES_INDEX_PERFS') }))
  ES_INDEX_PERFS = 'ml-api-perfs';

  @apply(Matches(INDEX_NAME, { message: INDEX_MSG('ES_INDEX_TOP_FUNC') }))
  ES_INDEX_TOP_FUNC = 'ml-api-top-func';

  @apply(Matches(INDEX_NAME, { message: INDEX_MSG('ES_INDEX_DEADLETTER') }))
  ES_INDEX_DEADLETTER = 'ml-api-deadletter';

  @apply(Matches(INDEX_NAME, { message: INDEX_MSG('ES_INDEX_DRIFT') }))
  ES_INDEX_DRIFT = 'ml-api-drift';

  // --- Drift monitoring ---
  @apply(...INT('DRIFT_WINDOW_SIZE', 10, 1_000_000))
  DRIFT_WINDOW_SIZE = 500;

  @apply(...INT('DRIFT_MIN_SAMPLES', 1, 1_000_000))
  DRIFT_MIN_SAMPLES = 100;

  @apply(...FRACTION('DRIFT_P_VALUE'))
  DRIFT_P_VALUE = 0.05;

  @apply(...FRACTION('DRIFT_P_VALUE_POSSIBLE'))
  DRIFT_P_VALUE_POSSIBLE = 0.15;

  @apply(...FRACTION('DRIFT_SHARE'))
  DRIFT_SHARE = 0.5;

  @apply(...INT('DRIFT_EVALUATE_SECONDS', 0, 86_400))
  DRIFT_EVALUATE_SECONDS = 60;

  @apply(
    Matches(DRIFT_REFERENCE, {
      message:
        'DRIFT_REFERENCE must be "card" or "window:<from>/<to>" with two ISO-8601 times, e.g. window:2026-12-01T00:00:00Z/2026-12-02T00:00:00Z',
    }),
  )
  DRIFT_REFERENCE = 'card';

  // --- Alerts (each quantity over the last 5 minutes: src/monitoring/alert.definitions.ts) ---
  @apply(...POSITIVE('ALERT_LATENCY_MS_WARNING'))
  ALERT_LATENCY_MS_WARNING = 100;

  @apply(...POSITIVE('ALERT_LATENCY_MS_CRITICAL'))
  ALERT_LATENCY_MS_CRITICAL = 200;

  @apply(...POSITIVE('ALERT_CPU_MS_WARNING'))
  ALERT_CPU_MS_WARNING = 100;

  @apply(...POSITIVE('ALERT_CPU_MS_CRITICAL'))
  ALERT_CPU_MS_CRITICAL = 200;

  @apply(...POSITIVE('ALERT_MEMORY_DELTA_MB_WARNING'))
  ALERT_MEMORY_DELTA_MB_WARNING = 50;

  @apply(...POSITIVE('ALERT_MEMORY_DELTA_MB_CRITICAL'))
  ALERT_MEMORY_DELTA_MB_CRITICAL = 100;

  @apply(...POSITIVE('ALERT_INFERENCE_MS_WARNING'))
  ALERT_INFERENCE_MS_WARNING = 50;

  @apply(...POSITIVE('ALERT_INFERENCE_MS_CRITICAL'))
  ALERT_INFERENCE_MS_CRITICAL = 100;

  @apply(...POSITIVE('ALERT_SHIPPING_LAG_SECONDS_WARNING'))
  ALERT_SHIPPING_LAG_SECONDS_WARNING = 300;

  @apply(...POSITIVE('ALERT_SHIPPING_LAG_SECONDS_CRITICAL'))
  ALERT_SHIPPING_LAG_SECONDS_CRITICAL = 900;

  // --- Process ---
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'], {
    message: 'LOG_LEVEL must be one of error, warn, log, debug, verbose',
  })
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';
}

export type EnvName = keyof EnvironmentVariables;

/** A rejected value as the start-up error quotes it: secrets and URL credentials are never printed. */
function shown(name: EnvName, value: unknown): string {
  if (ENV_DOCS[name]?.secret) {
    return 'a hidden value';
  }
  return JSON.stringify(value).replace(/\/\/[^/@\s]*@/, '//***@');
}

/** Thrown when the environment is invalid; its message names every offending variable. */
export class InvalidConfigError extends Error {
  override name = 'InvalidConfigError';
}

/**
 * Validates the raw environment (only the variables this service knows are read; unset and empty ones take their
 * defaults). Returns a typed, frozen instance or throws InvalidConfigError naming every bad variable.
 */
export function validateEnv(raw: Record<string, unknown>): EnvironmentVariables {
  const known = new Set<string>(Object.keys(ENV_DOCS));
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (known.has(key) && value !== undefined && value !== '') {
      picked[key] = value;
    }
  }
  const env = plainToInstance(EnvironmentVariables, picked, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const why = Object.values(e.constraints ?? {})[0] ?? `${e.property} is invalid`;
      return `  - ${why} (got ${shown(e.property as EnvName, picked[e.property])})`;
    });
    throw new InvalidConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(env);
}
