import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { LogShippingService } from '../log-shipping/log-shipping.service';
import { LogStore } from '../log-store/log-store';
import { ALERT_WINDOW_MS, ALERTS, type AlertName, type AlertThresholds } from './alert.definitions';
import { DriftService } from './drift.service';
import { MetricsService } from './metrics.service';
import { type MetricsSample, windowIncrease } from './metrics.samples';

/** How long samples are kept: the alert window and a margin for the sample before it. */
export const SAMPLES_KEPT_MS = 3 * ALERT_WINDOW_MS;

export type AlertLevel = 'OK' | 'WARNING' | 'CRITICAL' | 'NO_DATA';

export interface Alert extends AlertThresholds {
  name: AlertName;
  level: AlertLevel;
  /** The quantity now; null without data. */
  value: number | null;
  unit: string;
  /** What is judged, in words (the same as the Prometheus rule's). */
  quantity: string;
  message: string;
}

/** OK below the warning threshold, WARNING from it, CRITICAL from the critical one; NO_DATA without a value. */
export function alertLevel(value: number | null, threshold: AlertThresholds): AlertLevel {
  if (value === null) {
    return 'NO_DATA';
  }
  if (threshold.critical !== null && value >= threshold.critical) {
    return 'CRITICAL';
  }
  return value >= threshold.warning ? 'WARNING' : 'OK';
}

const shown = (value: number): string => String(Number(value.toPrecision(3)));

/**
 * The alerts as the service judges them, for the dashboard and GET /monitoring/alerts: each quantity of the alert
 * table over the last ALERT_WINDOW_MINUTES, from the samples every replica keeps in the log store (this replica's
 * read afresh), the shared shipping queue and the newest kept drift evaluation: the counters Prometheus scrapes.
 */
@Injectable()
export class AlertsService {
  constructor(
    private readonly config: AppConfig,
    private readonly store: LogStore,
    private readonly metrics: MetricsService,
    private readonly shipping: LogShippingService,
    private readonly drift: DriftService,
  ) {}

  /** Keeps this replica's sample (every few seconds, by the sample job). */
  async keepSample(now: number = Date.now()): Promise<void> {
    const sample = await this.metrics.sample(now);
    await this.store.keepRecord(
      'samples',
      { id: `${sample.replica}:${now}`, atMs: now, json: JSON.stringify(sample) },
      { once: false, ship: false, keepSinceMs: now - SAMPLES_KEPT_MS },
    );
  }

  async evaluate(now: number = Date.now()): Promise<Alert[]> {
    const [kept, own, status, drift] = await Promise.all([
      this.store.records('samples', now - SAMPLES_KEPT_MS, 100_000),
      this.metrics.sample(now),
      this.shipping.status(),
      this.drift.latest(now).catch(() => null),
    ]);
    const samples = [...kept.map((json) => JSON.parse(json) as MetricsSample), own];
    const inputs = {
      increase: windowIncrease(samples, now, ALERT_WINDOW_MS),
      shippingLagSeconds: status.pending === null ? null : (status.oldest_unshipped_age_seconds ?? 0),
      drift,
    };
    return ALERTS.map((alert) => {
      const thresholds = alert.thresholds(this.config);
      const value = alert.value(inputs);
      const level = alertLevel(value, thresholds);
      const unit = alert.unit ? ` ${alert.unit}` : '';
      return {
        name: alert.name,
        level,
        value,
        unit: alert.unit,
        quantity: alert.quantity,
        ...thresholds,
        message:
          value === null
            ? `${alert.quantity}: no data`
            : `${alert.quantity}: ${shown(value)}${unit} (${level})`,
      };
    });
  }
}
