import { driftEvaluation } from '../../test/support/log-shipping/entries';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import { MemoryLogStore } from '../log-store/memory-log-store';
import type { LogShippingService, ShippingStatus } from '../log-shipping/log-shipping.service';
import { ALERT_WINDOW_MS } from './alert.definitions';
import { alertLevel, AlertsService, SAMPLES_KEPT_MS, type Alert } from './alerts.service';
import type { DriftService } from './drift.service';
import type { MetricsService } from './metrics.service';
import { LATENCY_BUCKETS, type MetricsSample } from './metrics.samples';

const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const MB = 1024 * 1024;
const BUCKETS = LATENCY_BUCKETS.length + 1;

/** Cumulative bucket counts with `count` observations in the bucket whose upper bound is `bound`. */
const cumulative = (count: number, bound: number): number[] =>
  Array.from({ length: BUCKETS }, (_, i) => (i >= LATENCY_BUCKETS.indexOf(bound) ? count : 0));

function sample(overrides: Partial<MetricsSample>): MetricsSample {
  return {
    replica: 'a',
    at: NOW,
    started_at: NOW - 3_600_000,
    cpu_seconds: 0,
    rss_bytes: 100 * MB,
    predictions: 0,
    dropped: 0,
    latency: new Array<number>(BUCKETS).fill(0),
    inference: new Array<number>(BUCKETS).fill(0),
    ...overrides,
  };
}

interface Stand {
  own?: MetricsSample;
  kept?: MetricsSample[];
  shipping?: Partial<ShippingStatus>;
  drift?: () => Promise<DriftEvaluation | null>;
  env?: Record<string, string>;
}

async function alertsOf(stand: Stand = {}): Promise<{ alerts: AlertsService; store: MemoryLogStore }> {
  const store = new MemoryLogStore({ viewMaxSize: 100, bufferMax: 100 });
  for (const s of stand.kept ?? []) {
    await store.keepRecord(
      'samples',
      { id: `${s.replica}:${s.at}`, atMs: s.at, json: JSON.stringify(s) },
      { once: false, ship: false, keepSinceMs: 0 },
    );
  }
  const metrics = {
    sample: (now: number) => Promise.resolve({ ...(stand.own ?? sample({ replica: 'own' })), at: now }),
  } as unknown as MetricsService;
  const shipping = {
    status: () => Promise.resolve({ pending: 0, oldest_unshipped_age_seconds: null, ...stand.shipping }),
  } as unknown as LogShippingService;
  const drift = {
    latest: stand.drift ?? (() => Promise.resolve(null)),
  } as unknown as DriftService;
  const config = new AppConfig(validateEnv(stand.env ?? {}));
  return { alerts: new AlertsService(config, store, metrics, shipping, drift), store };
}

const byName = (alerts: Alert[]): Record<string, Alert> => Object.fromEntries(alerts.map((a) => [a.name, a]));

describe(alertLevel.name, () => {
  it('is OK below the warning, WARNING from it, CRITICAL from the critical threshold, NO_DATA without a value', () => {
    const thresholds = { warning: 10, critical: 20 };
    expect(alertLevel(9.99, thresholds)).toBe('OK');
    expect(alertLevel(10, thresholds)).toBe('WARNING');
    expect(alertLevel(19.99, thresholds)).toBe('WARNING');
    expect(alertLevel(20, thresholds)).toBe('CRITICAL');
    expect(alertLevel(null, thresholds)).toBe('NO_DATA');
    expect(alertLevel(0, { warning: 0, critical: null })).toBe('WARNING');
    expect(alertLevel(1e9, { warning: 1, critical: null })).toBe('WARNING');
  });
});

describe(AlertsService.name, () => {
  it('keeps this replica’s sample in the log store, unshipped, and forgets the samples past the kept span', async () => {
    const own = sample({ replica: 'own', predictions: 3 });
    const { alerts, store } = await alertsOf({
      own,
      kept: [
        sample({ replica: 'own', at: NOW - SAMPLES_KEPT_MS - 1 }),
        sample({ replica: 'own', at: NOW - 1000 }),
      ],
    });
    await alerts.keepSample(NOW);
    const kept = (await store.records('samples', 0, 100)).map((json) => JSON.parse(json) as MetricsSample);
    expect(kept.map((s) => s.at)).toEqual([NOW - 1000, NOW]);
    expect(kept[1]).toEqual({ ...own, at: NOW });
    expect(await store.queueStats()).toMatchObject({ pending: 0 });
    expect(SAMPLES_KEPT_MS).toBe(3 * ALERT_WINDOW_MS);
  });

  it('judges every quantity over the window from every replica’s samples, with its level and message', async () => {
    const start = NOW - ALERT_WINDOW_MS;
    const { alerts } = await alertsOf({
      kept: [
        // Replica a: a sample before the window and one in it.
        sample({ replica: 'a', at: start - 10_000, rss_bytes: 100 * MB }),
        sample({
          replica: 'a',
          at: NOW - 5_000,
          predictions: 60,
          cpu_seconds: 4.5,
          rss_bytes: 160 * MB,
          latency: cumulative(60, 0.25),
          inference: cumulative(60, 0.005),
          dropped: 2,
        }),
        // Samples older than the kept span are not read.
        sample({ replica: 'old', at: NOW - SAMPLES_KEPT_MS - 1, predictions: 1e6 }),
      ],
      // This replica started within the window: its counters count from zero.
      own: sample({
        replica: 'own',
        started_at: start + 60_000,
        predictions: 40,
        cpu_seconds: 1.5,
        latency: cumulative(40, 0.25),
        inference: cumulative(40, 0.005),
      }),
      shipping: { pending: 12, oldest_unshipped_age_seconds: 950 },
      drift: () => Promise.resolve(driftEvaluation({ drifted_features: 3 })),
    });
    const judged = await alerts.evaluate(NOW);
    expect(judged.map((a) => a.name)).toEqual([
      'latency_ms',
      'inference_time_ms',
      'cpu_time_ms',
      'memory_delta_mb',
      'shipping_lag_seconds',
      'log_drops',
      'input_drift',
      'prediction_drift',
    ]);
    const a = byName(judged);
    // 100 requests in (0.1, 0.25] s: the 95th at 0.1 + 0.15 · 0.95 s.
    expect(a.latency_ms).toEqual({
      name: 'latency_ms',
      level: 'CRITICAL',
      value: expect.closeTo(242.5, 9) as number,
      unit: 'ms',
      quantity: 'p95 of the server-side duration of prediction requests over 5 minutes',
      warning: 100,
      critical: 200,
      message: 'p95 of the server-side duration of prediction requests over 5 minutes: 243 ms (CRITICAL)',
    });
    // 100 runs in (0.0025, 0.005] s: 0.0025 + 0.0025 · 0.95 s.
    expect(a.inference_time_ms).toMatchObject({ level: 'OK', value: expect.closeTo(4.875, 9) as number });
    expect(a.inference_time_ms!.message).toBe(
      'p95 of the model-run time of prediction requests over 5 minutes: 4.88 ms (OK)',
    );
    // 6 s of CPU for 100 rows.
    expect(a.cpu_time_ms).toMatchObject({ level: 'OK', value: expect.closeTo(60, 9) as number });
    // Replica a grew by 60 MB; this replica has no sample from before the window.
    expect(a.memory_delta_mb).toMatchObject({ level: 'WARNING', value: 60, warning: 50, critical: 100 });
    expect(a.shipping_lag_seconds).toMatchObject({ level: 'CRITICAL', value: 950 });
    expect(a.shipping_lag_seconds!.message).toBe(
      'age of the oldest log entry not yet shipped: 950 s (CRITICAL)',
    );
    expect(a.log_drops).toMatchObject({ level: 'WARNING', value: 2, warning: 1, critical: 1000 });
    expect(a.input_drift).toMatchObject({ level: 'WARNING', value: 3, warning: 1, critical: 8 });
    expect(a.prediction_drift).toMatchObject({ level: 'OK', value: 0, warning: 1, critical: null });
    expect(a.prediction_drift!.message).toBe(
      'whether the share of positive decisions is in DRIFT in the newest scheduled drift evaluation (1): 0 (OK)',
    );
  });

  it('says NO_DATA where nothing was measured, and reads an unknown queue as no lag', async () => {
    const { alerts } = await alertsOf({
      shipping: { pending: null, oldest_unshipped_age_seconds: 5000 },
      drift: () => Promise.reject(new Error('store down')),
    });
    const a = byName(await alerts.evaluate(NOW));
    for (const name of ['latency_ms', 'inference_time_ms', 'cpu_time_ms', 'memory_delta_mb', 'input_drift']) {
      expect(a[name]).toMatchObject({ level: 'NO_DATA', value: null });
      expect(a[name]!.message).toBe(`${a[name]!.quantity}: no data`);
    }
    expect(a.prediction_drift).toMatchObject({ level: 'NO_DATA', value: null });
    expect(a.shipping_lag_seconds).toMatchObject({ level: 'OK', value: 0 });
    expect(a.log_drops).toMatchObject({ level: 'OK', value: 0 });
  });

  it('reads no lag when nothing waits, and judges the decisions in DRIFT, the thresholds from the configuration', async () => {
    const { alerts } = await alertsOf({
      env: { DRIFT_SHARE: '0.2', LOG_SHIP_BATCH_SIZE: '50', ALERT_SHIPPING_LAG_SECONDS_WARNING: '10' },
      shipping: { pending: 0, oldest_unshipped_age_seconds: null },
      drift: () =>
        Promise.resolve(
          driftEvaluation({
            dataset_drift: true,
            drifted_features: 3,
            prediction: { ...driftEvaluation().prediction!, level: 'DRIFT' },
          }),
        ),
    });
    const a = byName(await alerts.evaluate(NOW));
    expect(a.shipping_lag_seconds).toMatchObject({ level: 'OK', value: 0, warning: 10 });
    expect(a.log_drops).toMatchObject({ critical: 50 });
    expect(a.input_drift).toMatchObject({ level: 'CRITICAL', value: 3, critical: 3 });
    expect(a.prediction_drift).toMatchObject({ level: 'WARNING', value: 1 });
    expect(a.prediction_drift!.message).toMatch(/: 1 \(WARNING\)$/);
  });

  it('has no drift to judge in an evaluation without enough data, nor decisions in one without them', async () => {
    const scarce = byName(
      await (
        await alertsOf({ drift: () => Promise.resolve(driftEvaluation({ status: 'not_enough_data' })) })
      ).alerts.evaluate(NOW),
    );
    expect(scarce.input_drift).toMatchObject({ level: 'NO_DATA' });
    expect(scarce.prediction_drift).toMatchObject({ level: 'NO_DATA' });
    const inputsOnly = byName(
      await (
        await alertsOf({ drift: () => Promise.resolve(driftEvaluation({ prediction: null })) })
      ).alerts.evaluate(NOW),
    );
    expect(inputsOnly.input_drift).toMatchObject({ level: 'WARNING', value: 1 });
    expect(inputsOnly.prediction_drift).toMatchObject({ level: 'NO_DATA' });
  });
});
