import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { errorText } from '../common/error-text';
import { AppConfig } from '../config/app-config';
import { LogStore } from '../log-store/log-store';
import { iso, ShippingClock } from './log-shipping.clock';
import { LogShippingRun, type RunOutcome, type RunTrigger, type ShippingRunReport } from './log-shipping.run';
import { BatchEncoder } from './batch-encoder';
import { LogSink } from './log-sink';

/** Longest wait between two scheduled attempts while the destination keeps failing. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** Backoff base when the schedule is off (runs are then only manual, which ignore backoff anyway). */
const DEFAULT_RETRY_BASE_MS = 10_000;

/** Exponential backoff: base, 2×base, 4×base… capped. `failures` counts consecutive failed runs (≥ 1). */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number = MAX_RETRY_DELAY_MS): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

export interface ShippingStatus {
  sink: LogSink['kind'];
  target: string;
  /** 0 when the schedule is off (runs only through POST /logs/ship or `npm run ship`). */
  interval_seconds: number;
  running: boolean;
  last_run_at: string | null;
  last_outcome: RunOutcome | null;
  last_error: string | null;
  last_success_at: string | null;
  consecutive_failures: number;
  /** When the schedule tries again after failures (backoff); null when not backing off. */
  next_attempt_at: string | null;
  /** Since the process started. */
  runs: number;
  entries_shipped: number;
  dead_lettered: number;
  /** From the queue; null when the queue cannot be read (e.g. Redis down). */
  pending: number | null;
  dropped: number | null;
  oldest_unshipped_age_seconds: number | null;
}

/**
 * When shipping runs and what it has done: runs never overlap (a call made while a run is in progress gets that
 * run's report), scheduled ticks back off exponentially while runs fail, none starts after shutdown began, and the
 * totals and last outcome feed /health, /logs/ship and /metrics. The run itself is LogShippingRun's.
 */
@Injectable()
export class LogShippingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogShippingService.name);
  private readonly runner: LogShippingRun;
  private readonly intervalSeconds: number;

  private inFlight: Promise<ShippingRunReport> | null = null;
  private stopped = false;

  private lastReport: ShippingRunReport | null = null;
  private lastSuccessAt: string | null = null;
  private consecutiveFailures = 0;
  private nextAttemptAtMs: number | null = null;
  private totals = { runs: 0, entriesShipped: 0, deadLettered: 0 };

  constructor(
    config: AppConfig,
    private readonly store: LogStore,
    private readonly sink: LogSink,
    encoder: BatchEncoder,
    private readonly clock: ShippingClock,
  ) {
    this.runner = new LogShippingRun(config.shipping, store, sink, encoder, clock);
    this.intervalSeconds = config.shipping.intervalSeconds;
  }

  /** Installs the index templates at start-up without holding it up: a cluster that is down is retried later. */
  onApplicationBootstrap(): void {
    this.runner.prepare().catch((error: unknown) => {
      this.logger.warn(
        `Preparing ${this.sink.kind} (${this.sink.target}) failed, retried before the next bulk: ${errorText(error)}`,
      );
    });
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /**
   * No scheduled run starts after this; a run in progress finishes (and acknowledges) first. Also called by the job,
   * whose module is destroyed before the queue's and the client's.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.inFlight?.catch(() => undefined);
  }

  /** Ships now, ignoring backoff (POST /logs/ship, `npm run ship`). Joins the run in progress if there is one. */
  ship(trigger: RunTrigger = 'manual'): Promise<ShippingRunReport> {
    if (!this.inFlight) {
      const run = this.runner.run(trigger).then((report) => this.record(report));
      this.inFlight = run;
      const settled = (): void => {
        if (this.inFlight === run) {
          this.inFlight = null;
        }
      };
      // Both paths, so that no second, unhandled rejection is made here; the caller gets the run's own outcome.
      void run.then(settled, settled);
    }
    return this.inFlight;
  }

  /** A scheduled tick: skipped (null) while a run is in progress, during backoff, or after shutdown began. */
  async shipScheduled(): Promise<ShippingRunReport | null> {
    if (this.inFlight || this.stopped || this.isBackingOff()) {
      return null;
    }
    return this.ship('schedule');
  }

  isRunning(): boolean {
    return this.inFlight !== null;
  }

  async status(): Promise<ShippingStatus> {
    const queue = await this.store.queueStats().catch(() => null);
    const oldestMs = queue?.oldestPendingAt ? Date.parse(queue.oldestPendingAt) : Number.NaN;
    return {
      sink: this.sink.kind,
      target: this.sink.target,
      interval_seconds: this.intervalSeconds,
      running: this.isRunning(),
      last_run_at: this.lastReport?.finished_at ?? null,
      last_outcome: this.lastReport?.outcome ?? null,
      last_error: this.lastReport?.error ?? null,
      last_success_at: this.lastSuccessAt,
      consecutive_failures: this.consecutiveFailures,
      next_attempt_at: this.isBackingOff() && this.nextAttemptAtMs ? iso(this.nextAttemptAtMs) : null,
      runs: this.totals.runs,
      entries_shipped: this.totals.entriesShipped,
      dead_lettered: this.totals.deadLettered,
      pending: queue?.pending ?? null,
      dropped: queue?.dropped ?? null,
      oldest_unshipped_age_seconds: Number.isNaN(oldestMs)
        ? null
        : Math.max(0, Math.round((this.clock.now() - oldestMs) / 1000)),
    };
  }

  private isBackingOff(): boolean {
    return this.nextAttemptAtMs !== null && this.clock.now() < this.nextAttemptAtMs;
  }

  /** Counts a finished run and decides the next scheduled attempt: backoff only after a run that moved nothing. */
  private record(report: ShippingRunReport): ShippingRunReport {
    const finishedMs = Date.parse(report.finished_at);
    const { outcome, entries_read: read, entries_shipped: acked, entries_retrying: retrying } = report;
    this.lastReport = report;
    this.totals.runs += 1;
    this.totals.entriesShipped += acked;
    this.totals.deadLettered += report.dead_lettered;
    // A partial run (some items refused with 429/5xx) made progress, and its leftovers wait for the next tick anyway;
    // backing off there would let a steady trickle of refusals starve the queue.
    if (outcome === 'failed') {
      this.consecutiveFailures += 1;
      const base = this.intervalSeconds > 0 ? this.intervalSeconds * 1000 : DEFAULT_RETRY_BASE_MS;
      this.nextAttemptAtMs = finishedMs + retryDelayMs(this.consecutiveFailures, base);
      this.logger.warn(
        `Shipping failed (${read > 0 ? `${retrying} entries left queued` : 'nothing read'}), next ` +
          `scheduled attempt after ${iso(this.nextAttemptAtMs)}: ${report.error ?? 'unknown error'}`,
      );
      return report;
    }
    this.consecutiveFailures = 0;
    this.nextAttemptAtMs = null;
    if (outcome === 'partial') {
      this.logger.warn(
        `Shipped ${acked} entries; ${retrying} left queued for the next run: ${report.error ?? 'unknown error'}`,
      );
      return report;
    }
    this.lastSuccessAt = report.finished_at;
    if (outcome === 'shipped') {
      this.logger.log(
        `Shipped ${acked} entries to ${this.sink.kind} (${this.sink.target}): ${JSON.stringify(report.documents)}` +
          (report.dead_lettered > 0 ? `, ${report.dead_lettered} dead-lettered` : ''),
      );
    }
    return report;
  }
}
