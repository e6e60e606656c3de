import { engineerFeatures, FEATURE_COUNT, SurveyAnswers } from '../features/features';
import { AnswerSplit, assembleExplanation, Explanation } from './explanation.answers';
import { LinearParameters, modelInput } from './explanation.onnx';

/**
 * Exact explanations of the logistic regression on the log-odds scale. With the graph's standardisation
 * `z_j = factor_j · x_j + offset_j` and `logit(x) = bias + Σ_j w_j · z_j`:
 *
 * - background: the mean z̄ of the standardised inputs over the training rows (each input rounded to float32, as
 *   the ONNX input tensor holds it); for the committed model z̄ ≈ 0, since the graph's scaler mean is that mean;
 * - base_value = logit at the mean input = `bias + Σ_j w_j · z̄_j`;
 * - contribution_j = `w_j · (z_j − z̄_j)`, so base_value + Σ_j contribution_j = logit(x) by linearity, exactly
 *   (up to double rounding); these are also the Shapley values of the linear model with independent inputs.
 */
export interface LinearExplainer {
  readonly parameters: LinearParameters;
  /** Log-odds per unit of each raw input: `w_j · factor_j`. */
  readonly coefficients: Float64Array;
  /** Mean of each (float32-rounded) input over the background rows. */
  readonly background: Float64Array;
  readonly baseValue: number;
  readonly split: AnswerSplit;
}

/** Mean of each model input (float32-rounded, as the ONNX input tensor holds it) over the background rows. */
export function inputMeans(backgroundRows: readonly SurveyAnswers[]): Float64Array {
  if (backgroundRows.length === 0) {
    throw new Error('the logistic regression explainer needs at least one background row');
  }
  const means = new Float64Array(FEATURE_COUNT);
  for (const row of backgroundRows) {
    const x = modelInput(engineerFeatures(row));
    for (let j = 0; j < FEATURE_COUNT; j++) {
      means[j] += x[j];
    }
  }
  return means.map((sum) => sum / backgroundRows.length);
}

/** An explainer of these parameters, its base value the logit at `means` (inputMeans of the background rows). */
export function linearExplainer(
  parameters: LinearParameters,
  means: ArrayLike<number>,
  split: AnswerSplit,
): LinearExplainer {
  if (means.length !== FEATURE_COUNT || !Array.from(means).every(Number.isFinite)) {
    throw new Error(`the logistic regression explainer needs ${FEATURE_COUNT} finite input means`);
  }
  const { weights, factor, offset, bias } = parameters;
  const background = Float64Array.from(means);
  let baseValue = bias;
  const coefficients = new Float64Array(FEATURE_COUNT);
  for (let j = 0; j < FEATURE_COUNT; j++) {
    coefficients[j] = weights[j] * factor[j];
    baseValue += weights[j] * (factor[j] * background[j] + offset[j]);
  }
  return { parameters, coefficients, background, baseValue, split };
}

/** The log-odds of these answers, explained per input and per answer. */
export function explainLinear(model: LinearExplainer, answers: SurveyAnswers): Explanation {
  const { weights, factor, offset, bias } = model.parameters;
  const features = engineerFeatures(answers);
  const x = modelInput(features);
  const contributions = new Float64Array(FEATURE_COUNT);
  let output = bias;
  for (let j = 0; j < FEATURE_COUNT; j++) {
    output += weights[j] * (factor[j] * x[j] + offset[j]);
    contributions[j] = model.coefficients[j] * (x[j] - model.background[j]);
  }
  return assembleExplanation(
    'linear-exact+equal-split',
    'log_odds',
    model.baseValue,
    output,
    answers,
    features,
    contributions,
    model.split,
  );
}
