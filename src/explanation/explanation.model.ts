import { FEATURE_ORDER, INPUT_FIELDS, InputField, SurveyAnswers } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import { answerSplit, answersOfFeatures, Explanation, ExplanationMethod } from './explanation.answers';
import { explainLinear, inputMeans, linearExplainer } from './explanation.linear';
import { readForestParameters, readLinearParameters } from './explanation.onnx';
import { explainForest, forestCovers, forestExplainer } from './explanation.tree-shap';

/**
 * What a card carries so that the service can explain its model without the training data: written by
 * `npm run train` from the de-duplicated training rows, read by the model registry when it loads the model.
 */
export interface ExplanationBackground {
  method: ExplanationMethod;
  /** Training rows the background was computed from. */
  background_rows: number;
  /** For each of the 29 model inputs, the answers it is computed from (found by running the feature code). */
  answers_of_features: Record<string, InputField[]>;
  /** Logistic regression: the mean of each model input (float32) over the background rows, in FEATURE_ORDER. */
  feature_means?: number[];
  /** Random forest: for each tree of the ONNX TreeEnsemble, how many background rows reach each of its nodes. */
  tree_covers?: number[][];
}

/** The explanation of one row's answers, by the model it was built for. */
export type Explainer = (answers: SurveyAnswers) => Explanation;

/** The families the service can explain exactly, and the method each gets. */
const METHODS: Partial<Record<ModelCard['family'], ExplanationMethod>> = {
  logistic_regression: 'linear-exact+equal-split',
  random_forest: 'tree-shap+equal-split',
};

/** The card section for a model's ONNX file, from the training rows; undefined for a family not explained. */
export function explanationBackground(
  family: ModelCard['family'],
  onnxBytes: Uint8Array,
  trainingRows: readonly SurveyAnswers[],
): ExplanationBackground | undefined {
  const method = METHODS[family];
  if (method === undefined) {
    return undefined;
  }
  const answersOf = answersOfFeatures(trainingRows);
  const background: ExplanationBackground = {
    method,
    background_rows: trainingRows.length,
    answers_of_features: Object.fromEntries(
      FEATURE_ORDER.map((feature, j) => [feature, answersOf[j].map((a) => INPUT_FIELDS[a])]),
    ),
  };
  if (family === 'logistic_regression') {
    background.feature_means = Array.from(inputMeans(trainingRows));
  } else {
    background.tree_covers = forestCovers(readForestParameters(onnxBytes), trainingRows).map((c) =>
      Array.from(c),
    );
  }
  return background;
}

/**
 * The explainer of a model from its card's `explanation` section and its ONNX bytes. Throws with the reason when
 * the section does not fit the file (wrong family, counts, answers); the caller decides whether that stops loading.
 */
export function explainerFor(
  family: ModelCard['family'],
  background: ExplanationBackground,
  onnxBytes: Uint8Array,
): Explainer {
  const method = METHODS[family];
  if (method === undefined || background.method !== method) {
    throw new Error(`"explanation.method" ${String(background.method)} does not explain a ${family} model`);
  }
  const split = answerSplit(
    FEATURE_ORDER.map((feature) => {
      const answers = background.answers_of_features?.[feature];
      if (!Array.isArray(answers) || answers.some((a) => !INPUT_FIELDS.includes(a))) {
        throw new Error(`"explanation.answers_of_features.${feature}" must list survey answers`);
      }
      return answers.map((a) => INPUT_FIELDS.indexOf(a));
    }),
  );
  if (family === 'logistic_regression') {
    const model = linearExplainer(readLinearParameters(onnxBytes), background.feature_means ?? [], split);
    return (answers) => explainLinear(model, answers);
  }
  const parameters = readForestParameters(onnxBytes);
  const model = forestExplainer(parameters, background.tree_covers ?? [], split);
  return (answers) => explainForest(model, answers);
}
