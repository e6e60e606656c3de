import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { errorText } from '../common/error-text';
import { AppConfig, type DriftReferenceChoice } from '../config/app-config';
import type { DriftEvaluation, EvaluatedFeature } from '../log-store/drift-evaluation';
import type { LogEntry } from '../log-store/log-entry';
import { LogStore } from '../log-store/log-store';
import { ModelRegistry } from '../model-pool/model-registry';
import { detectDrift, type DriftReport, type FeatureDrift } from './drift.engine';
import {
  cardReference,
  type DriftReference,
  type ReferenceChoiceRequest,
  windowReference,
} from './drift.reference';
import { predictionWindow, rowsBetween } from './drift.window';

/**
 * The most log entries one call reads: with a large REDIS_LOGS_MAX_SIZE, an open page refreshed every few seconds
 * must not parse a million entries each time. Enough for the default drift window several times over.
 */
export const MONITORING_MAX_ENTRIES = 10_000;

/** How long scheduled evaluations are kept in the log store. */
export const DRIFT_HISTORY_MS = 7 * 24 * 3600_000;

/** The shared value holding the reference chosen at run time (POST /drift/reference). */
const CHOSEN = 'drift-reference';
/** Where a window reference named by DRIFT_REFERENCE is kept once built, so it outlives the log view. */
const built = (id: string): string => `drift-reference:${id}`;

/** A reference that cannot be had now: the message says why and what to do. */
export class ReferenceUnavailableError extends Error {
  override name = 'ReferenceUnavailableError';
}

/** Where the reference in force comes from. */
export type ReferenceSource = 'DRIFT_REFERENCE' | 'chosen at run time';

/**
 * Drift: the window of recent predictions judged against the reference in force (the default model's training data,
 * or a stored window of traffic), evaluated on demand and on a schedule, and the kept evaluations. Everything it
 * reads and keeps is in the log store, so every replica sees the same window, reference and history.
 */
@Injectable()
export class DriftService {
  constructor(
    private readonly config: AppConfig,
    private readonly store: LogStore,
    private readonly models: ModelRegistry,
  ) {}

  /** The report of the newest DRIFT_WINDOW_SIZE predictions (or of every one since `since`). */
  async report(since?: string, entries?: readonly LogEntry[]): Promise<DriftReport> {
    const newestFirst = entries ?? (await recentEntries(this.store, this.config));
    const reference = await this.referenceOrUnavailable(newestFirst);
    return detectDrift(
      reference,
      predictionWindow(newestFirst, this.config.drift.windowSize, since),
      this.config.drift,
    );
  }

  /**
   * One scheduled evaluation: kept (and queued for shipping) unless a replica kept its period's already. Returns
   * the evaluation and whether this call kept it.
   */
  async evaluate(now: Date = new Date()): Promise<{ evaluation: DriftEvaluation; kept: boolean }> {
    const report = await this.report();
    const periodMs = this.config.drift.evaluateSeconds * 1000;
    const periodStart = new Date(Math.floor(now.getTime() / periodMs) * periodMs).toISOString();
    const evaluation = evaluationOf(report, periodStart, now);
    const kept = await this.store.keepRecord(
      'drift',
      { id: evaluation.id, atMs: now.getTime(), json: JSON.stringify(evaluation) },
      { once: true, ship: true, keepSinceMs: now.getTime() - DRIFT_HISTORY_MS },
    );
    return { evaluation, kept };
  }

  /** Kept evaluations since `sinceMs`, oldest first (at most `limit`, the newest). */
  async history(sinceMs: number, limit = 2000): Promise<DriftEvaluation[]> {
    const records = await this.store.records('drift', sinceMs, limit);
    return records.map((json) => JSON.parse(json) as DriftEvaluation);
  }

  /** The newest kept evaluation if it is recent (three periods), for the gauges; null otherwise. */
  async latest(now: number = Date.now()): Promise<DriftEvaluation | null> {
    const periodMs = this.config.drift.evaluateSeconds * 1000;
    if (periodMs === 0) {
      return null;
    }
    const [newest] = (await this.history(now - 3 * periodMs, 1)).slice(-1);
    return newest ?? null;
  }

  /** The reference in force and where it comes from. */
  async reference(
    entries?: readonly LogEntry[],
  ): Promise<{ reference: DriftReference; source: ReferenceSource }> {
    const chosen = await this.store.shared(CHOSEN);
    if (chosen !== null) {
      const reference = JSON.parse(chosen) as DriftReference;
      return {
        reference: reference.kind === 'card' ? this.cardReference() : reference,
        source: 'chosen at run time',
      };
    }
    return {
      reference: await this.configured(this.config.drift.reference, entries),
      source: 'DRIFT_REFERENCE',
    };
  }

  /**
   * Makes a reference the one every replica uses from now on: the default model's card, or a window of logged
   * traffic read from the log view now (it must hold DRIFT_MIN_SAMPLES predictions of it). `default` goes back
   * to DRIFT_REFERENCE.
   */
  async choose(
    choice: ReferenceChoiceRequest,
  ): Promise<{ reference: DriftReference; source: ReferenceSource }> {
    if (choice.kind === 'default') {
      await this.store.setShared(CHOSEN, null);
      return this.reference();
    }
    const reference = choice.kind === 'card' ? this.cardReference() : await this.buildWindow(choice);
    await this.store.setShared(CHOSEN, JSON.stringify(reference));
    return { reference, source: 'chosen at run time' };
  }

  private cardReference(): DriftReference {
    return cardReference(this.models.defaultModel().card);
  }

  private async configured(
    choice: DriftReferenceChoice,
    entries?: readonly LogEntry[],
  ): Promise<DriftReference> {
    if (choice.kind === 'card') {
      return this.cardReference();
    }
    const id = `window:${choice.from}/${choice.to}`;
    const kept = await this.store.shared(built(id));
    if (kept !== null) {
      return JSON.parse(kept) as DriftReference;
    }
    const reference = await this.buildWindow(choice, entries);
    await this.store.setShared(built(id), JSON.stringify(reference));
    return reference;
  }

  private async buildWindow(
    window: { from: string; to: string },
    entries?: readonly LogEntry[],
  ): Promise<DriftReference> {
    const newestFirst = entries ?? (await recentEntries(this.store, this.config));
    const rows = rowsBetween(newestFirst, window.from, window.to);
    const { minSamples } = this.config.drift;
    if (rows.length < minSamples) {
      throw new ReferenceUnavailableError(
        `the reference window ${window.from}/${window.to} has ${rows.length} logged predictions in the log view, ` +
          `${minSamples} (DRIFT_MIN_SAMPLES) needed: choose a window the view still holds (REDIS_LOGS_MAX_SIZE ` +
          `${this.config.logging.viewMaxSize} newest entries), or the card`,
      );
    }
    const card = this.cardReference();
    return windowReference(rows, window, card.model, card.age.bin_edges, minSamples);
  }

  private async referenceOrUnavailable(entries: readonly LogEntry[]): Promise<DriftReference> {
    try {
      return (await this.reference(entries)).reference;
    } catch (error) {
      if (error instanceof ReferenceUnavailableError) {
        throw new ServiceUnavailableException(`No drift reference: ${error.message}`);
      }
      throw error;
    }
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

function evaluated(f: FeatureDrift): EvaluatedFeature {
  const numeric = f.kind === 'numeric';
  return {
    feature: f.feature,
    test: f.test,
    statistic: f.statistic,
    p_value: f.p_value,
    p_value_adjusted: f.p_value_adjusted,
    psi: f.psi,
    level: f.level,
    current: (numeric ? f.current.mean : f.current.share_of_ones) ?? 0,
    reference: (numeric ? f.reference.mean : f.reference.share_of_ones) ?? 0,
  };
}

/** A report as kept and shipped: the id derives from the period and the reference, the same on every replica. */
export function evaluationOf(report: DriftReport, periodStart: string, now: Date): DriftEvaluation {
  return {
    kind: 'drift_evaluation',
    id: createHash('sha256').update(`${periodStart}|${report.reference.id}`).digest('hex').slice(0, 24),
    timestamp: now.toISOString(),
    period_start: periodStart,
    reference: { id: report.reference.id, kind: report.reference.kind, model: report.reference.model },
    status: report.status,
    verdict: report.verdict,
    window: { size: report.window.size, from: report.window.from, to: report.window.to },
    dataset_drift: report.dataset_drift,
    drifted_features: report.drifted_features,
    features: report.features.map(evaluated),
    prediction: report.prediction ? evaluated(report.prediction) : null,
  };
}
