import { quantileSorted } from 'simple-statistics';
import type { AgeDrift, DriftMode, Endpoint, Profile } from './simulator.options';
import type { RequestOutcome, RunResult } from './simulator.runner';

/**
 * The run's figures: counts by outcome, throughput, latency percentiles, the first errors, and the exit code they
 * give. Pure functions of the runner's results. Field names are snake_case: `--json` prints this object as it is.
 */

/** Percentage of succeeded requests at or above which the run exits 0 (the reference's bar). */
export const SUCCESS_THRESHOLD_PERCENT = 90;

/** How many failures the summary quotes. */
export const FIRST_ERRORS = 5;

/** Exit code of a run stopped by Ctrl+C (128 + SIGINT), after its summary is printed. */
export const EXIT_INTERRUPTED = 130;

/** What the run was asked to do, repeated in the summary so that a saved one says how to reproduce it. */
export interface SummaryContext {
  url: string;
  endpoint: Endpoint;
  model: string | null;
  users: number;
  requests: number;
  seed: number;
  profile: Profile;
  drift: AgeDrift | null;
}

/** Milliseconds; percentiles by linear interpolation (numpy's default). */
export interface LatencyStats {
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface SimulationSummary {
  target: string;
  endpoint: Endpoint;
  model: string | null;
  users: number;
  requests_planned: number;
  seed: number;
  profile: Profile;
  drift: { mode: DriftMode; target: number; start_percent: number; end_percent: number } | null;
  interrupted: boolean;
  total: number;
  succeeded: number;
  failed: number;
  success_rate: number;
  /** Count per HTTP status, then `timeout` and `network error` when any. */
  by_status: Record<string, number>;
  duration_s: number;
  /** Requests ended per second, whatever their outcome. */
  throughput_rps: number;
  /** Of the requests that got an HTTP answer, whatever its status; null when none did. */
  latency_ms: LatencyStats | null;
  first_errors: { index: number; status: RequestOutcome; error: string }[];
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

export function summarise(run: RunResult, context: SummaryContext): SimulationSummary {
  const { results } = run;
  const succeeded = results.filter((r) => r.ok).length;
  const byStatus: Record<string, number> = {};
  const numeric = [...new Set(results.map((r) => r.outcome).filter((o) => typeof o === 'number'))];
  for (const outcome of [...numeric.sort((a, b) => a - b), 'timeout', 'network error'] as const) {
    const count = results.filter((r) => r.outcome === outcome).length;
    if (count > 0) {
      byStatus[String(outcome)] = count;
    }
  }
  const answered = results
    .filter((r) => typeof r.outcome === 'number')
    .map((r) => r.latencyMs)
    .sort((a, b) => a - b);
  const durationS = run.durationMs / 1000;
  return {
    target: context.url,
    endpoint: context.endpoint,
    model: context.model,
    users: context.users,
    requests_planned: context.requests,
    seed: context.seed,
    profile: context.profile,
    drift: context.drift && {
      mode: context.drift.mode,
      target: context.drift.target,
      start_percent: context.drift.startPercent,
      end_percent: context.drift.endPercent,
    },
    interrupted: run.interrupted,
    total: results.length,
    succeeded,
    failed: results.length - succeeded,
    success_rate: results.length > 0 ? round(succeeded / results.length, 4) : 0,
    by_status: byStatus,
    duration_s: round(durationS, 3),
    throughput_rps: durationS > 0 ? round(results.length / durationS, 2) : 0,
    latency_ms: answered.length > 0 ? latencyStats(answered) : null,
    first_errors: results
      .filter((r) => !r.ok)
      .sort((a, b) => a.index - b.index)
      .slice(0, FIRST_ERRORS)
      .map((r) => ({ index: r.index, status: r.outcome, error: r.error ?? '' })),
  };
}

/** Statistics of a non-empty, sorted list of latencies, rounded to 0.01 ms. */
export function latencyStats(sorted: readonly number[]): LatencyStats {
  const at = (p: number): number => round(quantileSorted(sorted, p), 2);
  return {
    min: round(sorted[0], 2),
    mean: round(sorted.reduce((sum, v) => sum + v, 0) / sorted.length, 2),
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: round(sorted[sorted.length - 1], 2),
  };
}

/** At least 90 % of the requests sent succeeded; in integers, since 0.9 × total is not always exact in floating point. */
export function succeededEnough(summary: Pick<SimulationSummary, 'succeeded' | 'total'>): boolean {
  return summary.total > 0 && 100 * summary.succeeded >= SUCCESS_THRESHOLD_PERCENT * summary.total;
}

/** 130 when interrupted; otherwise 0 when at least 90 % succeeded, 1 below. */
export function exitCodeOf(summary: SimulationSummary): number {
  if (summary.interrupted) {
    return EXIT_INTERRUPTED;
  }
  return succeededEnough(summary) ? 0 : 1;
}
