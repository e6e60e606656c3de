import {
  engineerFeatures,
  FEATURE_COUNT,
  FEATURE_ORDER,
  INPUT_FIELDS,
  InputField,
  SurveyAnswers,
} from '../features/features';

/**
 * From the 29 model inputs back to the 15 survey answers: which answers each input is computed from, and the rule
 * that shares an input's contribution among them. Pure functions, no Nest.
 */

/** What one explanation says; snake_case because it is published as is in API responses. */
export interface Explanation {
  /** How the feature contributions were computed, then how they were shared among the answers. */
  method: ExplanationMethod;
  /** The scale of `base_value`, `output` and every contribution. */
  output_scale: 'log_odds' | 'probability';
  /** The model's output for the background data: what the contributions are relative to. */
  base_value: number;
  /** The model's output for these answers: `base_value + Σ contributions`. */
  output: number;
  /** The 29 model inputs, in FEATURE_ORDER. */
  features: FeatureContribution[];
  /** The 15 answers, largest |contribution| first (answer order among equals). */
  contributions: AnswerContribution[];
}

export type ExplanationMethod = 'linear-exact+equal-split' | 'tree-shap+equal-split';

export interface FeatureContribution {
  feature: string;
  /** The engineered value (the model reads it rounded to float32). */
  value: number;
  contribution: number;
}

export interface AnswerContribution {
  answer: InputField;
  value: number;
  contribution: number;
}

/**
 * Values each answer can take, as PredictRequestDto validates them (AGE 0–120, the others 0/1): the perturbations
 * that reveal which model inputs an answer feeds.
 */
const AGES = Array.from({ length: 121 }, (_, age) => age);
const answerValues = (field: InputField): readonly number[] => (field === 'AGE' ? AGES : [0, 1]);

/**
 * Probes that exercise every branch of engineerFeatures whatever data they are added to: every answer 0 and every
 * answer 1, at ages on either side of each AGE_GROUP and HIGH_RISK_PROFILE boundary.
 */
const CORNER_PROBES: readonly SurveyAnswers[] = [0, 1].flatMap((v) =>
  [0, 50, 51, 60, 61, 70, 71, 120].map(
    (age) => ({ ...Object.fromEntries(INPUT_FIELDS.map((f) => [f, v])), AGE: age }) as SurveyAnswers,
  ),
);

/**
 * For each of the 29 inputs (FEATURE_ORDER), the indices into INPUT_FIELDS of the answers it depends on, found by
 * running engineerFeatures itself, not written by hand: for every probe row (the given rows and fixed corner
 * rows), each answer is set to each of its other valid values, and every input that changes depends on that
 * answer. A raw answer's input depends on that answer alone.
 */
export function answersOfFeatures(probes: readonly SurveyAnswers[]): number[][] {
  const depends = Array.from({ length: FEATURE_COUNT }, () => new Set<number>());
  for (const probe of [...probes, ...CORNER_PROBES]) {
    const base = engineerFeatures(probe);
    INPUT_FIELDS.forEach((field, a) => {
      for (const value of answerValues(field)) {
        if (value === probe[field]) {
          continue;
        }
        const changed = engineerFeatures({ ...probe, [field]: value });
        for (let j = 0; j < FEATURE_COUNT; j++) {
          if (!Object.is(changed[j], base[j])) {
            depends[j].add(a);
          }
        }
      }
    });
  }
  return depends.map((set) => [...set].sort((a, b) => a - b));
}

/**
 * The equal-split rule, precomputed: an input's contribution goes whole to its one answer, or in equal shares to
 * the k answers it is computed from (1/k each), so the 15 answers' contributions add up to the 29 inputs' exactly.
 */
export interface AnswerSplit {
  /** For each input, its answers (indices into INPUT_FIELDS). */
  readonly answersOf: readonly (readonly number[])[];
  /** Flattened (input, answer, share) triples, for the hot loop. */
  readonly feature: Int32Array;
  readonly answer: Int32Array;
  readonly share: Float64Array;
}

export function answerSplit(answersOf: readonly (readonly number[])[]): AnswerSplit {
  const orphans = FEATURE_ORDER.filter((_, j) => (answersOf[j]?.length ?? 0) === 0);
  if (answersOf.length !== FEATURE_COUNT || orphans.length > 0) {
    throw new Error(`every model input needs at least one answer; none found for ${orphans.join(', ')}`);
  }
  const feature: number[] = [];
  const answer: number[] = [];
  const share: number[] = [];
  answersOf.forEach((answers, j) =>
    answers.forEach((a) => {
      feature.push(j);
      answer.push(a);
      share.push(1 / answers.length);
    }),
  );
  return {
    answersOf,
    feature: Int32Array.from(feature),
    answer: Int32Array.from(answer),
    share: Float64Array.from(share),
  };
}

/** The 29 input contributions shared among the 15 answers. */
export function splitByAnswer(split: AnswerSplit, contributions: ArrayLike<number>): Float64Array {
  const out = new Float64Array(INPUT_FIELDS.length);
  for (let k = 0; k < split.feature.length; k++) {
    out[split.answer[k]] += contributions[split.feature[k]] * split.share[k];
  }
  return out;
}

/** The published explanation, from the 29 inputs' values and contributions. */
export function assembleExplanation(
  method: ExplanationMethod,
  outputScale: Explanation['output_scale'],
  baseValue: number,
  output: number,
  answers: SurveyAnswers,
  features: readonly number[],
  contributions: Float64Array,
  split: AnswerSplit,
): Explanation {
  const byAnswer = splitByAnswer(split, contributions);
  const answerRows = INPUT_FIELDS.map((answer, a) => ({
    answer,
    value: answers[answer],
    contribution: byAnswer[a],
  }));
  answerRows.sort((p, q) => Math.abs(q.contribution) - Math.abs(p.contribution));
  return {
    method,
    output_scale: outputScale,
    base_value: baseValue,
    output,
    features: FEATURE_ORDER.map((feature, j) => ({
      feature,
      value: features[j],
      contribution: contributions[j],
    })),
    contributions: answerRows,
  };
}

/**
 * The answers that pushed the output up most and down most, up to `count` each, largest first: what the form shows
 * and the log entry keeps of an explanation.
 */
export function strongestAnswers<C extends { contribution: number }>(
  contributions: readonly C[],
  count: number,
): { raising: C[]; lowering: C[] } {
  const side = (sign: 1 | -1): C[] =>
    contributions
      .filter((c) => sign * c.contribution > 0)
      .sort((a, b) => sign * (b.contribution - a.contribution))
      .slice(0, count);
  return { raising: side(1), lowering: side(-1) };
}
