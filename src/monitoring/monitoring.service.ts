import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { errorText } from '../common/error-text';
import { AppConfig } from '../config/app-config';
import type { LogEntry } from '../log-store/log-entry';
import { LogStore } from '../log-store/log-store';
import { LogShippingService } from '../log-shipping/log-shipping.service';
import { ModelRegistry } from '../model-pool/model-registry';
import { DriftReport, detectDrift } from './drift.engine';
import { predictionWindow } from './drift.window';
import { MonitoringSummary, summarise } from './monitoring.summary';

/**
 * The most log entries one call reads: with a large REDIS_LOGS_MAX_SIZE, an open page refreshed every few seconds
 * must not parse a million entries each time. Enough for the default drift window several times over.
 */
export const MONITORING_MAX_ENTRIES = 10_000;

/**
 * Drift, the dashboard's figures and the alerts, read from the log store's view (so every replica on one Redis sees
 * the same window; with the embedded store, this process's own) and judged against the default model's card.
 * Nothing is kept between calls: each reads the view again.
 */
@Injectable()
export class MonitoringService {
  constructor(
    private readonly config: AppConfig,
    private readonly store: LogStore,
    private readonly models: ModelRegistry,
    private readonly shipping: LogShippingService,
  ) {}

  async drift(since?: string): Promise<DriftReport> {
    return this.judge(await recentEntries(this.store, this.config), since);
  }

  async summary(): Promise<MonitoringSummary> {
    const [entries, shipping] = await Promise.all([
      recentEntries(this.store, this.config),
      this.shipping.status(),
    ]);
    return summarise(entries, shipping, this.judge(entries), this.config.alerts);
  }

  private judge(newestFirst: readonly LogEntry[], since?: string): DriftReport {
    const { windowSize } = this.config.drift;
    return detectDrift(
      this.models.defaultModel().card,
      predictionWindow(newestFirst, windowSize, since),
      this.config.drift,
    );
  }
}

/**
 * The newest entries of the log view, newest first: all of it (REDIS_LOGS_MAX_SIZE), or MONITORING_MAX_ENTRIES at
 * most, and never fewer than the drift window; 503 when the store cannot be read. What drift, the dashboard and the
 * shadow model's comparison read.
 */
export async function recentEntries(store: LogStore, config: AppConfig): Promise<LogEntry[]> {
  const limit = Math.min(
    config.logging.viewMaxSize,
    Math.max(MONITORING_MAX_ENTRIES, config.drift.windowSize),
  );
  try {
    const { logs } = await store.list({ limit, offset: 0 });
    return logs;
  } catch (error) {
    throw new ServiceUnavailableException(`The request log cannot be read now: ${errorText(error)}`);
  }
}
