import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { driftEvaluation, predictionEntry, shadow } from '../../test/support/log-shipping/entries';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LogEntry } from '../log-store/log-entry';
import type { ModelCard } from '../model-pool/model-card';
import { storedEntry } from '../log-store/log-entry';
import { MemoryLogStore } from '../log-store/memory-log-store';
import type { LogShippingService, ShippingStatus } from '../log-shipping/log-shipping.service';
import { compareShadow } from '../shadow/shadow.compare';
import type { ShadowService } from '../shadow/shadow.service';
import type { Alert, AlertsService } from './alerts.service';
import { detectDrift, type DriftReport } from './drift.engine';
import { cardReference } from './drift.reference';
import type { DriftService } from './drift.service';
import { HISTORY_SHOWN_MS, MonitoringService } from './monitoring.service';
import { summarise } from './monitoring.summary';

const NOW = new Date('2026-12-07T10:00:00.000Z');
const SHIPPING = {
  sink: 'ndjson',
  pending: 3,
  dropped: 0,
  last_run_at: null,
  last_outcome: null,
  dead_lettered: 0,
  oldest_unshipped_age_seconds: 12,
} as unknown as ShippingStatus;
const ALERTS = [{ name: 'latency_ms', level: 'OK' }] as Alert[];
const COUNTERS = { model: 'random_forest', ran: 2, dropped: 0, failed: 0, disagreed: 1 };

const card = JSON.parse(
  readFileSync(join(__dirname, '../../model/logistic_regression.card.json'), 'utf8'),
) as ModelCard;
const EMPTY = detectDrift(cardReference(card), [], new AppConfig(validateEnv({})).drift, NOW);

/** A drift report whose window is full from `from` on (so the dashboard's window starts there). */
const report = (from: string): DriftReport => ({
  ...EMPTY,
  window: { ...EMPTY.window, size: 2, max_size: 2, from, to: NOW.toISOString() },
});

async function serviceOf(env: Record<string, string>, entries: LogEntry[]) {
  const store = new MemoryLogStore({ viewMaxSize: 1000, bufferMax: 1000 });
  await store.append(entries.map(storedEntry));
  const asked: { report: unknown[][]; history: number[]; alerts: number[] } = {
    report: [],
    history: [],
    alerts: [],
  };
  const drift = {
    report: (...args: unknown[]) => {
      asked.report.push(args);
      return Promise.resolve(report(entries[1]!.timestamp));
    },
    history: (sinceMs: number) => {
      asked.history.push(sinceMs);
      return Promise.resolve([driftEvaluation()]);
    },
  } as unknown as DriftService;
  const alerts = {
    evaluate: (now: number) => {
      asked.alerts.push(now);
      return Promise.resolve(ALERTS);
    },
  } as unknown as AlertsService;
  const shipping = { status: () => Promise.resolve(SHIPPING) } as unknown as LogShippingService;
  const shadowService = { stats: () => COUNTERS } as unknown as ShadowService;
  const config = new AppConfig(validateEnv(env));
  return { service: new MonitoringService(config, store, drift, alerts, shipping, shadowService), asked };
}

describe(MonitoringService.name, () => {
  // Oldest first; the drift window starts at the second.
  const entries = [0, 1, 2].map((i) =>
    predictionEntry({
      timestamp: new Date(NOW.getTime() - (3 - i) * 60_000).toISOString(),
      data: { transaction_id: `t${i}`, shadow: shadow({ prediction: i === 2 ? 0 : 1 }) },
    }),
  );
  const newestFirst = [...entries].reverse();

  it('summarises one read of the log view with the drift, its history, shipping and the alerts', async () => {
    const { service, asked } = await serviceOf({}, entries);
    const summary = await service.summary(NOW);
    expect(asked.report).toEqual([[undefined, newestFirst]]);
    expect(asked.history).toEqual([NOW.getTime() - HISTORY_SHOWN_MS]);
    expect(asked.alerts).toEqual([NOW.getTime()]);
    expect(summary).toEqual(
      summarise(
        {
          newestFirst,
          drift: report(entries[1]!.timestamp),
          history: [driftEvaluation()],
          shipping: SHIPPING,
          shadow: null,
          alerts: ALERTS,
          alertsWindowMinutes: 5,
        },
        NOW,
      ),
    );
    expect(summary.shadow).toBeNull();
  });

  it('compares the shadow model over the dashboard’s window when SHADOW_MODEL is set', async () => {
    const { service } = await serviceOf({ SHADOW_MODEL: 'random_forest' }, entries);
    const summary = await service.summary(NOW);
    // Over the window's two newest entries, newest first: the disagreeing one and an agreeing one.
    expect(summary).toEqual(
      summarise(
        {
          newestFirst,
          drift: report(entries[1]!.timestamp),
          history: [driftEvaluation()],
          shipping: SHIPPING,
          shadow: compareShadow(newestFirst.slice(0, 2), Number.POSITIVE_INFINITY, COUNTERS),
          alerts: ALERTS,
          alertsWindowMinutes: 5,
        },
        NOW,
      ),
    );
    expect(summary.shadow).toMatchObject({ compared: 2, disagreement_count: 1 });
  });

  it('is computed now by default', async () => {
    const { service, asked } = await serviceOf({}, entries);
    const before = Date.now();
    await service.summary();
    expect(asked.alerts[0]).toBeGreaterThanOrEqual(before);
    expect(asked.alerts[0]).toBeLessThanOrEqual(Date.now());
  });
});
