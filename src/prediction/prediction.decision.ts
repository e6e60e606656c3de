import type { Explanation } from '../explanation/explanation.answers';
import type { LoadedModel } from '../model-pool/model-registry';
import { RiskLevel, riskLevel } from './risk-level';

export interface Prediction {
  /** 1 when `probability` ≥ `threshold`. */
  prediction: 0 | 1;
  /** Probability of the positive class (p1). */
  probability: number;
  probabilities: [number, number];
  /** The model card's decision threshold. */
  threshold: number;
  risk_level: RiskLevel;
  /** `<name>@<version>`. */
  model: string;
  model_name: string;
  /** With `?explain=`: why (see ExplainRequest). */
  explanation?: PublishedExplanation;
}

/** What the API answers of an explanation: the per-input contributions only with `explain=features`. */
export type PublishedExplanation = Omit<Explanation, 'features'> & Partial<Pick<Explanation, 'features'>>;

/** Six decimals, as the reference answered: a float32 carries no more, and the decision uses what is shown. */
function roundProbability(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}

/** The answer for one row's probabilities, decided at the card's threshold. */
export function decide(model: LoadedModel, rawP0: number, rawP1: number): Prediction {
  const p0 = roundProbability(rawP0);
  const p1 = roundProbability(rawP1);
  const threshold = model.card.threshold.value;
  return {
    prediction: p1 >= threshold ? 1 : 0,
    probability: p1,
    probabilities: [p0, p1],
    threshold,
    risk_level: riskLevel(p1),
    model: model.id,
    model_name: model.name,
  };
}
