import { isPlainObject } from '../common/is-plain-object';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import type { LogEntry } from '../log-store/log-entry';
import type { ShippingStatus } from '../log-shipping/log-shipping.service';
import { percentile, round3 } from '../request-log/log-stats';
import type { ShadowComparison, ShadowDisagreement } from '../shadow/shadow.compare';
import type { Alert } from './alerts.service';
import type { DriftLevel, DriftReport } from './drift.engine';

/** What GET /monitoring/summary answers and the dashboard draws: aggregates only, never one person's answers. */
export interface MonitoringSummary {
  generated_at: string;
  /**
   * The page's one window: the newest DRIFT_WINDOW_SIZE predictions (the drift window) and every request logged
   * since the oldest of them, as far as the log view holds them.
   */
  window: {
    predictions: number;
    max_predictions: number;
    requests: number;
    from: string | null;
    to: string | null;
    bucket_seconds: number;
  };
  predictions: { count: number; positive: number; negative: number; positive_rate: number | null };
  risk_levels: { low: number; moderate: number; high: number };
  requests: { count: number; errors: number; error_rate: number | null; server_errors: number };
  /** Server-side durations of the window's requests (the same measurement as the latency histogram). */
  latency_ms: Percentiles;
  /** One point per time bucket from the window's start to its end, empty buckets included, oldest first. */
  timeline: TimelinePoint[];
  /** Stages costing most, summed over the window's profiled predictions. */
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
  drift: Pick<
    DriftReport,
    'status' | 'verdict' | 'dataset_drift' | 'drifted_features' | 'drift_share' | 'reference'
  > & {
    features_in_drift: string[];
    /** The share of positive decisions against the reference's, and its level; null when not judged. */
    prediction: { level: DriftLevel; current: number; reference: number; p_value: number } | null;
  };
  /** The kept drift evaluations of the last day, oldest first (DRIFT_EVALUATE_SECONDS). */
  drift_history: DriftHistoryPoint[];
  /**
   * SHADOW_MODEL against the served model over the window; null without a shadow model. The disagreements carry no
   * transaction id: this page is open, and GET /models/compare (behind the logs key) has them.
   */
  shadow:
    | (Omit<ShadowComparison, 'window' | 'since_start' | 'disagreements'> & {
        disagreements: Omit<ShadowDisagreement, 'transaction_id'>[];
      })
    | null;
  /** Judged over the last `alerts_window_minutes`, every replica together. */
  alerts: Alert[];
  alerts_window_minutes: number;
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

export interface DriftHistoryPoint {
  at: string;
  status: DriftEvaluation['status'];
  drifted_features: number;
  dataset_drift: boolean | null;
  prediction: DriftLevel | null;
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

const predictionOf = (entry: LogEntry): { prediction: 0 | 1; risk?: unknown } | undefined => {
  const result = entry.data.result;
  if (entry.data.status_code >= 400 || !isPlainObject(result)) {
    return undefined;
  }
  return result.prediction === 0 || result.prediction === 1
    ? { prediction: result.prediction, risk: result.risk_level }
    : undefined;
};

/**
 * The entries of the page's window, oldest first: every one from the drift window's oldest prediction on (filtered,
 * not cut at the first older one: replicas write their batches in turn, so the view is only roughly in order).
 */
export function windowEntries(newestFirst: readonly LogEntry[], drift: DriftReport): LogEntry[] {
  const from = drift.window.size >= drift.window.max_size ? drift.window.from : null;
  const fromMs = from === null ? Number.NEGATIVE_INFINITY : Date.parse(from);
  return newestFirst.filter((entry) => Date.parse(entry.timestamp) >= fromMs).reverse();
}

export interface SummaryInputs {
  newestFirst: readonly LogEntry[];
  drift: DriftReport;
  history: readonly DriftEvaluation[];
  shipping: ShippingStatus;
  shadow: ShadowComparison | null;
  alerts: Alert[];
  alertsWindowMinutes: number;
}

/** The dashboard's figures: the window's traffic, its drift verdict, the drift history, the shadow model, alerts. */
export function summarise(inputs: SummaryInputs, now: Date = new Date()): MonitoringSummary {
  const { drift } = inputs;
  const entries = windowEntries(inputs.newestFirst, drift);
  const times = entries.map((e) => Date.parse(e.timestamp));
  const from = times.length > 0 ? Math.min(...times) : null;
  const to = times.length > 0 ? Math.max(...times) : null;
  const bucket = bucketSeconds(from === null || to === null ? 0 : to - from);
  const bucketMs = bucket * 1000;
  const risk = { low: 0, moderate: 0, high: 0 };
  let positive = 0;
  let predictions = 0;
  let errors = 0;
  let serverErrors = 0;
  const firstBucket = from === null ? 0 : Math.floor(from / bucketMs) * bucketMs;
  const buckets =
    from === null || to === null
      ? []
      : Array.from({ length: Math.floor(to / bucketMs) - Math.floor(from / bucketMs) + 1 }, () => ({
          latencies: [] as number[],
          requests: 0,
          predictions: 0,
          positive: 0,
          errors: 0,
        }));
  const costs = new Map<string, { calls: number; total_time_ms: number }>();
  entries.forEach((entry, i) => {
    const point = buckets[Math.floor((times[i]! - firstBucket) / bucketMs)]!;
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
  const { shipping, shadow } = inputs;
  const prediction = drift.prediction;
  return {
    generated_at: now.toISOString(),
    window: {
      predictions: drift.window.size,
      max_predictions: drift.window.max_size,
      requests: entries.length,
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
    timeline: buckets.map((p, i) => ({
      at: new Date(firstBucket + i * bucketMs).toISOString(),
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
      verdict: drift.verdict,
      reference: drift.reference,
      dataset_drift: drift.dataset_drift,
      drifted_features: drift.drifted_features,
      drift_share: drift.drift_share,
      features_in_drift: drift.features.filter((f) => f.level === 'DRIFT').map((f) => f.feature),
      prediction: prediction
        ? {
            level: prediction.level,
            current: prediction.current.share_of_ones ?? 0,
            reference: prediction.reference.share_of_ones ?? 0,
            p_value: prediction.p_value,
          }
        : null,
    },
    drift_history: inputs.history.map((e) => ({
      at: e.timestamp,
      status: e.status,
      drifted_features: e.drifted_features,
      dataset_drift: e.dataset_drift,
      prediction: e.prediction?.level ?? null,
    })),
    shadow: shadow
      ? {
          shadow_model: shadow.shadow_model,
          compared: shadow.compared,
          dropped: shadow.dropped,
          failed: shadow.failed,
          agreement_rate: shadow.agreement_rate,
          mean_abs_probability_difference: shadow.mean_abs_probability_difference,
          disagreement_count: shadow.disagreement_count,
          disagreements: shadow.disagreements.map(({ transaction_id: _id, ...rest }) => rest),
        }
      : null,
    alerts: inputs.alerts,
    alerts_window_minutes: inputs.alertsWindowMinutes,
  };
}
