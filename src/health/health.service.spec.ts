import { PACKAGE } from '../common/package-info';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LogShippingService, ShippingStatus } from '../log-shipping/log-shipping.service';
import type { ModelRegistry } from '../model-pool/model-registry';
import type { RedisConnection } from '../redis/redis.module';
import type { RequestLogService } from '../request-log/request-log.service';
import { HEALTH_CHECK_TIMEOUT_MS, HealthService } from './health.service';
import { ShutdownState } from './shutdown-state';

type Pipeline = ReturnType<RequestLogService['pipeline']>;

const SHIPPING: ShippingStatus = {
  sink: 'ndjson',
  target: 'artifacts/logs',
  interval_seconds: 60,
  running: false,
  last_run_at: null,
  last_outcome: null,
  last_error: null,
  last_success_at: null,
  consecutive_failures: 0,
  next_attempt_at: null,
  runs: 0,
  entries_shipped: 0,
  dead_lettered: 0,
  pending: 0,
  dropped: 0,
  oldest_unshipped_age_seconds: null,
};

const PIPELINE: Pipeline = {
  store: 'memory',
  redisConnected: false,
  recordFailures: 0,
  buffered: 3,
  dropped: 2,
  droppedUncounted: 0,
  writeFailures: 1,
  droppedTotal: 5,
  lastDropAt: null,
};

interface World {
  modelLoaded?: boolean;
  redis?: { configured: boolean; answers: boolean | ((ms: number) => Promise<boolean>) };
  shipping?: Partial<ShippingStatus> | (() => Promise<ShippingStatus>);
  pipeline?: Partial<Pipeline>;
  env?: Record<string, string>;
}

/** A HealthService over stand-ins, recording the time budget each probe got. */
function healthOf(world: World = {}): { health: HealthService; budgets: number[]; shutdown: ShutdownState } {
  const budgets: number[] = [];
  const {
    modelLoaded = true,
    redis = { configured: false, answers: false },
    shipping = {},
    pipeline = {},
  } = world;
  const registry = { isLoaded: () => modelLoaded } as unknown as ModelRegistry;
  const connection = {
    configured: redis.configured,
    target: '127.0.0.1:6379 db 0',
    answers: (ms: number) => {
      budgets.push(ms);
      return typeof redis.answers === 'function' ? redis.answers(ms) : Promise.resolve(redis.answers);
    },
  } as unknown as RedisConnection;
  const shippingService = {
    status: () =>
      typeof shipping === 'function' ? shipping() : Promise.resolve({ ...SHIPPING, ...shipping }),
  } as unknown as LogShippingService;
  const requestLog = { pipeline: () => ({ ...PIPELINE, ...pipeline }) } as unknown as RequestLogService;
  const shutdown = new ShutdownState();
  const config = new AppConfig(validateEnv(world.env ?? {}));
  return {
    health: new HealthService(config, registry, connection, shutdown, shippingService, requestLog),
    budgets,
    shutdown,
  };
}

describe(HealthService.name, () => {
  it('is healthy, with the figures of the request log and of shipping, when nothing is at risk', async () => {
    const { health } = healthOf({ pipeline: { lastDropAt: null } });
    expect(await health.check()).toEqual({
      status: 'healthy',
      reasons: [],
      model_loaded: true,
      redis_connected: false,
      version: PACKAGE.version,
      request_log: {
        store: 'memory',
        buffered: 3,
        dropped_in_memory: 2,
        dropped_total: 5,
        last_drop_at: null,
        write_failures: 1,
      },
      shipping: SHIPPING,
    });
  });

  it('is unhealthy without a model, saying so first', async () => {
    const { health } = healthOf({
      modelLoaded: false,
      shipping: { consecutive_failures: 3, last_error: 'down' },
    });
    const report = await health.check();
    expect(report.status).toBe('unhealthy');
    expect(report.model_loaded).toBe(false);
    expect(report.reasons).toEqual(['no model is loaded', 'log shipping failed 3 runs in a row: down']);
  });

  it('is degraded when a configured Redis takes no write, not when Redis is not configured', async () => {
    const down = await healthOf({ redis: { configured: true, answers: false } }).health.check();
    expect(down).toMatchObject({
      status: 'degraded',
      redis_connected: false,
      reasons: ['Redis (127.0.0.1:6379 db 0) does not take a write: log entries wait in memory'],
    });
    const up = await healthOf({ redis: { configured: true, answers: true } }).health.check();
    expect(up).toMatchObject({ status: 'healthy', redis_connected: true, reasons: [] });
  });

  it('is degraded while entries were dropped within HEALTH_WINDOW_SECONDS, and healthy again after', async () => {
    const now = Date.now();
    const recent = healthOf({ pipeline: { lastDropAt: now - 9_000 }, env: { HEALTH_WINDOW_SECONDS: '10' } });
    const report = await recent.health.check();
    expect(report).toMatchObject({
      status: 'degraded',
      reasons: ['log entries were dropped within the last 10 s (a bound was reached)'],
    });
    expect(report.request_log.last_drop_at).toBe(new Date(now - 9_000).toISOString());
    const old = healthOf({ pipeline: { lastDropAt: now - 11_000 }, env: { HEALTH_WINDOW_SECONDS: '10' } });
    expect(await old.health.check()).toMatchObject({ status: 'healthy', reasons: [] });
  });

  it('is degraded after HEALTH_SHIPPING_FAILURES failed shipping runs in a row, not one before', async () => {
    const env = { HEALTH_SHIPPING_FAILURES: '2' };
    const failing = healthOf({
      env,
      shipping: { consecutive_failures: 2, last_error: 'connect ECONNREFUSED' },
    });
    expect(await failing.health.check()).toMatchObject({
      status: 'degraded',
      reasons: ['log shipping failed 2 runs in a row: connect ECONNREFUSED'],
    });
    const noError = healthOf({ env, shipping: { consecutive_failures: 2, last_error: null } });
    expect((await noError.health.check()).reasons).toEqual(['log shipping failed 2 runs in a row:']);
    const once = healthOf({ env, shipping: { consecutive_failures: 1, last_error: 'x' } });
    expect(await once.health.check()).toMatchObject({ status: 'healthy', reasons: [] });
  });

  it('is degraded when the oldest unshipped entry has waited the critical shipping lag', async () => {
    const env = { ALERT_SHIPPING_LAG_SECONDS_WARNING: '100', ALERT_SHIPPING_LAG_SECONDS_CRITICAL: '300' };
    const stale = healthOf({ env, shipping: { oldest_unshipped_age_seconds: 300 } });
    expect(await stale.health.check()).toMatchObject({
      status: 'degraded',
      reasons: ['the oldest unshipped log entry is 300 s old (ALERT_SHIPPING_LAG_SECONDS_CRITICAL 300)'],
    });
    const fresh = healthOf({ env, shipping: { oldest_unshipped_age_seconds: 299 } });
    expect(await fresh.health.check()).toMatchObject({ status: 'healthy', reasons: [] });
  });

  it('says every reason at once, in order', async () => {
    const { health } = healthOf({
      redis: { configured: true, answers: false },
      pipeline: { lastDropAt: Date.now() },
      shipping: { consecutive_failures: 5, last_error: 'boom', oldest_unshipped_age_seconds: 10_000 },
    });
    expect((await health.check()).reasons).toEqual([
      'Redis (127.0.0.1:6379 db 0) does not take a write: log entries wait in memory',
      'log entries were dropped within the last 60 s (a bound was reached)',
      'log shipping failed 5 runs in a row: boom',
      'the oldest unshipped log entry is 10000 s old (ALERT_SHIPPING_LAG_SECONDS_CRITICAL 900)',
    ]);
  });

  it('answers within its budget, counted from the request’s arrival, when the probes do not', async () => {
    const never = (): Promise<never> => new Promise(() => undefined);
    // A frozen Redis: RedisConnection.answers gives up, false, at the end of the budget it is given.
    const frozen = (ms: number): Promise<boolean> =>
      new Promise((resolve) => setTimeout(() => resolve(false), ms));
    const { health, budgets } = healthOf({ redis: { configured: true, answers: frozen }, shipping: never });
    const arrived = process.hrtime.bigint() - 300_000_000n;
    const report = await health.check(arrived);
    // What is left of the 800 ms once the 300 ms the request waited are spent (less on a loaded machine).
    expect(budgets[0]).toBeGreaterThan(100);
    expect(budgets[0]).toBeLessThanOrEqual(HEALTH_CHECK_TIMEOUT_MS - 300);
    expect(report).not.toHaveProperty('shipping');
    expect(report.reasons).toEqual([
      'Redis (127.0.0.1:6379 db 0) does not take a write: log entries wait in memory',
      'the shipping status could not be read in time',
    ]);
  });

  it('gives the probes 50 ms at least when the request waited past the budget', async () => {
    const { health, budgets } = healthOf();
    await health.check(process.hrtime.bigint() - 5_000_000_000n);
    expect(budgets).toEqual([50]);
  });

  it('gives the probes the whole budget when called without the arrival time', async () => {
    const { health, budgets } = healthOf();
    await health.check();
    expect(budgets[0]).toBeGreaterThan(HEALTH_CHECK_TIMEOUT_MS - 200);
    expect(budgets[0]).toBeLessThanOrEqual(HEALTH_CHECK_TIMEOUT_MS);
  });

  it('is ready with its models loaded until shutdown begins', () => {
    const { health, shutdown } = healthOf();
    expect(health.ready()).toEqual({ ready: true, models_loaded: true, shutting_down: false });
    shutdown.begin();
    expect(health.ready()).toEqual({ ready: false, models_loaded: true, shutting_down: true });
    expect(healthOf({ modelLoaded: false }).health.ready()).toEqual({
      ready: false,
      models_loaded: false,
      shutting_down: false,
    });
  });
});
