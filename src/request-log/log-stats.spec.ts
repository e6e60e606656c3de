import { entries, logEntry } from '../../test/support/request-log/log-entries';
import type { LogEntry } from '../log-store/log-entry';
import { computeLogStats, percentile } from './log-stats';

describe(percentile.name, () => {
  it('interpolates between ranks like numpy.percentile', () => {
    const values = [1, 2, 3, 4, 10];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 95)).toBeCloseTo(8.8, 10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});

describe(computeLogStats.name, () => {
  it('counts by level, path and status, and predictions with their positive rate', () => {
    const stats = computeLogStats([
      logEntry({ prediction: 1, latencyMs: 4 }),
      logEntry({ prediction: 1, latencyMs: 1 }),
      logEntry({ prediction: 0, path: '/predict_proba', latencyMs: 3 }),
      logEntry({ level: 'WARNING', status: 422, latencyMs: 2 }),
      logEntry({ level: 'WARNING', status: 404, path: '/nope', latencyMs: 5 }),
      logEntry({ level: 'ERROR', status: 500, prediction: 1, latencyMs: 100 }),
    ]);
    expect(stats).toEqual({
      total: 6,
      by_level: { INFO: 3, WARNING: 2, ERROR: 1 },
      by_path: { '/predict': 4, '/predict_proba': 1, '/nope': 1 },
      by_status: { '200': 3, '422': 1, '404': 1, '500': 1 },
      predictions: { count: 3, positive: 2, positive_rate: 0.667 },
      latency_ms: { p50: 3.5, p95: 76.25, p99: 95.25 },
    });
  });

  it('counts as predictions only the successful answers carrying one', () => {
    const withResult = (status: number, result: unknown): LogEntry => {
      const entry = logEntry({ status, prediction: 1 });
      return { ...entry, data: { ...entry.data, result } };
    };
    const stats = computeLogStats([
      withResult(200, { prediction: 1 }),
      withResult(399, { prediction: 0 }),
      withResult(400, { prediction: 1 }),
      withResult(200, null),
      withResult(200, 'text'),
    ]);
    expect(stats.predictions).toEqual({ count: 2, positive: 1, positive_rate: 0.5 });
  });

  it('has nothing to say about an empty view', () => {
    expect(computeLogStats([])).toEqual({
      total: 0,
      by_level: { INFO: 0, WARNING: 0, ERROR: 0 },
      by_path: {},
      by_status: {},
      predictions: { count: 0, positive: 0, positive_rate: null },
      latency_ms: { p50: null, p95: null, p99: null },
    });
  });

  it('reads p99 of many calls from the slowest ones', () => {
    const many = entries(99, { latencyMs: 1 });
    many.push(logEntry({ latencyMs: 1000 }));
    expect(computeLogStats(many).latency_ms).toEqual({ p50: 1, p95: 1, p99: 10.99 });
  });
});
