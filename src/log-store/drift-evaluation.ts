import type { QueuedRecord } from './log-store';

/** One input's (or the decisions') result in a kept drift evaluation. */
export interface EvaluatedFeature {
  feature: string;
  test: 'ks' | 'z_test';
  statistic: number;
  p_value: number;
  /** What set the level (Holm-adjusted over the 15 inputs; the decisions: their own p-value). */
  p_value_adjusted: number;
  psi: number;
  level: 'NO' | 'POSSIBLE' | 'DRIFT';
  /** The current share of ones (0/1 inputs, decisions) or mean (AGE), and the reference's. */
  current: number;
  reference: number;
}

/**
 * A scheduled drift evaluation as the log store keeps it (7 days) and ships it (one document per input and one for
 * the decisions). Its id derives from the period and the reference, so replicas evaluating the same period keep one.
 */
export interface DriftEvaluation extends QueuedRecord {
  kind: 'drift_evaluation';
  /** When it was evaluated (ISO-8601). */
  timestamp: string;
  /** The start of its period of DRIFT_EVALUATE_SECONDS (ISO-8601). */
  period_start: string;
  reference: { id: string; kind: 'card' | 'window'; model: string };
  status: 'ok' | 'not_enough_data';
  verdict: string;
  window: { size: number; from: string | null; to: string | null };
  dataset_drift: boolean | null;
  drifted_features: number;
  features: EvaluatedFeature[];
  prediction: EvaluatedFeature | null;
}

export function isDriftEvaluation(record: unknown): record is DriftEvaluation {
  return (
    typeof record === 'object' &&
    record !== null &&
    (record as { kind?: unknown }).kind === 'drift_evaluation'
  );
}
