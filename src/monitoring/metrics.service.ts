import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { requestContextOf } from '../common/request-context';
import { LogShippingService } from '../log-shipping/log-shipping.service';
import { ModelRegistry } from '../model-pool/model-registry';
import { RequestLogService } from '../request-log/request-log.service';
import type { DriftReport } from './drift.engine';
import { MonitoringService } from './monitoring.service';
import { ShadowService } from '../shadow/shadow.service';

/** Seconds, from 0.1 ms: a prediction takes well under a millisecond of inference and a few of HTTP. */
const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** The label of requests no route matched (404s), so that made-up paths cannot grow the label set. */
const UNMATCHED = '(unmatched)';

/**
 * The Prometheus metrics of the service (GET /metrics): HTTP requests by route and status with their latency,
 * inference time per model, session pools, the shadow model, the request log and log shipping, and Node's process metrics. HTTP
 * figures are recorded as each response ends; the rest is read from its owner when Prometheus scrapes.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly inference: Histogram<'model'>;
  private readonly batchRows: Histogram<'model'>;
  private readonly batchWait: Histogram<'model'>;

  constructor(
    models: ModelRegistry,
    requestLog: RequestLogService,
    shipping: LogShippingService,
    monitoring: MonitoringService,
    shadow: ShadowService,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'lungcheck_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'lungcheck_http_request_duration_seconds',
      help: 'First byte in to last byte out, by method and route',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inference = new Histogram({
      name: 'lungcheck_model_inference_seconds',
      help: "onnxruntime's run alone, per prediction, by model",
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
    const pools = (
      name: string,
      help: string,
      read: (s: ReturnType<ModelRegistry['poolStats']>[string]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          for (const [model, stats] of Object.entries(models.poolStats())) {
            this.set({ model }, read(stats));
          }
        },
      });
    pools('lungcheck_model_pool_size', 'Sessions in the model pool', (s) => s.pool_size);
    pools('lungcheck_model_pool_in_use', 'Sessions running a prediction now', (s) => s.in_use);
    pools('lungcheck_model_pool_waiting', 'Predictions waiting for a free session', (s) => s.pending);
    new Gauge({
      name: 'lungcheck_shadow_predictions_total',
      help: 'Predictions the shadow model (SHADOW_MODEL) answered, dropped under load or failed, since start',
      labelNames: ['status'],
      registers,
      collect() {
        const { ran, dropped, failed } = shadow.stats();
        this.set({ status: 'ok' }, ran);
        this.set({ status: 'dropped' }, dropped);
        this.set({ status: 'failed' }, failed);
      },
    });
    {
      const gauge = (
        name: string,
        help: string,
        read: (p: ReturnType<RequestLogService['pipeline']>) => number,
      ) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read(requestLog.pipeline()));
          },
        });
      gauge(
        'lungcheck_log_entries_buffered',
        'Log entries waiting in this process to be written',
        (p) => p.buffered,
      );
      gauge(
        'lungcheck_log_entries_dropped_total',
        'Log entries dropped here (buffer full) since start',
        (p) => p.dropped,
      );
      gauge(
        'lungcheck_log_write_failures_total',
        'Failed writes to the log store (each retried)',
        (p) => p.writeFailures,
      );
    }
    {
      const status = (
        name: string,
        help: string,
        read: (s: Awaited<ReturnType<LogShippingService['status']>>) => number | null,
      ) =>
        new Gauge({
          name,
          help,
          registers,
          async collect() {
            const value = read(await shipping.status());
            if (value !== null) {
              this.set(value);
            }
          },
        });
      status('lungcheck_shipping_runs_total', 'Log shipping runs since start', (s) => s.runs);
      status(
        'lungcheck_shipping_entries_shipped_total',
        'Log entries shipped since start',
        (s) => s.entries_shipped,
      );
      status(
        'lungcheck_shipping_dead_lettered_total',
        'Documents dead-lettered since start',
        (s) => s.dead_lettered,
      );
      status(
        'lungcheck_shipping_consecutive_failures',
        'Shipping runs failed in a row',
        (s) => s.consecutive_failures,
      );
      status('lungcheck_shipping_pending_entries', 'Entries waiting to be shipped', (s) => s.pending);
      status(
        'lungcheck_shipping_oldest_unshipped_age_seconds',
        'Age of the oldest unshipped entry',
        (s) => s.oldest_unshipped_age_seconds ?? 0,
      );
    }
    {
      // Read once per scrape for both gauges; a store that cannot be read makes them NaN (unknown) this time.
      let pending: Promise<DriftReport | null> | null = null;
      const drift = (): Promise<DriftReport | null> => {
        pending ??= monitoring
          .drift()
          .catch(() => null)
          .finally(() => setImmediate(() => (pending = null)));
        return pending;
      };
      const driftGauge = (name: string, help: string, read: (r: DriftReport) => number) =>
        new Gauge({
          name,
          help,
          registers,
          async collect() {
            const report = await drift();
            this.set(report ? read(report) : Number.NaN);
          },
        });
      driftGauge(
        'lungcheck_drift_detected',
        'Data drift over the recent window: 1 drifted, 0 not, -1 not enough predictions',
        (r) => (r.status !== 'ok' ? -1 : r.dataset_drift ? 1 : 0),
      );
      driftGauge(
        'lungcheck_drift_features',
        'Inputs in DRIFT over the recent window (of 15)',
        (r) => r.drifted_features,
      );
    }
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
        }
      }
    });
    next();
  };
}
