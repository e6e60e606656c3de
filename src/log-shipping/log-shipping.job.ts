import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { LogShippingService } from './log-shipping.service';

/**
 * The schedule, and nothing else: every LOG_SHIP_INTERVAL_SECONDS (0 turns it off) it asks the service for a run.
 * A tick that finds a run still in progress, or falls in a backoff after failures, is skipped by the service, so
 * runs never overlap however slow one is.
 */
@Injectable()
export class LogShippingJob implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly INTERVAL_NAME = 'log-shipping';
  private readonly logger = new Logger(LogShippingJob.name);

  constructor(
    private readonly config: AppConfig,
    private readonly shipping: LogShippingService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.shipping.intervalSeconds;
    if (seconds === 0) {
      this.logger.log('Scheduled log shipping is off (LOG_SHIP_INTERVAL_SECONDS=0)');
      return;
    }
    const timer = setInterval(() => void this.tick(), seconds * 1000);
    this.scheduler.addInterval(LogShippingJob.INTERVAL_NAME, timer);
  }

  /**
   * Stops the schedule and lets a run in progress acknowledge what it shipped. This module is destroyed before the
   * ones owning the queue and the Elasticsearch client (Nest destroys the modules nearest the root first).
   */
  async onModuleDestroy(): Promise<void> {
    if (this.scheduler.doesExist('interval', LogShippingJob.INTERVAL_NAME)) {
      this.scheduler.deleteInterval(LogShippingJob.INTERVAL_NAME);
    }
    await this.shipping.stop();
  }

  /** Never rejects: a failed run is recorded by the service and retried on a later tick. */
  async tick(): Promise<void> {
    try {
      await this.shipping.shipScheduled();
    } catch (error) {
      this.logger.error(
        `Scheduled shipping failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
