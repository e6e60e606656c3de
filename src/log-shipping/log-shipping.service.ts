import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { LogEntry } from '../log-store/log-entry';
import { LogStore, type QueuedLogEntry } from '../log-store/log-store';
import {
  deadLetterDocument,
  documentsForEntry,
  type RefusalReason,
  type ShipDocument,
  type ShippingIndexes,
} from './log-shipping.documents';
import { LogSink, type WriteOutcome } from './log-sink';

/** The time source of the shipper (backoff, report times); tests replace it to simulate minutes in milliseconds. */
export class ShippingClock {
  now(): number {
    return Date.now();
  }
}

/** A run stops after this many batches even if more is pending, so one run never holds the queue indefinitely. */
export const MAX_BATCHES_PER_RUN = 50;
/** Longest wait between two scheduled attempts while the destination keeps failing. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** Backoff base when the schedule is off (runs are then only manual, which ignore backoff anyway). */
const DEFAULT_RETRY_BASE_MS = 10_000;

/** Exponential backoff: base, 2×base, 4×base… capped. `failures` counts consecutive failed runs (≥ 1). */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number = MAX_RETRY_DELAY_MS): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

export type RunTrigger = 'schedule' | 'manual';

/**
 * `shipped`: every entry read was acknowledged; `idle`: nothing was pending; `partial`: some entries are left for
 * a later run (retryable refusals); `failed`: the run could not ship (destination or queue unreachable).
 */
export type RunOutcome = 'shipped' | 'idle' | 'partial' | 'failed';

export interface ShippingRunReport {
  trigger: RunTrigger;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  outcome: RunOutcome;
  sink: LogSink['kind'];
  target: string;
  batches: number;
  /** Entries taken from the queue (an entry retried later is counted again then). */
  entries_read: number;
  /** Entries acknowledged: every one of their documents is stored or dead-lettered. */
  entries_shipped: number;
  /** Entries left unacknowledged for a later run. */
  entries_retrying: number;
  /** Documents stored, per index (dead-letter index included). */
  documents: Record<string, number>;
  /** Documents refused for good and stored in the dead-letter index with the reason. */
  dead_lettered: number;
  error?: string;
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

interface BatchResult {
  read: number;
  acked: number;
  retrying: number;
  deadLettered: number;
  documents: Record<string, number>;
  error?: string;
}

/**
 * Moves entries from the durable queue (LogStore) to the sink, at least once and without duplicates: it reads a
 * batch, stores its documents, dead-letters those refused for good, and acknowledges an entry only once every one of
 * its documents is stored or dead-lettered. Whatever fails stays in the queue for the next run; deterministic ids
 * make the repeat harmless. Runs never overlap: a call made while a run is in progress gets that run's report.
 */
@Injectable()
export class LogShippingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogShippingService.name);
  private readonly indexes: ShippingIndexes;
  private readonly batchSize: number;
  private readonly intervalSeconds: number;

  private inFlight: Promise<ShippingRunReport> | null = null;
  private prepared: Promise<void> | null = null;
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
    private readonly clock: ShippingClock,
  ) {
    this.indexes = config.shipping.indexes;
    this.batchSize = config.shipping.batchSize;
    this.intervalSeconds = config.shipping.intervalSeconds;
  }

  /** Installs the index templates at start-up without holding it up: a cluster that is down is retried later. */
  onApplicationBootstrap(): void {
    this.prepare().catch((error: unknown) => {
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
      const run = this.run(trigger);
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

  private prepare(): Promise<void> {
    if (!this.prepared) {
      const attempt = this.sink.prepare();
      this.prepared = attempt;
      attempt.catch(() => {
        if (this.prepared === attempt) {
          this.prepared = null;
        }
      });
    }
    return this.prepared;
  }

  private async run(trigger: RunTrigger): Promise<ShippingRunReport> {
    const startedMs = this.clock.now();
    const totals: BatchResult = { read: 0, acked: 0, retrying: 0, deadLettered: 0, documents: {} };
    let batches = 0;
    let error: string | undefined;
    try {
      await this.prepare();
      while (batches < MAX_BATCHES_PER_RUN) {
        const result = await this.shipBatch();
        if (result.read === 0) {
          break;
        }
        batches += 1;
        accumulate(totals, result);
        error = result.error;
        // Unacknowledged entries come back first in the next read: reading on would only fail them again.
        if (result.retrying > 0 || result.read < this.batchSize) {
          break;
        }
      }
    } catch (caught) {
      error = errorText(caught);
    }
    const report = this.finish(trigger, startedMs, batches, totals, error);
    return report;
  }

  private async shipBatch(): Promise<BatchResult> {
    const batch = await this.store.readUnshipped(this.batchSize);
    const result: BatchResult = { read: batch.length, acked: 0, retrying: 0, deadLettered: 0, documents: {} };
    if (batch.length === 0) {
      return result;
    }
    const docs: ShipDocument[] = [];
    const refused: { doc: ShipDocument; reason: RefusalReason }[] = [];
    for (const queued of batch) {
      const mapped = this.documentsOf(queued);
      if ('refused' in mapped) {
        refused.push(mapped.refused);
      } else {
        docs.push(...mapped.docs);
      }
    }

    /** Entries (by entry id) with a document not yet stored nor dead-lettered. */
    const unsettled = new Set<string>();
    try {
      const outcomes = await this.sink.write(docs);
      docs.forEach((doc, i) => {
        const outcome = outcomeAt(outcomes, i);
        if (outcome.status === 'stored') {
          count(result.documents, doc.index);
        } else if (outcome.status === 'refused') {
          refused.push({ doc, reason: outcome.reason });
        } else {
          unsettled.add(doc.entryId);
          result.error ??= `${doc.index}/${doc.id}: ${outcome.reason.type} (${outcome.reason.status}) ${outcome.reason.reason}`;
        }
      });
    } catch (caught) {
      batch.forEach((q) => unsettled.add(this.entryIdOf(q)));
      result.error = errorText(caught);
      refused.length = 0;
    }

    if (refused.length > 0) {
      await this.deadLetter(refused, unsettled, result);
    }

    const acked = batch.filter((q) => !unsettled.has(this.entryIdOf(q))).map((q) => q.queueId);
    if (acked.length > 0) {
      // If this throws, the entries stay queued and are re-shipped, with the same ids, by the next run.
      await this.store.ack(acked);
    }
    result.acked = acked.length;
    result.retrying = batch.length - acked.length;
    return result;
  }

  private async deadLetter(
    refused: readonly { doc: ShipDocument; reason: RefusalReason }[],
    unsettled: Set<string>,
    result: BatchResult,
  ): Promise<void> {
    const at = new Date(this.clock.now());
    const letters = refused.map(({ doc, reason }) =>
      deadLetterDocument(doc, reason, this.indexes.deadLetter, at),
    );
    for (const { doc, reason } of refused) {
      this.logger.warn(`${doc.index}/${doc.id} refused (${reason.type}): ${reason.reason}; dead-lettered`);
    }
    try {
      const outcomes = await this.sink.write(letters);
      letters.forEach((letter, i) => {
        const outcome = outcomeAt(outcomes, i);
        if (outcome.status === 'stored') {
          count(result.documents, letter.index);
          result.deadLettered += 1;
        } else {
          // Never acknowledge an entry whose refusal is not on record: it stays queued and visible as pending.
          unsettled.add(letter.entryId);
          const why = `${outcome.reason.type}: ${outcome.reason.reason}`;
          result.error ??= `dead-lettering ${letter.id} failed: ${why}`;
          this.logger.error(`Dead-lettering ${letter.id} failed (${why}); the entry stays queued`);
        }
      });
    } catch (caught) {
      letters.forEach((letter) => unsettled.add(letter.entryId));
      result.error ??= `dead-lettering failed: ${errorText(caught)}`;
    }
  }

  /** An entry that cannot be turned into documents (corrupt in the queue) is dead-lettered as it is, not retried forever. */
  private documentsOf(
    queued: QueuedLogEntry,
  ): { docs: ShipDocument[] } | { refused: { doc: ShipDocument; reason: RefusalReason } } {
    try {
      return { docs: documentsForEntry(queued.entry, this.indexes) };
    } catch (caught) {
      const entryId = this.entryIdOf(queued);
      return {
        refused: {
          doc: { index: this.indexes.logs, id: entryId, entryId, source: { entry: queued.entry as unknown } },
          reason: { status: 0, type: 'invalid_entry', reason: errorText(caught) },
        },
      };
    }
  }

  private entryIdOf(queued: QueuedLogEntry): string {
    const id = (queued.entry as Partial<LogEntry> | null)?.id;
    return typeof id === 'string' && id !== '' ? id : queued.queueId;
  }

  private finish(
    trigger: RunTrigger,
    startedMs: number,
    batches: number,
    totals: BatchResult,
    error: string | undefined,
  ): ShippingRunReport {
    const finishedMs = this.clock.now();
    const outcome: RunOutcome =
      totals.read === 0
        ? error
          ? 'failed'
          : 'idle'
        : totals.retrying > 0
          ? totals.acked > 0
            ? 'partial'
            : 'failed'
          : 'shipped';
    const report: ShippingRunReport = {
      trigger,
      started_at: iso(startedMs),
      finished_at: iso(finishedMs),
      duration_ms: finishedMs - startedMs,
      outcome,
      sink: this.sink.kind,
      target: this.sink.target,
      batches,
      entries_read: totals.read,
      entries_shipped: totals.acked,
      entries_retrying: totals.retrying,
      documents: totals.documents,
      dead_lettered: totals.deadLettered,
      ...(error && outcome !== 'shipped' && outcome !== 'idle' ? { error } : {}),
    };
    this.lastReport = report;
    this.totals.runs += 1;
    this.totals.entriesShipped += totals.acked;
    this.totals.deadLettered += totals.deadLettered;
    // Backoff only when a run moved nothing: a partial run (some items refused with 429/5xx) made progress, and its
    // leftovers wait for the next tick anyway; backing off there would let a steady trickle of refusals starve
    // the queue.
    if (outcome === 'failed') {
      this.consecutiveFailures += 1;
      const base = this.intervalSeconds > 0 ? this.intervalSeconds * 1000 : DEFAULT_RETRY_BASE_MS;
      this.nextAttemptAtMs = finishedMs + retryDelayMs(this.consecutiveFailures, base);
      this.logger.warn(
        `Shipping failed (${totals.read > 0 ? `${totals.retrying} entries left queued` : 'nothing read'}), next ` +
          `scheduled attempt after ${iso(this.nextAttemptAtMs)}: ${error ?? 'unknown error'}`,
      );
      return report;
    }
    this.consecutiveFailures = 0;
    this.nextAttemptAtMs = null;
    if (outcome === 'partial') {
      this.logger.warn(
        `Shipped ${totals.acked} entries; ${totals.retrying} left queued for the next run: ${error ?? 'unknown error'}`,
      );
      return report;
    }
    this.lastSuccessAt = report.finished_at;
    if (outcome === 'shipped') {
      this.logger.log(
        `Shipped ${totals.acked} entries to ${this.sink.kind} (${this.sink.target}): ${JSON.stringify(totals.documents)}` +
          (totals.deadLettered > 0 ? `, ${totals.deadLettered} dead-lettered` : ''),
      );
    }
    return report;
  }
}

/** A sink that answers fewer outcomes than documents has not confirmed the rest: they are retried. */
function outcomeAt(outcomes: readonly WriteOutcome[], i: number): WriteOutcome {
  return (
    outcomes[i] ?? {
      status: 'retry',
      reason: { status: 0, type: 'missing_outcome', reason: 'not confirmed' },
    }
  );
}

function accumulate(into: BatchResult, from: BatchResult): void {
  into.read += from.read;
  into.acked += from.acked;
  into.retrying += from.retrying;
  into.deadLettered += from.deadLettered;
  for (const [index, n] of Object.entries(from.documents)) {
    into.documents[index] = (into.documents[index] ?? 0) + n;
  }
}

function count(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

const iso = (ms: number): string => new Date(ms).toISOString();

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
