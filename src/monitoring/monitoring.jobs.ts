import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { errorText } from '../common/error-text';
import { AppConfig } from '../config/app-config';
import { AlertsService } from './alerts.service';
import { DriftService } from './drift.service';

/** How often each replica keeps a metric sample for the in-service alerts. */
export const SAMPLE_INTERVAL_MS = 10_000;

/**
 * The monitoring schedule, and nothing else: every SAMPLE_INTERVAL_MS this replica keeps its metric sample, and every
 * DRIFT_EVALUATE_SECONDS (0: never) it evaluates drift, which is kept once per period whichever replica comes first.
 * A tick that finds the previous one still running is skipped; failures are logged once per outage.
 */
@Injectable()
export class MonitoringJobs implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MonitoringJobs.name);
  private readonly running = new Set<string>();
  private readonly failing = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    private readonly alerts: AlertsService,
    private readonly drift: DriftService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.every('metrics-sample', SAMPLE_INTERVAL_MS, () => this.alerts.keepSample());
    const seconds = this.config.drift.evaluateSeconds;
    if (seconds > 0) {
      this.every('drift-evaluation', seconds * 1000, () => this.drift.evaluate());
    }
  }

  onModuleDestroy(): void {
    for (const name of ['metrics-sample', 'drift-evaluation']) {
      if (this.scheduler.doesExist('interval', name)) {
        this.scheduler.deleteInterval(name);
      }
    }
  }

  private every(name: string, ms: number, work: () => Promise<unknown>): void {
    const timer = setInterval(() => void this.tick(name, work), ms);
    timer.unref();
    this.scheduler.addInterval(name, timer);
  }

  /** Never rejects. */
  async tick(name: string, work: () => Promise<unknown>): Promise<void> {
    if (this.running.has(name)) {
      return;
    }
    this.running.add(name);
    try {
      await work();
      if (this.failing.delete(name)) {
        this.logger.log(`${name} works again`);
      }
    } catch (error) {
      if (!this.failing.has(name)) {
        this.failing.add(name);
        this.logger.warn(`${name} failed (retried on the next tick): ${errorText(error)}`);
      }
    } finally {
      this.running.delete(name);
    }
  }
}
