import type { AlertSettings, Threshold } from '../config/app-config';
import { isPlainObject } from '../common/is-plain-object';
import type { LogEntry } from '../log-store/log-entry';
import type { ShippingStatus } from '../log-shipping/log-shipping.service';
import { percentile, round3 } from '../request-log/log-stats';
import type { DriftReport } from './drift.engine';

/** What GET /monitoring/summary answers and the dashboard draws: aggregates only, never one person's answers. */
export interface MonitoringSummary {
  generated_at: string;
  /** The entries the figures are read from: the newest of the log view (REDIS_LOGS_MAX_SIZE). */
  window: { entries: number; from: string | null; to: string | null; bucket_seconds: number };
  predictions: { count: number; positive: number; negative: number; positive_rate: number | null };
  risk_levels: { low: number; moderate: number; high: number };
  requests: { count: number; errors: number; error_rate: number | null; server_errors: number };
  latency_ms: Percentiles;
  /** One point per time bucket, oldest first. */
  timeline: TimelinePoint[];
  /** Stages and functions costing most, summed over the window's profiled predictions. */
  costliest_stages: { function: string; calls: number; total_time_ms: number }[];
  shipping: Pick<
    ShippingStatus,
    | 'sink'
    | 'pending'
    | 'dropped'
    | 'last_run_at'
    | 'last_outcome'
    | 'dead_lettered'
    | 'oldest_unshipped_age_seconds'
  >;
  drift: Pick<DriftReport, 'status' | 'dataset_drift' | 'drifted_features' | 'drift_share'> & {
    window_size: number;
    features_in_drift: string[];
  };
  alerts: Alert[];
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface TimelinePoint extends Percentiles {
  /** Start of the bucket. */
  at: string;
  requests: number;
  predictions: number;
  positive: number;
  errors: number;
}

export type AlertLevel = 'OK' | 'WARNING' | 'CRITICAL' | 'NO_DATA';

export interface Alert {
  name: keyof AlertSettings | 'drift';
  level: AlertLevel;
  /** The figure judged (the window's p95 for the per-request figures); null without data. */
  value: number | null;
  unit: string;
  warning: number | null;
  critical: number | null;
  message: string;
}

const BUCKETS_SECONDS = [10, 30, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400];

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round3(percentile(sorted, 50)),
    p95: round3(percentile(sorted, 95)),
    p99: round3(percentile(sorted, 99)),
  };
}

/** The smallest bucket from the list that cuts the window's span into at most 60 buckets. */
export function bucketSeconds(spanMs: number): number {
  return (
    BUCKETS_SECONDS.find((s) => spanMs / (s * 1000) <= 60) ?? BUCKETS_SECONDS[BUCKETS_SECONDS.length - 1]!
  );
}

/** OK below the warning threshold, WARNING from it, CRITICAL from the critical one; NO_DATA without a value. */
export function alertLevel(value: number | null, threshold: Threshold): AlertLevel {
  if (value === null) {
    return 'NO_DATA';
  }
  if (value >= threshold.critical) {
    return 'CRITICAL';
  }
  return value >= threshold.warning ? 'WARNING' : 'OK';
}

const predictionOf = (entry: LogEntry): { prediction: 0 | 1; risk?: unknown } | undefined => {
  const result = entry.data.result;
  if (entry.data.status_code >= 400 || !isPlainObject(result)) {
    return undefined;
  }
  return result.prediction === 0 || result.prediction === 1
    ? { prediction: result.prediction, risk: result.risk_level }
    : undefined;
};

type RequestFigure = Exclude<keyof AlertSettings, 'shipping_lag_seconds'>;

const ALERT_FIGURES: { name: RequestFigure; unit: string; label: string }[] = [
  { name: 'latency_ms', unit: 'ms', label: 'p95 request latency' },
  { name: 'cpu_time_ms', unit: 'ms', label: 'p95 CPU time per prediction' },
  { name: 'memory_delta_mb', unit: 'MB', label: 'p95 memory change per prediction' },
  { name: 'inference_time_ms', unit: 'ms', label: 'p95 inference time' },
];

/** The alerts over a window: the per-request figures' p95, the shipping backlog's age, and the drift verdict. */
export function computeAlerts(
  entries: readonly LogEntry[],
  shippingLagSeconds: number | null,
  drift: Pick<DriftReport, 'status' | 'dataset_drift' | 'drifted_features'>,
  settings: AlertSettings,
): Alert[] {
  const profiled = entries.map((e) => e.data.performance_metrics).filter((m) => m !== null);
  const p95 = (values: number[]): number | null =>
    round3(
      percentile(
        [...values].sort((a, b) => a - b),
        95,
      ),
    );
  const values: Record<RequestFigure, number | null> = {
    latency_ms: p95(entries.map((e) => e.data.latency_ms)),
    cpu_time_ms: p95(profiled.map((m) => m.cpu_time_ms)),
    memory_delta_mb: p95(profiled.map((m) => m.memory_delta_mb)),
    inference_time_ms: p95(profiled.map((m) => m.inference_time_ms)),
  };
  const alerts: Alert[] = ALERT_FIGURES.map(({ name, unit, label }) => {
    const value = values[name];
    const level = alertLevel(value, settings[name]);
    return {
      name,
      level,
      value,
      unit,
      ...settings[name],
      message: value === null ? `${label}: no data in the window` : `${label} ${value} ${unit} (${level})`,
    };
  });
  const lag = settings.shipping_lag_seconds;
  const lagLevel = alertLevel(shippingLagSeconds, lag);
  alerts.push({
    name: 'shipping_lag_seconds',
    level: lagLevel === 'NO_DATA' ? 'OK' : lagLevel,
    value: shippingLagSeconds,
    unit: 's',
    ...lag,
    message:
      shippingLagSeconds === null
        ? 'Log shipping: nothing waiting'
        : `Oldest unshipped log entry ${shippingLagSeconds} s old (${lagLevel})`,
  });
  const driftLevel: AlertLevel =
    drift.status !== 'ok'
      ? 'NO_DATA'
      : drift.dataset_drift
        ? 'CRITICAL'
        : drift.drifted_features > 0
          ? 'WARNING'
          : 'OK';
  alerts.push({
    name: 'drift',
    level: driftLevel,
    value: drift.status === 'ok' ? drift.drifted_features : null,
    unit: 'features',
    warning: 1,
    critical: null,
    message:
      drift.status !== 'ok'
        ? 'Drift: not enough predictions in the window'
        : drift.dataset_drift
          ? `Data drift: ${drift.drifted_features} inputs drifted`
          : drift.drifted_features > 0
            ? `Drift in ${drift.drifted_features} input(s), not the data set`
            : 'No drift',
  });
  return alerts;
}

/** The dashboard's figures over the newest entries of the log view. */
export function summarise(
  newestFirst: readonly LogEntry[],
  shipping: ShippingStatus,
  drift: DriftReport,
  settings: AlertSettings,
  now: Date = new Date(),
): MonitoringSummary {
  const entries = [...newestFirst].reverse();
  const times = entries.map((e) => Date.parse(e.timestamp));
  const from = times.length > 0 ? Math.min(...times) : null;
  const to = times.length > 0 ? Math.max(...times) : null;
  const bucket = bucketSeconds(from === null || to === null ? 0 : to - from);
  const risk = { low: 0, moderate: 0, high: 0 };
  let positive = 0;
  let predictions = 0;
  let errors = 0;
  let serverErrors = 0;
  const buckets = new Map<
    number,
    { latencies: number[]; requests: number; predictions: number; positive: number; errors: number }
  >();
  const costs = new Map<string, { calls: number; total_time_ms: number }>();
  entries.forEach((entry, i) => {
    const start = Math.floor(times[i]! / (bucket * 1000)) * bucket * 1000;
    const point = buckets.get(start) ?? {
      latencies: [],
      requests: 0,
      predictions: 0,
      positive: 0,
      errors: 0,
    };
    buckets.set(start, point);
    point.requests += 1;
    point.latencies.push(entry.data.latency_ms);
    if (entry.data.status_code >= 400) {
      errors += 1;
      point.errors += 1;
      serverErrors += entry.data.status_code >= 500 ? 1 : 0;
    }
    const answered = predictionOf(entry);
    if (answered) {
      predictions += 1;
      point.predictions += 1;
      positive += answered.prediction;
      point.positive += answered.prediction;
      if (answered.risk === 'low' || answered.risk === 'moderate' || answered.risk === 'high') {
        risk[answered.risk] += 1;
      }
    }
    for (const fn of entry.data.performance_metrics?.top_functions ?? []) {
      const cost = costs.get(fn.function) ?? { calls: 0, total_time_ms: 0 };
      cost.calls += fn.calls;
      cost.total_time_ms += fn.total_time_ms;
      costs.set(fn.function, cost);
    }
  });
  const features_in_drift = drift.features.filter((f) => f.level === 'DRIFT').map((f) => f.feature);
  return {
    generated_at: now.toISOString(),
    window: {
      entries: entries.length,
      from: from === null ? null : new Date(from).toISOString(),
      to: to === null ? null : new Date(to).toISOString(),
      bucket_seconds: bucket,
    },
    predictions: {
      count: predictions,
      positive,
      negative: predictions - positive,
      positive_rate: predictions === 0 ? null : round3(positive / predictions),
    },
    risk_levels: risk,
    requests: {
      count: entries.length,
      errors,
      server_errors: serverErrors,
      error_rate: entries.length === 0 ? null : round3(errors / entries.length),
    },
    latency_ms: percentiles(entries.map((e) => e.data.latency_ms)),
    timeline: [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, p]) => ({
        at: new Date(start).toISOString(),
        requests: p.requests,
        predictions: p.predictions,
        positive: p.positive,
        errors: p.errors,
        ...percentiles(p.latencies),
      })),
    costliest_stages: [...costs.entries()]
      .map(([fn, c]) => ({ function: fn, calls: c.calls, total_time_ms: round3(c.total_time_ms)! }))
      .sort((a, b) => b.total_time_ms - a.total_time_ms)
      .slice(0, 8),
    shipping: {
      sink: shipping.sink,
      pending: shipping.pending,
      dropped: shipping.dropped,
      last_run_at: shipping.last_run_at,
      last_outcome: shipping.last_outcome,
      dead_lettered: shipping.dead_lettered,
      oldest_unshipped_age_seconds: shipping.oldest_unshipped_age_seconds,
    },
    drift: {
      status: drift.status,
      dataset_drift: drift.dataset_drift,
      drifted_features: drift.drifted_features,
      drift_share: drift.drift_share,
      window_size: drift.window.size,
      features_in_drift,
    },
    alerts: computeAlerts(entries, shipping.oldest_unshipped_age_seconds, drift, settings),
  };
}
