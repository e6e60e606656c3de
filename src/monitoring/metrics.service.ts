import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type MetricValue, Registry } from 'prom-client';
import { requestContextOf } from '../common/request-context';
import { AppConfig } from '../config/app-config';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import { LogShippingService } from '../log-shipping/log-shipping.service';
import { ModelRegistry } from '../model-pool/model-registry';
import { RequestLogService } from '../request-log/request-log.service';
import { ShadowService } from '../shadow/shadow.service';
import { DriftService } from './drift.service';
import { LATENCY_BUCKETS, type MetricsSample } from './metrics.samples';

/** The label of requests no route matched (404s), so that made-up paths cannot grow the label set. */
const UNMATCHED = '(unmatched)';

/** The routes whose durations the latency alert judges: the same selector as its PromQL (`route=~"/predict.*"`). */
const PREDICTION_ROUTE = /^\/predict/;

/** A counter whose total is kept by its owner: each scrape sets it to the owner's figure. */
function ownedCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
  read: () => Promise<{ labels: Partial<Record<L, string>>; value: number }[]>,
): Counter<L> {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const values = await read();
      this.reset();
      for (const { labels, value } of values) {
        this.inc(labels, value);
      }
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => Promise<number> | number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read());
    },
  });
}

/** Cumulative bucket counts (LATENCY_BUCKETS, +Inf) summed over the histogram's series that `keep` selects. */
function bucketCounts(
  values: MetricValue<string>[],
  keep: (labels: MetricValue<string>['labels']) => boolean,
): number[] {
  const counts = LATENCY_BUCKETS.map(() => 0).concat(0);
  for (const v of values) {
    if (!('metricName' in v) || !String(v.metricName).endsWith('_bucket') || !keep(v.labels)) {
      continue;
    }
    const le = v.labels.le;
    const i = le === '+Inf' ? LATENCY_BUCKETS.length : LATENCY_BUCKETS.indexOf(Number(le));
    if (i >= 0) {
      counts[i]! += v.value;
    }
  }
  return counts;
}

/**
 * The Prometheus metrics of the service (GET /metrics), the one measuring system: HTTP requests by route and status
 * with their duration, predictions and their model-run time, session pools, the shadow model, the request log, log
 * shipping, drift (from the newest kept evaluation, shared by every replica) and Node's process metrics. Every
 * total is a counter. `sample()` reads what the alerts judge, which each replica keeps in the log store.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly predictions: Counter;
  private readonly inference: Histogram<'model'>;
  private readonly batchRows: Histogram<'model'>;
  private readonly batchWait: Histogram<'model'>;
  /** When this registry's counters were zero: the samples' `started_at`. */
  private readonly startedAt = Date.now();
  private readonly replica: string;

  constructor(
    config: AppConfig,
    models: ModelRegistry,
    requestLog: RequestLogService,
    shipping: LogShippingService,
    drift: DriftService,
    shadow: ShadowService,
  ) {
    this.replica = config.shipping.consumerName;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Three of prom-client's default gauges are named *_total, which `promtool check metrics` refuses (exit 3): the
    // same figures are served by type as nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(name);
    }
    this.requests = new Counter({
      name: 'lungcheck_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'lungcheck_http_request_duration_seconds',
      help: 'Server-side duration, from the request reaching the app to its last byte handed to the socket',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.predictions = new Counter({
      name: 'lungcheck_predictions_total',
      help: 'Rows predicted (a batch request counts each of its rows)',
      registers,
    });
    this.inference = new Histogram({
      name: 'lungcheck_model_inference_seconds',
      help: "onnxruntime's run alone, per prediction request, by model",
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchRows = new Histogram({
      name: 'lungcheck_model_batch_rows',
      help: 'Rows in the model run that answered each prediction request (micro-batch or batch request), by model',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.batchWait = new Histogram({
      name: 'lungcheck_model_batch_wait_seconds',
      help: 'Time a prediction request waited for its micro-batch to close, by model',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.poolMetrics(models);
    this.logMetrics(requestLog, shipping);
    this.driftMetrics(drift);
    ownedCounter(
      this.registry,
      'lungcheck_shadow_predictions_total',
      'Rows the shadow model (SHADOW_MODEL) answered, dropped under load or failed, since start',
      ['status'],
      () => {
        const { ran, dropped, failed } = shadow.stats();
        return Promise.resolve([
          { labels: { status: 'ok' }, value: ran },
          { labels: { status: 'dropped' }, value: dropped },
          { labels: { status: 'failed' }, value: failed },
        ]);
      },
    );
    ownedCounter(
      this.registry,
      'lungcheck_shadow_disagreements_total',
      'Rows the shadow model decided otherwise than the served model, since start (agreement: 1 − this / ok)',
      [],
      () => Promise.resolve([{ labels: {}, value: shadow.stats().disagreed }]),
    );
  }

  /** Records every answered request (routed or not) when its response ends. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    res.once('finish', () => {
      const ctx = requestContextOf(req);
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const labels = { method: req.method, route: typeof route === 'string' ? route : UNMATCHED };
      this.requests.inc({ ...labels, status: String(res.statusCode) });
      if (ctx) {
        this.latency.observe(labels, Number(process.hrtime.bigint() - ctx.startNs) / 1e9);
        const run = ctx.stages.get('model_run');
        if (ctx.model && run) {
          const model = { model: ctx.model.split('@')[0] };
          this.inference.observe(model, Number(run.totalNs) / 1e9);
          this.batchRows.observe(model, ctx.batchSize ?? 1);
          this.batchWait.observe(model, Number(ctx.stages.get('batch_wait')?.totalNs ?? 0n) / 1e9);
          if (res.statusCode < 400) {
            this.predictions.inc(ctx.loggedRows?.length ?? 1);
          }
        }
      }
    });
    next();
  };

  /** This replica's counters as a scrape would read them now: what it keeps in the log store for the alerts. */
  async sample(now: number = Date.now()): Promise<MetricsSample> {
    const value = async (name: string): Promise<number> =>
      (await this.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
    // prom-client brings the three CPU counters up to date when the first of them is collected, as a scrape does.
    await this.registry.getSingleMetric('process_cpu_user_seconds_total')?.get();
    const [cpu, rss, predictions, dropped, latency, inference] = await Promise.all([
      value('process_cpu_seconds_total'),
      value('process_resident_memory_bytes'),
      value('lungcheck_predictions_total'),
      value('lungcheck_log_entries_dropped_total'),
      this.latency.get(),
      this.inference.get(),
    ]);
    return {
      replica: this.replica,
      at: now,
      started_at: this.startedAt,
      cpu_seconds: cpu,
      rss_bytes: rss,
      predictions,
      dropped,
      latency: bucketCounts(latency.values, (labels) => PREDICTION_ROUTE.test(String(labels.route ?? ''))),
      inference: bucketCounts(inference.values, () => true),
    };
  }

  private poolMetrics(models: ModelRegistry): void {
    const pools = (
      name: string,
      help: string,
      read: (s: ReturnType<ModelRegistry['poolStats']>[string]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers: [this.registry],
        collect() {
          for (const [model, stats] of Object.entries(models.poolStats())) {
            this.set({ model }, read(stats));
          }
        },
      });
    pools('lungcheck_model_pool_size', 'Sessions in the model pool', (s) => s.pool_size);
    pools('lungcheck_model_pool_in_use', 'Sessions running a prediction now', (s) => s.in_use);
    pools('lungcheck_model_pool_waiting', 'Predictions waiting for a free session', (s) => s.pending);
  }

  private logMetrics(requestLog: RequestLogService, shipping: LogShippingService): void {
    const registry = this.registry;
    gauge(
      registry,
      'lungcheck_log_entries_buffered',
      'Log entries waiting in this process to be written',
      () => requestLog.pipeline().buffered,
    );
    ownedCounter(
      registry,
      'lungcheck_log_entries_dropped_total',
      'Log entries this process dropped since start, whichever bound dropped them (its buffer, the queue)',
      [],
      () => Promise.resolve([{ labels: {}, value: requestLog.pipeline().droppedTotal }]),
    );
    ownedCounter(
      registry,
      'lungcheck_log_write_failures_total',
      'Failed writes to the log store (each retried)',
      [],
      () => Promise.resolve([{ labels: {}, value: requestLog.pipeline().writeFailures }]),
    );
    // Read once per scrape for every shipping figure.
    let pending: ReturnType<LogShippingService['status']> | null = null;
    const status = (): ReturnType<LogShippingService['status']> => {
      pending ??= shipping.status().finally(() => setImmediate(() => (pending = null)));
      return pending;
    };
    const total = (name: string, help: string, read: (s: Awaited<ReturnType<typeof status>>) => number) =>
      ownedCounter(registry, name, help, [], async () => [{ labels: {}, value: read(await status()) }]);
    total('lungcheck_shipping_runs_total', 'Log shipping runs since start', (s) => s.runs);
    total(
      'lungcheck_shipping_entries_shipped_total',
      'Log entries shipped since start',
      (s) => s.entries_shipped,
    );
    total(
      'lungcheck_shipping_dead_lettered_total',
      'Documents dead-lettered since start',
      (s) => s.dead_lettered,
    );
    gauge(
      registry,
      'lungcheck_shipping_consecutive_failures',
      'Shipping runs failed in a row',
      async () => (await status()).consecutive_failures,
    );
    gauge(
      registry,
      'lungcheck_shipping_pending_entries',
      'Entries waiting to be shipped (NaN: unknown)',
      async () => (await status()).pending ?? Number.NaN,
    );
    gauge(
      registry,
      'lungcheck_shipping_oldest_unshipped_age_seconds',
      'Age of the oldest unshipped entry (0: none waiting; NaN: unknown)',
      async () => {
        const s = await status();
        return s.pending === null ? Number.NaN : (s.oldest_unshipped_age_seconds ?? 0);
      },
    );
  }

  /** Drift as the newest kept evaluation says (the same for every replica); NaN when there is none recent. */
  private driftMetrics(drift: DriftService): void {
    const registry = this.registry;
    let pending: Promise<DriftEvaluation | null> | null = null;
    const latest = (): Promise<DriftEvaluation | null> => {
      pending ??= drift
        .latest()
        .catch(() => null)
        .finally(() => setImmediate(() => (pending = null)));
      return pending;
    };
    const judged = async (): Promise<DriftEvaluation | null> => {
      const evaluation = await latest();
      return evaluation?.status === 'ok' ? evaluation : null;
    };
    gauge(
      registry,
      'lungcheck_drift_detected',
      'Data-set drift in the newest evaluation: 1 drifted, 0 not',
      async () => {
        const e = await judged();
        return e ? (e.dataset_drift ? 1 : 0) : Number.NaN;
      },
    );
    gauge(
      registry,
      'lungcheck_drift_features',
      'Inputs in DRIFT in the newest evaluation (of 15)',
      async () => {
        const e = await judged();
        return e ? e.drifted_features : Number.NaN;
      },
    );
    gauge(
      registry,
      'lungcheck_drift_prediction',
      'The share of positive decisions in DRIFT: 1 yes, 0 no',
      async () => {
        const p = (await judged())?.prediction;
        return p ? (p.level === 'DRIFT' ? 1 : 0) : Number.NaN;
      },
    );
    for (const [name, help, read] of [
      [
        'lungcheck_drift_p_value',
        'Per input (and `prediction`): the p-value that sets its level (Holm-adjusted for the inputs)',
        (f: DriftEvaluation['features'][number]) => f.p_value_adjusted,
      ],
      [
        'lungcheck_drift_statistic',
        'Per input (and `prediction`): the test statistic (KS D for AGE, z for the others)',
        (f: DriftEvaluation['features'][number]) => f.statistic,
      ],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ['feature'],
        registers: [registry],
        async collect() {
          this.reset();
          const e = await judged();
          for (const f of e ? [...e.features, ...(e.prediction ? [e.prediction] : [])] : []) {
            this.set({ feature: f.feature }, read(f));
          }
        },
      });
    }
  }
}
