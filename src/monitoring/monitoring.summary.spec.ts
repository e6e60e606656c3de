import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LogEntry, PerformanceMetrics } from '../log-store/log-entry';
import type { ShippingStatus } from '../log-shipping/log-shipping.service';
import type { DriftReport } from './drift.engine';
import { alertLevel, bucketSeconds, computeAlerts, summarise } from './monitoring.summary';

const alerts = new AppConfig(validateEnv({})).alerts;

function entry(
  second: number,
  status: number,
  latency: number,
  result: unknown,
  metrics: Partial<PerformanceMetrics> | null = null,
): LogEntry {
  return {
    id: `id-${second}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
    level: status >= 500 ? 'ERROR' : status >= 400 ? 'WARNING' : 'INFO',
    message: '',
    data: {
      transaction_id: 't',
      method: 'POST',
      path: '/predict',
      status_code: status,
      latency_ms: latency,
      execution_time_ms: latency,
      input_data: { AGE: 60 },
      result,
      model: 'm@1',
      performance_metrics: metrics
        ? {
            inference_time_ms: 0,
            latency_ms: latency,
            cpu_time_ms: 0,
            memory_mb: 100,
            memory_delta_mb: 0,
            function_calls: 0,
            top_functions: [],
            batch_size: 1,
            ...metrics,
          }
        : null,
    },
  };
}

const shipping: ShippingStatus = {
  sink: 'ndjson',
  target: 'data/indexes',
  interval_seconds: 10,
  running: false,
  last_run_at: null,
  last_outcome: null,
  last_error: null,
  last_success_at: null,
  consecutive_failures: 0,
  next_attempt_at: null,
  runs: 0,
  entries_shipped: 0,
  dead_lettered: 2,
  pending: 5,
  dropped: 0,
  oldest_unshipped_age_seconds: 400,
};

const noDrift = {
  status: 'ok',
  dataset_drift: false,
  drifted_features: 0,
  drift_share: 0,
  window: { size: 100 },
  features: [],
} as unknown as DriftReport;

describe(alertLevel.name, () => {
  it.each([
    [null, 'NO_DATA'],
    [99.9, 'OK'],
    [100, 'WARNING'],
    [199, 'WARNING'],
    [200, 'CRITICAL'],
  ] as const)('%s ms against 100/200 is %s', (value, level) => {
    expect(alertLevel(value, { warning: 100, critical: 200 })).toBe(level);
  });
});

describe(bucketSeconds.name, () => {
  it.each([
    [0, 10],
    [600_000, 10],
    [601_000, 30],
    [3_600_000, 60],
    [100 * 86_400_000, 86_400],
  ])('cuts a span of %i ms into buckets of %i s', (span, bucket) => {
    expect(bucketSeconds(span)).toBe(bucket);
  });
});

describe(computeAlerts.name, () => {
  it("judges the window's p95 of each per-request figure against its thresholds", () => {
    // 20 calls: latencies 10…200 ms, p95 = 190.5 → WARNING; inference 60 ms each → WARNING; CPU 250 → CRITICAL.
    const entries = Array.from({ length: 20 }, (_, i) =>
      entry(
        i,
        200,
        (i + 1) * 10,
        { prediction: 1 },
        { inference_time_ms: 60, cpu_time_ms: 250, memory_delta_mb: 1 },
      ),
    );
    const byName = Object.fromEntries(computeAlerts(entries, 1000, noDrift, alerts).map((a) => [a.name, a]));
    expect(byName.latency_ms).toMatchObject({ level: 'WARNING', value: 190.5, warning: 100, critical: 200 });
    expect(byName.inference_time_ms).toMatchObject({ level: 'WARNING', value: 60 });
    expect(byName.cpu_time_ms).toMatchObject({ level: 'CRITICAL', value: 250 });
    expect(byName.memory_delta_mb).toMatchObject({ level: 'OK', value: 1 });
    expect(byName.shipping_lag_seconds).toMatchObject({ level: 'CRITICAL', value: 1000 });
    expect(byName.drift).toMatchObject({ level: 'OK', value: 0 });
  });

  it('says NO_DATA without profiled calls, OK with nothing to ship, and follows the drift verdict', () => {
    const entries = [entry(0, 200, 5, { prediction: 0 })];
    const drifting = { status: 'ok', dataset_drift: false, drifted_features: 2 } as DriftReport;
    const byName = Object.fromEntries(computeAlerts(entries, null, drifting, alerts).map((a) => [a.name, a]));
    expect(byName.cpu_time_ms!.level).toBe('NO_DATA');
    expect(byName.shipping_lag_seconds!.level).toBe('OK');
    expect(byName.drift).toMatchObject({ level: 'WARNING', value: 2 });
    const drifted = { status: 'ok', dataset_drift: true, drifted_features: 9 } as DriftReport;
    expect(computeAlerts(entries, null, drifted, alerts).find((a) => a.name === 'drift')!.level).toBe(
      'CRITICAL',
    );
    const unknown = { status: 'not_enough_data', dataset_drift: null, drifted_features: 0 } as DriftReport;
    expect(computeAlerts(entries, null, unknown, alerts).find((a) => a.name === 'drift')!.level).toBe(
      'NO_DATA',
    );
  });
});

describe(summarise.name, () => {
  it('counts predictions, risk levels, errors and costs, and draws a timeline of 10-second buckets', () => {
    const newestFirst = [
      entry(
        0,
        200,
        4,
        { prediction: 1, risk_level: 'high' },
        {
          top_functions: [
            { function: 'model_run', file: '', line: 0, calls: 1, total_time_ms: 2, cumulative_time_ms: 2 },
          ],
        },
      ),
      entry(
        3,
        200,
        6,
        { prediction: 0, risk_level: 'low' },
        {
          top_functions: [
            { function: 'model_run', file: '', line: 0, calls: 1, total_time_ms: 3, cumulative_time_ms: 3 },
            { function: 'validate', file: '', line: 0, calls: 1, total_time_ms: 1, cumulative_time_ms: 1 },
          ],
        },
      ),
      entry(12, 422, 1, { detail: [] }),
      entry(15, 500, 100, { detail: 'boom' }),
      entry(16, 200, 5, { prediction: 1, risk_level: 'moderate' }),
    ].reverse();
    const summary = summarise(newestFirst, shipping, noDrift, alerts, new Date('2026-01-01T01:00:00Z'));
    expect(summary.window).toEqual({
      entries: 5,
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T00:00:16.000Z',
      bucket_seconds: 10,
    });
    expect(summary.predictions).toEqual({ count: 3, positive: 2, negative: 1, positive_rate: 0.667 });
    expect(summary.risk_levels).toEqual({ low: 1, moderate: 1, high: 1 });
    expect(summary.requests).toEqual({ count: 5, errors: 2, server_errors: 1, error_rate: 0.4 });
    expect(
      summary.timeline.map((p) => [p.at, p.requests, p.predictions, p.positive, p.errors, p.p50]),
    ).toEqual([
      ['2026-01-01T00:00:00.000Z', 2, 2, 1, 0, 5],
      ['2026-01-01T00:00:10.000Z', 3, 1, 1, 2, 5],
    ]);
    expect(summary.costliest_stages).toEqual([
      { function: 'model_run', calls: 2, total_time_ms: 5 },
      { function: 'validate', calls: 1, total_time_ms: 1 },
    ]);
    expect(summary.shipping).toMatchObject({
      pending: 5,
      dead_lettered: 2,
      oldest_unshipped_age_seconds: 400,
    });
    expect(summary.drift).toMatchObject({ status: 'ok', dataset_drift: false, features_in_drift: [] });
    expect(JSON.stringify(summary)).not.toContain('"AGE"');
  });

  it('reports an empty window without failing', () => {
    const summary = summarise([], { ...shipping, oldest_unshipped_age_seconds: null }, noDrift, alerts);
    expect(summary.window).toMatchObject({ entries: 0, from: null, to: null });
    expect(summary.predictions.positive_rate).toBeNull();
    expect(summary.requests.error_rate).toBeNull();
    expect(summary.latency_ms).toEqual({ p50: null, p95: null, p99: null });
    expect(summary.timeline).toEqual([]);
  });
});
