/**
 * Each replica's metric samples, kept in the log store so that the in-service alerts see every replica: what a
 * Prometheus scrape would read of the same registry (the prediction requests' duration histogram, the model-run
 * histogram, the predictions counter, the process's CPU seconds and resident memory), and the arithmetic PromQL does
 * on them over a window (increase, histogram_quantile), so that both judge the same quantity from the same counters.
 */

/** The histograms' upper bounds, in seconds (the last bucket, +Inf, is implied): a prediction takes well under a
 * millisecond of inference and a few of HTTP. */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

export interface MetricsSample {
  /** The replica (HOSTNAME, or a name of its own per process). */
  replica: string;
  /** When it was read (ms since the epoch). */
  at: number;
  /** When the process started (ms): its counters were all zero then. */
  started_at: number;
  /** process_cpu_seconds_total. */
  cpu_seconds: number;
  /** process_resident_memory_bytes. */
  rss_bytes: number;
  /** lungcheck_predictions_total: rows answered. */
  predictions: number;
  /** lungcheck_log_entries_dropped_total: log entries this replica dropped. */
  dropped: number;
  /** Cumulative bucket counts (LATENCY_BUCKETS, then +Inf) of lungcheck_http_request_duration_seconds, routes /predict*. */
  latency: number[];
  /** Likewise of lungcheck_model_inference_seconds, every model. */
  inference: number[];
}

/** What every replica's counters gained over a window, summed, and the largest growth of one replica's memory. */
export interface WindowIncrease {
  replicas: number;
  cpuSeconds: number;
  predictions: number;
  dropped: number;
  latency: number[];
  inference: number[];
  /** null when no replica has a sample from before the window (nothing to compare with). */
  rssGrowthBytes: number | null;
}

const zeroCounters = (sample: MetricsSample): MetricsSample => ({
  ...sample,
  at: sample.started_at,
  cpu_seconds: 0,
  predictions: 0,
  dropped: 0,
  latency: sample.latency.map(() => 0),
  inference: sample.inference.map(() => 0),
});

/**
 * The increase of every counter over [now − windowMs, now], summed over replicas: each replica's newest sample less
 * its newest one at or before the window's start (or zero if it started within the window, as a counter does).
 * Resident memory grows per replica, only where a sample from before the window exists, as `offset 5m` reads it.
 * Samples of replicas silent for the whole window (gone) are left out.
 */
export function windowIncrease(
  samples: readonly MetricsSample[],
  now: number,
  windowMs: number,
): WindowIncrease {
  const start = now - windowMs;
  const byReplica = new Map<string, MetricsSample[]>();
  for (const s of samples) {
    if (s.at <= now) {
      byReplica.set(s.replica, [...(byReplica.get(s.replica) ?? []), s]);
    }
  }
  const increase: WindowIncrease = {
    replicas: 0,
    cpuSeconds: 0,
    predictions: 0,
    dropped: 0,
    latency: LATENCY_BUCKETS.map(() => 0).concat(0),
    inference: LATENCY_BUCKETS.map(() => 0).concat(0),
    rssGrowthBytes: null,
  };
  for (const list of byReplica.values()) {
    list.sort((a, b) => a.at - b.at);
    const last = list[list.length - 1]!;
    if (last.at < start) {
      continue;
    }
    const before = list.filter((s) => s.at <= start && s.started_at === last.started_at).pop();
    const base =
      before ??
      (last.started_at >= start ? zeroCounters(last) : list.find((s) => s.started_at === last.started_at)!);
    increase.replicas += 1;
    increase.cpuSeconds += last.cpu_seconds - base.cpu_seconds;
    increase.predictions += last.predictions - base.predictions;
    increase.dropped += last.dropped - base.dropped;
    last.latency.forEach((c, i) => (increase.latency[i]! += c - (base.latency[i] ?? 0)));
    last.inference.forEach((c, i) => (increase.inference[i]! += c - (base.inference[i] ?? 0)));
    if (before) {
      increase.rssGrowthBytes = Math.max(
        increase.rssGrowthBytes ?? -Infinity,
        last.rss_bytes - before.rss_bytes,
      );
    }
  }
  return increase;
}

/**
 * Prometheus's histogram_quantile on cumulative bucket counts (upper bounds `bounds`, then +Inf): the rank q·total
 * falls in a bucket, interpolated linearly from its lower bound (0 for the first); in the +Inf bucket the answer
 * is the highest finite bound. null when nothing was counted.
 */
export function histogramQuantile(
  q: number,
  bounds: readonly number[],
  cumulative: readonly number[],
): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (!(total > 0)) {
    return null;
  }
  const rank = q * total;
  let i = cumulative.findIndex((c) => c >= rank);
  if (i === -1) {
    i = cumulative.length - 1;
  }
  if (i >= bounds.length) {
    return bounds[bounds.length - 1]!;
  }
  const lower = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : cumulative[i - 1]!;
  const inBucket = cumulative[i]! - below;
  return inBucket === 0 ? bounds[i]! : lower + (bounds[i]! - lower) * ((rank - below) / inBucket);
}
