import type { LogEntry } from '../log-store/log-entry';
import { predictionResult } from '../log-shipping/log-shipping.documents';
import type { ShadowCounters } from './shadow.service';

/** Disagreements GET /models/compare lists at most, newest first. */
export const LISTED_DISAGREEMENTS = 20;

export interface ShadowDisagreement {
  timestamp: string;
  transaction_id: string;
  served: { model: string | null; prediction: number | null; probability: number | null };
  shadow: { model: string; prediction: number; probability: number };
}

/** GET /models/compare: the shadow model against the served one over the recent window. */
export interface ShadowComparison {
  shadow_model: string | null;
  /** The newest `window` shadowed predictions are compared. */
  window: number;
  /** Shadowed predictions in the window, by outcome. */
  compared: number;
  dropped: number;
  failed: number;
  /** Share of the compared predictions where both models decided the same; null with none compared. */
  agreement_rate: number | null;
  /** Mean |p1(served) − p1(shadow)| over the compared predictions. */
  mean_abs_probability_difference: number | null;
  disagreement_count: number;
  /** The newest disagreements (at most LISTED_DISAGREEMENTS). */
  disagreements: ShadowDisagreement[];
  /** Since this process started (not the window): rows shadowed, dropped under load, failed. */
  since_start: ShadowCounters;
}

const round6 = (value: number): number => Math.round(value * 1e6) / 1e6;

/** Compares over the newest `window` entries that carry a shadow outcome (`newestFirst` as the log view lists). */
export function compareShadow(
  newestFirst: readonly LogEntry[],
  window: number,
  counters: ShadowCounters,
): ShadowComparison {
  const shadowed = newestFirst.filter((e) => e.data.shadow).slice(0, window);
  let compared = 0;
  let agreed = 0;
  let differenceSum = 0;
  const disagreements: ShadowDisagreement[] = [];
  for (const entry of shadowed) {
    const shadow = entry.data.shadow!;
    const served = predictionResult(entry.data.result);
    if (
      shadow.status !== 'ok' ||
      shadow.prediction === undefined ||
      shadow.probability === undefined ||
      served.prediction === null ||
      served.probability === null
    ) {
      continue;
    }
    compared++;
    differenceSum += Math.abs(served.probability - shadow.probability);
    if (served.prediction === shadow.prediction) {
      agreed++;
    } else {
      disagreements.push({
        timestamp: entry.timestamp,
        transaction_id: entry.data.transaction_id,
        served: { model: entry.data.model, prediction: served.prediction, probability: served.probability },
        shadow: { model: shadow.model, prediction: shadow.prediction, probability: shadow.probability },
      });
    }
  }
  const count = (status: string): number => shadowed.filter((e) => e.data.shadow!.status === status).length;
  return {
    shadow_model: counters.model,
    window,
    compared,
    dropped: count('dropped'),
    failed: count('failed'),
    agreement_rate: compared === 0 ? null : round6(agreed / compared),
    mean_abs_probability_difference: compared === 0 ? null : round6(differenceSum / compared),
    disagreement_count: disagreements.length,
    disagreements: disagreements.slice(0, LISTED_DISAGREEMENTS),
    since_start: counters,
  };
}
