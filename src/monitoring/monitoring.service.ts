import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { LogShippingService } from '../log-shipping/log-shipping.service';
import { LogStore } from '../log-store/log-store';
import { compareShadow } from '../shadow/shadow.compare';
import { ShadowService } from '../shadow/shadow.service';
import { ALERT_WINDOW_MINUTES } from './alert.definitions';
import { AlertsService } from './alerts.service';
import { DriftService, recentEntries } from './drift.service';
import { type MonitoringSummary, summarise, windowEntries } from './monitoring.summary';

/** The drift history the dashboard and the drift page show. */
export const HISTORY_SHOWN_MS = 24 * 3600_000;

/**
 * The dashboard's figures: one read of the log view for the window's traffic, its drift and the shadow model; the
 * alerts and the drift history from what every replica keeps in the log store.
 */
@Injectable()
export class MonitoringService {
  constructor(
    private readonly config: AppConfig,
    private readonly store: LogStore,
    private readonly drift: DriftService,
    private readonly alerts: AlertsService,
    private readonly shipping: LogShippingService,
    private readonly shadow: ShadowService,
  ) {}

  async summary(now: Date = new Date()): Promise<MonitoringSummary> {
    const newestFirst = await recentEntries(this.store, this.config);
    const [drift, history, shipping, alerts] = await Promise.all([
      this.drift.report(undefined, newestFirst),
      this.drift.history(now.getTime() - HISTORY_SHOWN_MS),
      this.shipping.status(),
      this.alerts.evaluate(now.getTime()),
    ]);
    const shadow =
      this.config.model.shadow === undefined
        ? null
        : compareShadow(
            windowEntries(newestFirst, drift).reverse(),
            Number.POSITIVE_INFINITY,
            this.shadow.stats(),
          );
    return summarise(
      { newestFirst, drift, history, shipping, shadow, alerts, alertsWindowMinutes: ALERT_WINDOW_MINUTES },
      now,
    );
  }
}
