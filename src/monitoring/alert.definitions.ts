import type { AppConfig } from '../config/app-config';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import { histogramQuantile, LATENCY_BUCKETS, type WindowIncrease } from './metrics.samples';

/**
 * Every alert, declared once: its name, the quantity it judges (defined one way, over the same window), the PromQL
 * that computes that quantity from /metrics, how the service computes it from the replicas' samples in the log
 * store, and where its thresholds come from. `npm run alerts:rules` writes deploy/prometheus/alerts.yml from this
 * table (a test keeps the committed file equal to it); GET /monitoring/alerts evaluates the same table.
 */

/** The window every quantity is judged over, in the service and in PromQL. */
export const ALERT_WINDOW_MINUTES = 5;
export const ALERT_WINDOW_MS = ALERT_WINDOW_MINUTES * 60_000;
const W = `${ALERT_WINDOW_MINUTES}m`;

export type AlertName =
  | 'latency_ms'
  | 'cpu_time_ms'
  | 'memory_delta_mb'
  | 'inference_time_ms'
  | 'shipping_lag_seconds'
  | 'log_drops'
  | 'input_drift'
  | 'prediction_drift';

/** What the in-service evaluation reads: the samples' increase over the window, the queue, the kept drift. */
export interface AlertInputs {
  increase: WindowIncrease;
  /** Age of the oldest unshipped entry (shared queue); null when nothing waits or the queue cannot be read. */
  shippingLagSeconds: number | null;
  /** The newest kept drift evaluation, if recent. */
  drift: DriftEvaluation | null;
}

export interface AlertThresholds {
  warning: number;
  /** null: the alert has no critical level. */
  critical: number | null;
}

export interface AlertDefinition {
  name: AlertName;
  /** Prometheus rule names: Lungcheck<rule>Warning and Lungcheck<rule>Critical. */
  rule: string;
  /** The quantity, for people. */
  quantity: string;
  unit: string;
  /** The quantity in PromQL, in `unit`. */
  promql: string;
  /** How long Prometheus waits with the condition true before firing. */
  for: string;
  /** The variables the thresholds come from, for the rule's summary. */
  variables: { warning: string; critical?: string };
  thresholds(config: AppConfig): AlertThresholds;
  value(inputs: AlertInputs): number | null;
}

/**
 * Restricts a process-wide series to lungcheck's own targets: those that exposed lungcheck_predictions_total in the
 * window (over the window, so that a replica gone within it leaves the numerator and the denominator alike).
 */
const OURS = `and on (job, instance) max_over_time(lungcheck_predictions_total[${W}])`;
const MS = 1000;
const MB = 1024 * 1024;

const quantileMs = (cumulative: readonly number[]): number | null => {
  const seconds = histogramQuantile(0.95, LATENCY_BUCKETS, cumulative);
  return seconds === null ? null : seconds * MS;
};

/** The number of inputs in DRIFT from which the data set counts as drifted (DRIFT_SHARE of the 15). */
export const datasetDriftInputs = (config: AppConfig): number =>
  Math.max(1, Math.ceil(config.drift.share * 15));

export const ALERTS: readonly AlertDefinition[] = [
  {
    name: 'latency_ms',
    rule: 'Latency',
    quantity: `p95 of the server-side duration of prediction requests over ${ALERT_WINDOW_MINUTES} minutes`,
    unit: 'ms',
    promql: `histogram_quantile(0.95, sum by (le) (rate(lungcheck_http_request_duration_seconds_bucket{route=~"/predict.*"}[${W}]))) * ${MS}`,
    for: '5m',
    variables: { warning: 'ALERT_LATENCY_MS_WARNING', critical: 'ALERT_LATENCY_MS_CRITICAL' },
    thresholds: (c) => c.alerts.latency_ms,
    value: (i) => quantileMs(i.increase.latency),
  },
  {
    name: 'inference_time_ms',
    rule: 'Inference',
    quantity: `p95 of the model-run time of prediction requests over ${ALERT_WINDOW_MINUTES} minutes`,
    unit: 'ms',
    promql: `histogram_quantile(0.95, sum by (le) (rate(lungcheck_model_inference_seconds_bucket[${W}]))) * ${MS}`,
    for: '5m',
    variables: { warning: 'ALERT_INFERENCE_MS_WARNING', critical: 'ALERT_INFERENCE_MS_CRITICAL' },
    thresholds: (c) => c.alerts.inference_time_ms,
    value: (i) => quantileMs(i.increase.inference),
  },
  {
    name: 'cpu_time_ms',
    rule: 'CpuPerPrediction',
    quantity: `process CPU time per predicted row over ${ALERT_WINDOW_MINUTES} minutes, every replica together`,
    unit: 'ms',
    // `> 0`: no predictions in the window is no data (as in the service), not an infinite cost.
    promql: `sum(rate(process_cpu_seconds_total[${W}]) ${OURS}) / (sum(rate(lungcheck_predictions_total[${W}])) > 0) * ${MS}`,
    for: '5m',
    variables: { warning: 'ALERT_CPU_MS_WARNING', critical: 'ALERT_CPU_MS_CRITICAL' },
    thresholds: (c) => c.alerts.cpu_time_ms,
    value: (i) => (i.increase.predictions > 0 ? (i.increase.cpuSeconds / i.increase.predictions) * MS : null),
  },
  {
    name: 'memory_delta_mb',
    rule: 'MemoryGrowth',
    quantity: `growth of one replica's resident memory over ${ALERT_WINDOW_MINUTES} minutes (the largest)`,
    unit: 'MB',
    promql: `max((process_resident_memory_bytes - process_resident_memory_bytes offset ${W}) ${OURS}) / ${MB}`,
    for: '5m',
    variables: { warning: 'ALERT_MEMORY_DELTA_MB_WARNING', critical: 'ALERT_MEMORY_DELTA_MB_CRITICAL' },
    thresholds: (c) => c.alerts.memory_delta_mb,
    value: (i) => (i.increase.rssGrowthBytes === null ? null : i.increase.rssGrowthBytes / MB),
  },
  {
    name: 'shipping_lag_seconds',
    rule: 'ShippingLag',
    quantity: 'age of the oldest log entry not yet shipped',
    unit: 's',
    promql: 'max(lungcheck_shipping_oldest_unshipped_age_seconds)',
    for: '1m',
    variables: {
      warning: 'ALERT_SHIPPING_LAG_SECONDS_WARNING',
      critical: 'ALERT_SHIPPING_LAG_SECONDS_CRITICAL',
    },
    thresholds: (c) => c.alerts.shipping_lag_seconds,
    value: (i) => i.shippingLagSeconds ?? 0,
  },
  {
    name: 'log_drops',
    rule: 'LogDrops',
    quantity: `log entries dropped (a bound reached) over ${ALERT_WINDOW_MINUTES} minutes, every replica together`,
    unit: 'entries',
    promql: `sum(increase(lungcheck_log_entries_dropped_total[${W}]))`,
    for: '0m',
    // Any drop is a loss of health data: warn at the first; critical once a whole batch's worth is gone.
    variables: { warning: 'one entry', critical: 'LOG_SHIP_BATCH_SIZE' },
    thresholds: (c) => ({ warning: 1, critical: c.shipping.batchSize }),
    value: (i) => i.increase.dropped,
  },
  {
    name: 'input_drift',
    rule: 'InputDrift',
    quantity: 'inputs in DRIFT in the newest scheduled drift evaluation',
    unit: 'inputs',
    promql: 'max(lungcheck_drift_features)',
    for: '15m',
    variables: { warning: 'one input', critical: 'DRIFT_SHARE' },
    thresholds: (c) => ({ warning: 1, critical: datasetDriftInputs(c) }),
    value: (i) => (i.drift?.status === 'ok' ? i.drift.drifted_features : null),
  },
  {
    name: 'prediction_drift',
    rule: 'PredictionDrift',
    quantity:
      'whether the share of positive decisions is in DRIFT in the newest scheduled drift evaluation (1)',
    unit: '',
    promql: 'max(lungcheck_drift_prediction)',
    for: '15m',
    variables: { warning: 'DRIFT_P_VALUE' },
    thresholds: () => ({ warning: 1, critical: null }),
    value: (i) =>
      i.drift?.status === 'ok' && i.drift.prediction ? (i.drift.prediction.level === 'DRIFT' ? 1 : 0) : null,
  },
];
