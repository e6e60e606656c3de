import type { RequestResult, RunResult } from './simulator.runner';
import {
  EXIT_INTERRUPTED,
  exitCodeOf,
  latencyStats,
  summarise,
  type SimulationSummary,
  type SummaryContext,
} from './simulator.summary';

const CONTEXT: SummaryContext = {
  url: 'http://127.0.0.1:8000/predict',
  endpoint: '/predict',
  model: null,
  users: 4,
  requests: 10,
  seed: 7,
  profile: 'uniform',
  drift: null,
};

const answered = (index: number, status: number, latencyMs = 10): RequestResult => ({
  index,
  outcome: status,
  ok: status >= 200 && status < 300,
  latencyMs,
  ...(status >= 300 ? { error: `{"detail":"status ${status}"}` } : {}),
});

const run = (results: RequestResult[], durationMs = 1000, interrupted = false): RunResult => ({
  results,
  durationMs,
  interrupted,
});

describe(summarise.name, () => {
  it('counts successes, failures by status, timeouts and network errors as buckets of their own', () => {
    const summary = summarise(
      run([
        answered(0, 200),
        answered(1, 500),
        answered(2, 200),
        answered(3, 422),
        { index: 4, outcome: 'timeout', ok: false, latencyMs: 30_000, error: 'no answer within 30 s' },
        answered(5, 201),
        { index: 6, outcome: 'network error', ok: false, latencyMs: 1, error: 'fetch failed: ECONNRESET' },
        answered(7, 404),
        answered(8, 500),
        answered(9, 200),
      ]),
      CONTEXT,
    );
    expect(summary).toMatchObject({
      total: 10,
      succeeded: 4,
      failed: 6,
      success_rate: 0.4,
      throughput_rps: 10,
    });
    expect(summary.by_status).toEqual({
      200: 3,
      201: 1,
      404: 1,
      422: 1,
      500: 2,
      timeout: 1,
      'network error': 1,
    });
    expect(Object.keys(summary.by_status)).toEqual([
      '200',
      '201',
      '404',
      '422',
      '500',
      'timeout',
      'network error',
    ]);
  });

  it('quotes the first five failures in request order, with their status and excerpt', () => {
    const results = Array.from({ length: 9 }, (_, i) => answered(i, i === 0 ? 200 : 500 + i));
    const summary = summarise(run([...results].reverse()), CONTEXT);
    expect(summary.first_errors).toEqual(
      [1, 2, 3, 4, 5].map((i) => ({ index: i, status: 500 + i, error: `{"detail":"status ${500 + i}"}` })),
    );
  });

  it('takes latencies from the answered requests only, whatever their status', () => {
    const summary = summarise(
      run([
        answered(0, 200, 4),
        answered(1, 500, 2),
        { index: 2, outcome: 'timeout', ok: false, latencyMs: 30_000, error: 'no answer within 30 s' },
      ]),
      CONTEXT,
    );
    expect(summary.latency_ms).toEqual({ min: 2, mean: 3, p50: 3, p95: 3.9, p99: 3.98, max: 4 });
  });

  it('has no latency when nothing answered, and a zero throughput for a zero duration', () => {
    const summary = summarise(
      run([{ index: 0, outcome: 'network error', ok: false, latencyMs: 1, error: 'fetch failed' }], 0),
      CONTEXT,
    );
    expect(summary.latency_ms).toBeNull();
    expect(summary.throughput_rps).toBe(0);
    expect(summary.by_status).toEqual({ 'network error': 1 });
  });

  it('repeats the run settings, the drift in snake_case', () => {
    const summary = summarise(run([answered(0, 200)]), {
      ...CONTEXT,
      model: 'random_forest',
      drift: { mode: 'step', target: 75, startPercent: 10, endPercent: 90 },
    });
    expect(summary).toMatchObject({
      target: CONTEXT.url,
      model: 'random_forest',
      seed: 7,
      users: 4,
      requests_planned: 10,
      drift: { mode: 'step', target: 75, start_percent: 10, end_percent: 90 },
    });
  });
});

describe(latencyStats.name, () => {
  it('gives min, mean, max and the percentiles by linear interpolation', () => {
    const sorted = Array.from({ length: 101 }, (_, i) => i * 2);
    expect(latencyStats(sorted)).toEqual({ min: 0, mean: 100, p50: 100, p95: 190, p99: 198, max: 200 });
    expect(latencyStats([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual({
      min: 1,
      mean: 5.5,
      p50: 5.5,
      p95: 9.55,
      p99: 9.91,
      max: 10,
    });
    expect(latencyStats([7.123])).toEqual({
      min: 7.12,
      mean: 7.12,
      p50: 7.12,
      p95: 7.12,
      p99: 7.12,
      max: 7.12,
    });
  });
});

describe(exitCodeOf.name, () => {
  const summaryOf = (succeeded: number, total: number, interrupted = false): SimulationSummary =>
    summarise(
      run(
        Array.from({ length: total }, (_, i) => answered(i, i < succeeded ? 200 : 500)),
        1000,
        interrupted,
      ),
      CONTEXT,
    );

  it('is 0 from 90 % succeeded on, 1 below', () => {
    expect(exitCodeOf(summaryOf(9, 10))).toBe(0);
    expect(exitCodeOf(summaryOf(45, 50))).toBe(0);
    expect(exitCodeOf(summaryOf(10, 10))).toBe(0);
    expect(exitCodeOf(summaryOf(89, 99))).toBe(1);
    expect(exitCodeOf(summaryOf(899, 1000))).toBe(1);
    expect(exitCodeOf(summaryOf(0, 3))).toBe(1);
  });

  it('is 130 for an interrupted run, whatever succeeded', () => {
    expect(exitCodeOf(summaryOf(10, 10, true))).toBe(EXIT_INTERRUPTED);
  });
});
