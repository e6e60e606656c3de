import type { LogEntry, LogLevel } from '../log-store/log-entry';

export interface LogStats {
  /** Entries the figures are computed over (the /logs view). */
  total: number;
  by_level: Record<LogLevel, number>;
  by_path: Record<string, number>;
  by_status: Record<string, number>;
  /** Successful predictions; `positive_rate` is null without any. */
  predictions: { count: number; positive: number; positive_rate: number | null };
  /** Over every entry's latency; null without entries. */
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
}

/** The p-th percentile (0-100) of ascending values, interpolated linearly between ranks (numpy's default). */
export function percentile(ascending: readonly number[], p: number): number | null {
  if (ascending.length === 0) {
    return null;
  }
  const rank = (p / 100) * (ascending.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return ascending[low] + (ascending[high] - ascending[low]) * (rank - low);
}

const predictionOf = (entry: LogEntry): unknown =>
  entry.data.status_code < 400 && typeof entry.data.result === 'object' && entry.data.result !== null
    ? (entry.data.result as { prediction?: unknown }).prediction
    : undefined;

/** Three decimals (thousandths of a millisecond for latencies); null stays null. */
export const round3 = (value: number | null): number | null =>
  value === null ? null : Math.round(value * 1000) / 1000;

/** Counts and latency percentiles over log entries, for GET /logs/stats. */
export function computeLogStats(entries: readonly LogEntry[]): LogStats {
  const byLevel: Record<LogLevel, number> = { INFO: 0, WARNING: 0, ERROR: 0 };
  const byPath: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  let predictions = 0;
  let positive = 0;
  const latencies: number[] = [];
  for (const entry of entries) {
    byLevel[entry.level] += 1;
    byPath[entry.data.path] = (byPath[entry.data.path] ?? 0) + 1;
    byStatus[entry.data.status_code] = (byStatus[entry.data.status_code] ?? 0) + 1;
    latencies.push(entry.data.latency_ms);
    const prediction = predictionOf(entry);
    if (prediction === 0 || prediction === 1) {
      predictions += 1;
      positive += prediction;
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    total: entries.length,
    by_level: byLevel,
    by_path: byPath,
    by_status: byStatus,
    predictions: {
      count: predictions,
      positive,
      positive_rate: predictions === 0 ? null : round3(positive / predictions),
    },
    latency_ms: {
      p50: round3(percentile(latencies, 50)),
      p95: round3(percentile(latencies, 95)),
      p99: round3(percentile(latencies, 99)),
    },
  };
}
