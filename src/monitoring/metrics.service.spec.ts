import type { Request, Response } from 'express';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { driftEvaluation } from '../../test/support/log-shipping/entries';
import { bindRequestContext, type RequestContext } from '../common/request-context';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import type { LogShippingService, ShippingStatus } from '../log-shipping/log-shipping.service';
import type { ModelRegistry } from '../model-pool/model-registry';
import type { RequestLogService } from '../request-log/request-log.service';
import type { ShadowService } from '../shadow/shadow.service';
import type { DriftService } from './drift.service';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { LATENCY_BUCKETS } from './metrics.samples';

/** The value of one series of the Prometheus text format, e.g. `name{label="x"} 3`. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

interface Stand {
  shipping?: Partial<ShippingStatus>;
  drift?: () => Promise<DriftEvaluation | null>;
}

/** A MetricsService over stand-ins, counting how often it asked for the shipping status and the drift. */
function metricsOf(stand: Stand = {}) {
  const calls = { shipping: 0, drift: 0 };
  const config = new AppConfig(validateEnv({ HOSTNAME: 'replica-7' }));
  const models = {
    poolStats: () => ({
      logistic_regression: { pool_size: 2, in_use: 1, pending: 3 },
      random_forest: { pool_size: 4, in_use: 0, pending: 0 },
    }),
  } as unknown as ModelRegistry;
  const requestLog = {
    pipeline: () => ({ buffered: 4, droppedTotal: 7, writeFailures: 2 }),
  } as unknown as RequestLogService;
  const shipping = {
    status: () => {
      calls.shipping += 1;
      return Promise.resolve({
        runs: 5,
        entries_shipped: 120,
        dead_lettered: 1,
        consecutive_failures: 2,
        pending: 9,
        oldest_unshipped_age_seconds: 30,
        ...stand.shipping,
      });
    },
  } as unknown as LogShippingService;
  const drift = {
    latest: () => {
      calls.drift += 1;
      return (stand.drift ?? (() => Promise.resolve(driftEvaluation())))();
    },
  } as unknown as DriftService;
  const shadow = {
    stats: () => ({ model: 'random_forest', ran: 10, dropped: 2, failed: 1, disagreed: 3 }),
  } as unknown as ShadowService;
  return { metrics: new MetricsService(config, models, requestLog, shipping, drift, shadow), calls, config };
}

/** Runs the middleware for one request, as Express would, and ends its response with `status`. */
function answer(
  metrics: MetricsService,
  {
    method = 'POST',
    route,
    status = 200,
    ctx,
  }: { method?: string; route?: string; status?: number; ctx?: RequestContext },
): void {
  const req = Object.assign(new EventEmitter(), {
    method,
    route: route === undefined ? undefined : { path: route },
  });
  if (ctx) {
    bindRequestContext(req as unknown as IncomingMessage, ctx);
  }
  const res = Object.assign(new EventEmitter(), { statusCode: status });
  let nextCalled = false;
  metrics.middleware(req as unknown as Request, res as unknown as Response, () => (nextCalled = true));
  expect(nextCalled).toBe(true);
  res.emit('finish');
  res.emit('finish');
}

const ms = (n: number): bigint => BigInt(n) * 1_000_000n;

/** A prediction's context: it arrived `ageMs` ago, its model run took `runMs`, its micro-batch wait `waitMs`. */
function predictionContext(
  overrides: Partial<RequestContext> = {},
  runMs = 2,
  waitMs?: number,
): RequestContext {
  const stages = new Map([['model_run', { calls: 1, totalNs: ms(runMs), nestedNs: 0n }]]);
  if (waitMs !== undefined) {
    stages.set('batch_wait', { calls: 1, totalNs: ms(waitMs), nestedNs: 0n });
  }
  return {
    transactionId: 't',
    startNs: process.hrtime.bigint() - ms(30),
    stages,
    model: 'logistic_regression@da1e024228f7',
    ...overrides,
  };
}

describe(MetricsService.name, () => {
  it('counts every answered request by method, route and status, unrouted ones under one label, once each', async () => {
    const { metrics } = metricsOf();
    answer(metrics, { route: '/predict', status: 200 });
    answer(metrics, { route: '/predict', status: 200 });
    answer(metrics, { route: '/predict', status: 422 });
    answer(metrics, { method: 'GET', status: 404 });
    const text = await metrics.registry.metrics();
    expect(series(text, 'lungcheck_http_requests_total{method="POST",route="/predict",status="200"}')).toBe(
      2,
    );
    expect(series(text, 'lungcheck_http_requests_total{method="POST",route="/predict",status="422"}')).toBe(
      1,
    );
    expect(series(text, 'lungcheck_http_requests_total{method="GET",route="(unmatched)",status="404"}')).toBe(
      1,
    );
    // Without a request context (not timed), nothing is observed.
    expect(
      series(text, 'lungcheck_http_request_duration_seconds_count{method="POST",route="/predict"}'),
    ).toBe(undefined);
  });

  it('times a request from its arrival, and a prediction’s model run, rows and micro-batch wait, by model', async () => {
    const { metrics } = metricsOf();
    answer(metrics, { route: '/predict', ctx: predictionContext({ batchSize: 3 }, 2, 1) });
    answer(metrics, { route: '/predict', ctx: predictionContext({}, 4) });
    const text = await metrics.registry.metrics();
    const duration = series(
      text,
      'lungcheck_http_request_duration_seconds_sum{method="POST",route="/predict"}',
    )!;
    expect(duration).toBeGreaterThanOrEqual(0.06);
    expect(duration).toBeLessThan(10);
    expect(
      series(
        text,
        'lungcheck_http_request_duration_seconds_bucket{le="0.01",method="POST",route="/predict"}',
      ),
    ).toBe(0);
    const model = '{model="logistic_regression"}';
    expect(series(text, `lungcheck_model_inference_seconds_count${model}`)).toBe(2);
    expect(series(text, `lungcheck_model_inference_seconds_sum${model}`)).toBeCloseTo(0.006, 9);
    expect(
      series(text, 'lungcheck_model_inference_seconds_bucket{le="0.0025",model="logistic_regression"}'),
    ).toBe(1);
    expect(series(text, `lungcheck_model_batch_rows_sum${model}`)).toBe(3 + 1);
    expect(series(text, `lungcheck_model_batch_wait_seconds_count${model}`)).toBe(2);
    expect(series(text, `lungcheck_model_batch_wait_seconds_sum${model}`)).toBeCloseTo(0.001, 9);
    expect(series(text, 'lungcheck_predictions_total')).toBe(2);
  });

  it('counts the rows of a batch request as predictions, and no prediction for a refused or model-less request', async () => {
    const { metrics } = metricsOf();
    const rows = [1, 2, 3, 4].map((i) => ({ input: i, result: i }));
    answer(metrics, { route: '/predict/batch', ctx: predictionContext({ loggedRows: rows, batchSize: 4 }) });
    answer(metrics, { route: '/predict', status: 400, ctx: predictionContext() });
    answer(metrics, { route: '/predict', status: 399, ctx: predictionContext() });
    answer(metrics, { route: '/health', ctx: predictionContext({ model: undefined }) });
    answer(metrics, { route: '/predict', ctx: { ...predictionContext(), stages: new Map() } });
    const text = await metrics.registry.metrics();
    expect(series(text, 'lungcheck_predictions_total')).toBe(4 + 1);
    // The refused prediction ran the model: its run is timed all the same.
    expect(series(text, 'lungcheck_model_inference_seconds_count{model="logistic_regression"}')).toBe(3);
    expect(series(text, 'lungcheck_http_request_duration_seconds_count{method="POST",route="/health"}')).toBe(
      1,
    );
  });

  it('reports the pools, the request log and shipping, reading the shipping status once per scrape', async () => {
    const { metrics, calls } = metricsOf();
    const text = await metrics.registry.metrics();
    expect(series(text, 'lungcheck_model_pool_size{model="logistic_regression"}')).toBe(2);
    expect(series(text, 'lungcheck_model_pool_size{model="random_forest"}')).toBe(4);
    expect(series(text, 'lungcheck_model_pool_in_use{model="logistic_regression"}')).toBe(1);
    expect(series(text, 'lungcheck_model_pool_waiting{model="logistic_regression"}')).toBe(3);
    expect(series(text, 'lungcheck_log_entries_buffered')).toBe(4);
    expect(series(text, 'lungcheck_log_entries_dropped_total')).toBe(7);
    expect(series(text, 'lungcheck_log_write_failures_total')).toBe(2);
    expect(series(text, 'lungcheck_shipping_runs_total')).toBe(5);
    expect(series(text, 'lungcheck_shipping_entries_shipped_total')).toBe(120);
    expect(series(text, 'lungcheck_shipping_dead_lettered_total')).toBe(1);
    expect(series(text, 'lungcheck_shipping_consecutive_failures')).toBe(2);
    expect(series(text, 'lungcheck_shipping_pending_entries')).toBe(9);
    expect(series(text, 'lungcheck_shipping_oldest_unshipped_age_seconds')).toBe(30);
    expect(calls.shipping).toBe(1);
    // The next scrape reads it afresh, and the counters are set, not added to.
    await new Promise((resolve) => setImmediate(resolve));
    const again = await metrics.registry.metrics();
    expect(calls.shipping).toBe(2);
    expect(series(again, 'lungcheck_shipping_runs_total')).toBe(5);
    expect(series(again, 'lungcheck_log_entries_dropped_total')).toBe(7);
  });

  it('reports an unknown queue as NaN, and no entry waiting as an age of 0', async () => {
    const unknown = await metricsOf({
      shipping: { pending: null, oldest_unshipped_age_seconds: null },
    }).metrics.registry.metrics();
    expect(series(unknown, 'lungcheck_shipping_pending_entries')).toBeNaN();
    expect(series(unknown, 'lungcheck_shipping_oldest_unshipped_age_seconds')).toBeNaN();
    const empty = await metricsOf({
      shipping: { pending: 0, oldest_unshipped_age_seconds: null },
    }).metrics.registry.metrics();
    expect(series(empty, 'lungcheck_shipping_oldest_unshipped_age_seconds')).toBe(0);
  });

  it("counts the shadow model's outcomes and disagreements", async () => {
    const text = await metricsOf().metrics.registry.metrics();
    expect(series(text, 'lungcheck_shadow_predictions_total{status="ok"}')).toBe(10);
    expect(series(text, 'lungcheck_shadow_predictions_total{status="dropped"}')).toBe(2);
    expect(series(text, 'lungcheck_shadow_predictions_total{status="failed"}')).toBe(1);
    expect(series(text, 'lungcheck_shadow_disagreements_total')).toBe(3);
  });

  it('reports the newest drift evaluation, reading it once per scrape', async () => {
    const { metrics, calls } = metricsOf({
      drift: () =>
        Promise.resolve(
          driftEvaluation({
            dataset_drift: true,
            drifted_features: 9,
            prediction: {
              ...driftEvaluation().prediction!,
              level: 'DRIFT',
              statistic: 3.1,
              p_value_adjusted: 0.001,
            },
          }),
        ),
    });
    const text = await metrics.registry.metrics();
    expect(calls.drift).toBe(1);
    expect(series(text, 'lungcheck_drift_detected')).toBe(1);
    expect(series(text, 'lungcheck_drift_features')).toBe(9);
    expect(series(text, 'lungcheck_drift_prediction')).toBe(1);
    expect(series(text, 'lungcheck_drift_p_value{feature="AGE"}')).toBe(3.45e-18);
    expect(series(text, 'lungcheck_drift_p_value{feature="SMOKING"}')).toBe(1);
    expect(series(text, 'lungcheck_drift_p_value{feature="prediction"}')).toBe(0.001);
    expect(series(text, 'lungcheck_drift_statistic{feature="AGE"}')).toBe(0.42);
    expect(series(text, 'lungcheck_drift_statistic{feature="prediction"}')).toBe(3.1);
    expect(text.split('\n').filter((l) => l.startsWith('lungcheck_drift_p_value{'))).toHaveLength(16);
  });

  it('reports no drift in the newest evaluation as 0', async () => {
    const text = await metricsOf().metrics.registry.metrics();
    expect(series(text, 'lungcheck_drift_detected')).toBe(0);
    expect(series(text, 'lungcheck_drift_features')).toBe(1);
    expect(series(text, 'lungcheck_drift_prediction')).toBe(0);
  });

  it('reports an evaluation without decisions: the inputs only, the decisions unknown', async () => {
    const text = await metricsOf({
      drift: () => Promise.resolve(driftEvaluation({ prediction: null })),
    }).metrics.registry.metrics();
    expect(series(text, 'lungcheck_drift_prediction')).toBeNaN();
    expect(series(text, 'lungcheck_drift_p_value{feature="prediction"}')).toBeUndefined();
    expect(text.split('\n').filter((l) => l.startsWith('lungcheck_drift_statistic{'))).toHaveLength(15);
  });

  it.each([
    ['no evaluation', () => Promise.resolve(null)],
    [
      'an evaluation without enough data',
      () => Promise.resolve(driftEvaluation({ status: 'not_enough_data' })),
    ],
    ['a store that fails', () => Promise.reject(new Error('down'))],
  ])('reports drift as unknown (NaN, no series per input) with %s', async (_what, latest) => {
    const text = await metricsOf({ drift: latest }).metrics.registry.metrics();
    expect(series(text, 'lungcheck_drift_detected')).toBeNaN();
    expect(series(text, 'lungcheck_drift_features')).toBeNaN();
    expect(series(text, 'lungcheck_drift_prediction')).toBeNaN();
    expect(text.split('\n').filter((l) => l.startsWith('lungcheck_drift_p_value{'))).toEqual([]);
  });

  it('drops the series of an input the newest evaluation no longer has', async () => {
    let evaluation: DriftEvaluation | null = driftEvaluation();
    const { metrics } = metricsOf({ drift: () => Promise.resolve(evaluation) });
    expect(series(await metrics.registry.metrics(), 'lungcheck_drift_statistic{feature="AGE"}')).toBe(0.42);
    await new Promise((resolve) => setImmediate(resolve));
    evaluation = null;
    expect(
      series(await metrics.registry.metrics(), 'lungcheck_drift_statistic{feature="AGE"}'),
    ).toBeUndefined();
  });

  it('serves the default process metrics but none of the gauges named *_total, which promtool refuses', async () => {
    const text = await metricsOf().metrics.registry.metrics();
    expect(text).not.toMatch(/^nodejs_active_(handles|requests|resources)_total/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it('samples what the alerts judge: predictions, drops, process figures and the /predict* latency buckets', async () => {
    const { metrics, config } = metricsOf();
    const before = Date.now();
    answer(metrics, { route: '/predict', ctx: predictionContext({}, 2) });
    answer(metrics, {
      route: '/predict/batch',
      ctx: predictionContext({ loggedRows: [{ input: 1, result: 1 }] }, 30),
    });
    answer(metrics, { route: '/health', ctx: { ...predictionContext(), model: undefined } });
    const sample = await metrics.sample(1_234_567);
    expect(sample).toMatchObject({
      replica: config.shipping.consumerName,
      at: 1_234_567,
      predictions: 2,
      dropped: 7,
    });
    expect(sample.replica).toContain('replica-7');
    expect(sample.started_at).toBeLessThanOrEqual(before);
    expect(sample.cpu_seconds).toBeGreaterThan(0);
    expect(sample.rss_bytes).toBeGreaterThan(1e6);
    expect(sample.latency).toHaveLength(LATENCY_BUCKETS.length + 1);
    // Two /predict* requests (the /health one is not counted), each at least 30 ms old.
    expect(sample.latency.at(-1)).toBe(2);
    expect(sample.latency[LATENCY_BUCKETS.indexOf(0.025)]).toBe(0);
    // Model runs of 2 and 30 ms.
    expect(sample.inference.at(-1)).toBe(2);
    expect(sample.inference[LATENCY_BUCKETS.indexOf(0.001)]).toBe(0);
    expect(sample.inference[LATENCY_BUCKETS.indexOf(0.0025)]).toBe(1);
    expect(sample.inference[LATENCY_BUCKETS.indexOf(0.025)]).toBe(1);
    expect(sample.inference[LATENCY_BUCKETS.indexOf(0.05)]).toBe(2);
  });

  it('samples zeros before anything happened', async () => {
    const sample = await metricsOf().metrics.sample();
    expect(sample).toMatchObject({ predictions: 0 });
    expect(sample.latency).toEqual(new Array(LATENCY_BUCKETS.length + 1).fill(0));
    expect(sample.inference).toEqual(new Array(LATENCY_BUCKETS.length + 1).fill(0));
    expect(Math.abs(sample.at - Date.now())).toBeLessThan(5000);
  });
});

describe(MetricsController.name, () => {
  it('serves the registry in the Prometheus text format', async () => {
    const { metrics } = metricsOf();
    const text = await new MetricsController(metrics).scrape();
    expect(series(text, 'lungcheck_shadow_disagreements_total')).toBe(3);
    expect(text).toMatch(/^# TYPE lungcheck_http_requests_total counter$/m);
  });
});
