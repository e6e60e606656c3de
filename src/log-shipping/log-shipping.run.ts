import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import type { LogStore } from '../log-store/log-store';
import { errorText } from '../common/error-text';
import type { BatchEncoder } from './batch-encoder';
import { iso, type ShippingClock } from './log-shipping.clock';
import {
  deadLetterDocument,
  type RefusalReason,
  type ShipDocument,
  type ShippingIndexes,
} from './log-shipping.documents';
import { decodeDoc, encodeDocs } from './log-shipping.encode';
import type { LogSink, WriteOutcome } from './log-sink';

/** A run stops after this many batches even if more is pending, so one run never holds the queue indefinitely. */
export const MAX_BATCHES_PER_RUN = 50;

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

interface BatchResult {
  read: number;
  acked: number;
  retrying: number;
  deadLettered: number;
  documents: Record<string, number>;
  error?: string;
}

/**
 * One shipping run, at least once and without duplicates: it reads a batch from the durable queue (LogStore), has
 * the encoder turn its entries into documents and their Bulk-API lines (in a worker thread), stores them, dead-letters
 * those refused for good, and acknowledges an entry only once every one of its documents is stored or dead-lettered.
 * Whatever fails stays in the queue for the next run; deterministic ids make the repeat harmless. Holds no state
 * between runs but the sink's preparation; when runs happen, and what their outcomes mean for the next one, is
 * LogShippingService's business.
 */
export class LogShippingRun {
  private readonly logger = new Logger('LogShippingService');
  private readonly indexes: ShippingIndexes;
  private readonly batchSize: number;
  private prepared: Promise<void> | null = null;

  constructor(
    config: Pick<AppConfig['shipping'], 'indexes' | 'batchSize'>,
    private readonly store: LogStore,
    private readonly sink: LogSink,
    private readonly encoder: BatchEncoder,
    private readonly clock: ShippingClock,
  ) {
    this.indexes = config.indexes;
    this.batchSize = config.batchSize;
  }

  /** Installs the sink's templates once; a failed attempt is tried again by the next call. */
  prepare(): Promise<void> {
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

  /** One run: batches until the queue is drained, a batch leaves entries unacknowledged, or MAX_BATCHES_PER_RUN. */
  async run(trigger: RunTrigger): Promise<ShippingRunReport> {
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
    return this.report(trigger, startedMs, batches, totals, error);
  }

  private async shipBatch(): Promise<BatchResult> {
    const batch = await this.store.readUnshipped(this.batchSize);
    const result: BatchResult = { read: batch.length, acked: 0, retrying: 0, deadLettered: 0, documents: {} };
    if (batch.length === 0) {
      return result;
    }
    const encoded = await this.encoder.encode(batch, this.indexes);
    const refused: { doc: ShipDocument; reason: RefusalReason }[] = [...encoded.refused];

    /** Entries (by entry id) with a document not yet stored nor dead-lettered. */
    const unsettled = new Set<string>();
    try {
      const outcomes = await this.sink.write(encoded);
      encoded.docs.forEach((doc, i) => {
        const outcome = outcomeAt(outcomes, i);
        if (outcome.status === 'stored') {
          count(result.documents, doc.index);
        } else if (outcome.status === 'refused') {
          refused.push({ doc: decodeDoc(doc, encoded.body), reason: outcome.reason });
        } else {
          unsettled.add(doc.entryId);
          result.error ??= `${doc.index}/${doc.id}: ${outcome.reason.type} (${outcome.reason.status}) ${outcome.reason.reason}`;
        }
      });
    } catch (caught) {
      encoded.entryIds.forEach((id) => unsettled.add(id));
      result.error = errorText(caught);
      refused.length = 0;
    }

    if (refused.length > 0) {
      await this.deadLetter(refused, unsettled, result);
    }

    const acked = batch.filter((_, i) => !unsettled.has(encoded.entryIds[i]!)).map((q) => q.queueId);
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
    const encoded = encodeDocs(letters);
    try {
      const outcomes = await this.sink.write(encoded);
      encoded.docs.forEach((letter, i) => {
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

  private report(
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
    return {
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
      // A run that shipped everything it read reports no error, even if reading on afterwards failed.
      ...(error && outcome !== 'shipped' && outcome !== 'idle' ? { error } : {}),
    };
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
