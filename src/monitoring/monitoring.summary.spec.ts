import type { LogEntry, PerformanceMetrics } from '../log-store/log-entry';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import type { ShippingStatus } from '../log-shipping/log-shipping.service';
import type { ShadowComparison } from '../shadow/shadow.compare';
import type { DriftReport } from './drift.engine';
import { bucketSeconds, summarise, type SummaryInputs } from './monitoring.summary';

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

function drift(size: number, maxSize: number, from: string | null): DriftReport {
  return {
    status: 'ok',
    verdict: 'No input has drifted: 0 of 15.',
    reference: { id: 'card:m@1', kind: 'card', model: 'm@1', rows: 276 },
    window: { size, max_size: maxSize, min_samples: 1, from, to: null },
    dataset_drift: false,
    drifted_features: 0,
    drift_share: 0,
    thresholds: { p_value: { drift: 0.05, possible: 0.15 }, share: 0.5, correction: 'holm' },
    features: [],
    prediction: null,
    generated_at: '',
  };
}

const inputs = (
  newestFirst: LogEntry[],
  report: DriftReport,
  extra: Partial<SummaryInputs> = {},
): SummaryInputs => ({
  newestFirst,
  drift: report,
  history: [],
  shipping,
  shadow: null,
  alerts: [],
  alertsWindowMinutes: 5,
  ...extra,
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

describe(summarise.name, () => {
  it('describes one window: the newest DRIFT_WINDOW_SIZE predictions and every request since the oldest', () => {
    // Seconds 0-9 predictions, 10-11 errors, 12-14 predictions; the drift window is the newest 5 predictions (8-14).
    const entries = Array.from({ length: 15 }, (_, s) =>
      s === 10 || s === 11
        ? entry(s, 422, 1, { detail: [] })
        : entry(s, 200, s, { prediction: s % 2, risk_level: 'low' }),
    ).reverse();
    const summary = summarise(inputs(entries, drift(5, 5, entry(8, 200, 0, null).timestamp)));
    expect(summary.window).toEqual({
      predictions: 5,
      max_predictions: 5,
      requests: 7,
      from: '2026-01-01T00:00:08.000Z',
      to: '2026-01-01T00:00:14.000Z',
      bucket_seconds: 10,
    });
    expect(summary.requests).toEqual({ count: 7, errors: 2, server_errors: 0, error_rate: 0.286 });
    expect(summary.predictions).toEqual({ count: 5, positive: 2, negative: 3, positive_rate: 0.4 });
    // Not a full drift window yet: every entry read counts.
    expect(summarise(inputs(entries, drift(12, 500, entry(0, 200, 0, null).timestamp))).window.requests).toBe(
      15,
    );
  });

  it('draws every bucket from start to end, empty ones included with no percentiles', () => {
    const entries = [entry(0, 200, 5, { prediction: 1 }), entry(35, 200, 7, { prediction: 0 })].reverse();
    const { timeline } = summarise(inputs(entries, drift(2, 500, null)));
    expect(timeline.map((p) => [p.at.slice(11, 19), p.requests, p.p95])).toEqual([
      ['00:00:00', 1, 5],
      ['00:00:10', 0, null],
      ['00:00:20', 0, null],
      ['00:00:30', 1, 7],
    ]);
  });

  it('has no timeline and no figures without entries', () => {
    const summary = summarise(inputs([], drift(0, 500, null)));
    expect(summary.timeline).toEqual([]);
    expect(summary.latency_ms).toEqual({ p50: null, p95: null, p99: null });
    expect(summary.window).toMatchObject({ requests: 0, from: null, to: null });
  });

  it('sums the costliest stages over the profiled predictions', () => {
    const top = (fn: string, ms: number) => ({
      function: fn,
      file: '',
      line: 0,
      calls: 1,
      total_time_ms: ms,
      cumulative_time_ms: ms,
    });
    const entries = [
      entry(0, 200, 1, { prediction: 1 }, { top_functions: [top('model_run', 2), top('validate', 1)] }),
      entry(1, 200, 1, { prediction: 1 }, { top_functions: [top('model_run', 3)] }),
    ];
    expect(summarise(inputs(entries, drift(2, 500, null))).costliest_stages).toEqual([
      { function: 'model_run', calls: 2, total_time_ms: 5 },
      { function: 'validate', calls: 1, total_time_ms: 1 },
    ]);
  });

  it('carries the verdict, the drift history and the shadow model without transaction ids', () => {
    const history = [
      {
        timestamp: '2026-01-01T00:00:00.000Z',
        status: 'ok',
        drifted_features: 1,
        dataset_drift: false,
        prediction: { level: 'NO' },
      },
    ] as unknown as DriftEvaluation[];
    const shadow: ShadowComparison = {
      shadow_model: 'rf@2',
      window: 5,
      compared: 4,
      dropped: 0,
      failed: 0,
      agreement_rate: 0.75,
      mean_abs_probability_difference: 0.1,
      disagreement_count: 1,
      disagreements: [
        {
          timestamp: 't',
          transaction_id: 'secret-ish',
          served: { model: 'm@1', prediction: 1, probability: 0.6 },
          shadow: { model: 'rf@2', prediction: 0, probability: 0.4 },
        },
      ],
      since_start: { model: 'rf', ran: 4, dropped: 0, failed: 0, disagreed: 1 },
    };
    const summary = summarise(inputs([], drift(0, 500, null), { history, shadow }));
    expect(summary.drift.verdict).toBe('No input has drifted: 0 of 15.');
    expect(summary.drift_history).toEqual([
      {
        at: '2026-01-01T00:00:00.000Z',
        status: 'ok',
        drifted_features: 1,
        dataset_drift: false,
        prediction: 'NO',
      },
    ]);
    expect(summary.shadow).toMatchObject({ agreement_rate: 0.75, disagreement_count: 1 });
    expect(JSON.stringify(summary.shadow)).not.toContain('secret-ish');
  });
});
