import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BINARY_FIELDS, engineerFeatures, FEATURE_ORDER, SurveyAnswers } from '../features/features';
import type {
  BinaryDistribution,
  MetricName,
  ModelCard,
  NumericDistribution,
  ReferenceDistribution,
  ThresholdRule,
} from '../model-pool/model-card';
import { calibrate, CalibrationMethod, Calibrator, chooseCalibrator, PlattCalibrator } from './calibration';
import { repeatedStratifiedKFold } from './cross-validation';
import { LogisticRegressionModel } from './logistic-regression';
import {
  brierScore,
  chooseThreshold,
  confusionAt,
  evaluate,
  meanStd,
  recallOf,
  reliabilityCurve,
  rocAuc,
  specificityOf,
} from './metrics';
import { logisticRegressionToOnnx, ONNX_INTERFACE, randomForestToOnnx } from './onnx-export';
import { RandomForestModel } from './random-forest';
import { loadSurveyDataset, SurveyDataset } from './survey-dataset';
import { explanationBackground } from '../explanation/explanation.model';

export interface TrainOptions {
  dataFile: string;
  seed: number;
  folds: number;
  repeats: number;
  thresholdRule: ThresholdRule;
  /** Thresholds whose out-of-fold specificity falls below this are not candidates (see chooseThreshold). */
  minSpecificity: number;
  /** Trees of the random forest. */
  trees: number;
  /** Candidate C values of the logistic regression, chosen by ROC-AUC in an inner CV of each training set. */
  lrGrid: number[];
  /** A model whose out-of-fold ECE is above this gets a calibrator candidate (see chooseCalibrator). */
  calibrationEceLimit: number;
}

export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'dataFile'> = {
  seed: 42,
  folds: 5,
  repeats: 5,
  thresholdRule: 'f2',
  minSpecificity: 0.5,
  trees: 100,
  lrGrid: [0.01, 0.03, 0.1, 0.3, 1],
  calibrationEceLimit: 0.05,
};

interface Classifier {
  predictProba(x: readonly number[][]): number[];
}

interface Family {
  name: string;
  family: ModelCard['family'];
  hyperparameters: Record<string, number | string | boolean>;
  /** What Platt scaling rescales: the log-odds of a model that has them, else the probability. */
  plattInput: PlattCalibrator['input'];
  /** The calibrators the model may get, and why any other is not a candidate. */
  calibration: { eligible: CalibrationMethod[]; ineligibleBecause?: string };
  fit(x: readonly number[][], y: readonly number[]): Classifier;
  toOnnx(model: Classifier, threshold: number, calibrator: Calibrator | null): Uint8Array;
}

export interface TrainedModel {
  card: ModelCard;
  onnx: Uint8Array;
  /** The TypeScript model the ONNX file was exported from, its calibrator included (for equivalence tests). */
  model: Classifier;
}

export interface TrainingResult {
  dataset: SurveyDataset;
  models: TrainedModel[];
}

const AGE_BIN_EDGES = [0, 20, 30, 40, 50, 60, 70, 80, 90, 120];
const round = (v: number): number => Math.round(v * 1e6) / 1e6;

/** Reads the data, cross-validates each family, fits it on all rows and exports it with its card. Pure of I/O
 * beyond reading the data file: writing is `writeModelDirectory`'s job. */
export function trainModels(options: TrainOptions): TrainingResult {
  const dataset = loadSurveyDataset(options.dataFile);
  const x = dataset.rows.map((r) => engineerFeatures(r.answers));
  const y = dataset.rows.map((r) => r.label);
  const splits = repeatedStratifiedKFold(y, options.folds, options.repeats, options.seed);

  // C is chosen by an inner CV inside every outer training fold, so the reported metrics include the choice.
  const selectC = (xs: readonly number[][], ys: readonly number[]): number =>
    pickLogisticC(xs, ys, repeatedStratifiedKFold(ys, options.folds, 1, options.seed), options.lrGrid);
  const families: Family[] = [
    {
      name: 'logistic_regression',
      family: 'logistic_regression',
      hyperparameters: {
        C: selectC(x, y),
        penalty: 'l2',
        standardise: true,
        solver: 'newton',
        c_grid: options.lrGrid.join(','),
        c_selection: `inner ${options.folds}-fold CV ROC-AUC`,
      },
      plattInput: 'logit',
      // Its explanation (src/explanation/explanation.linear.ts) is exact only while the graph is affine up to the
      // Sigmoid: Platt on the log-odds folds into the weights, an isotonic step after the Sigmoid would not, and the
      // model registry refuses a model whose explanation does not end at its probability.
      calibration: {
        eligible: ['platt'],
        ineligibleBecause:
          'the exact explanation of the logistic regression needs an affine graph up to the Sigmoid, and its ' +
          'steps tie predictions (lower ROC-AUC) and answer exactly 0 or 1 at both ends',
      },
      fit: (xs, ys) => LogisticRegressionModel.fit(xs, ys, { c: selectC(xs, ys) }),
      toOnnx: (m, t, c) => logisticRegressionToOnnx(m as LogisticRegressionModel, t, c),
    },
    {
      name: 'random_forest',
      family: 'random_forest',
      hyperparameters: {
        trees: options.trees,
        max_features: 0.5,
        max_depth: 6,
        min_samples: 2,
        seed: options.seed,
      },
      plattInput: 'probability',
      // Either method may follow the forest. Its tree-SHAP explanation covers the ensemble's sum only: a forest with
      // a calibrator kept gets no explanation section, so it serves without `?explain=` rather than explain wrongly.
      calibration: { eligible: ['platt', 'isotonic'] },
      fit: (xs, ys) =>
        RandomForestModel.fit(xs, ys, {
          trees: options.trees,
          maxFeatures: 0.5,
          maxDepth: 6,
          minSamples: 2,
          seed: options.seed,
        }),
      toOnnx: (m, t, c) => randomForestToOnnx(m as RandomForestModel, t, c),
    },
  ];

  const models = families.map((family) => trainFamily(family, dataset, x, y, splits, options));
  const best = models.reduce((a, b) =>
    b.card.cv.metrics.roc_auc.mean > a.card.cv.metrics.roc_auc.mean ? b : a,
  );
  best.card.default = true;
  return { dataset, models };
}

function outOfFold(
  fit: (x: readonly number[][], y: readonly number[]) => Classifier,
  x: readonly number[][],
  y: readonly number[],
  splits: number[][][],
): { foldLabels: number[][]; foldScores: number[][] } {
  const foldLabels: number[][] = [];
  const foldScores: number[][] = [];
  for (const repeat of splits) {
    for (const test of repeat) {
      const inTest = new Set(test);
      const train = x.map((_, i) => i).filter((i) => !inTest.has(i));
      const model = fit(
        train.map((i) => x[i]),
        train.map((i) => y[i]),
      );
      foldScores.push(model.predictProba(test.map((i) => x[i])));
      foldLabels.push(test.map((i) => y[i]));
    }
  }
  return { foldLabels, foldScores };
}

/** The grid's C with the best mean ROC-AUC over `splits` of (x, y); ties go to the smaller C, the simpler model. */
function pickLogisticC(
  x: readonly number[][],
  y: readonly number[],
  splits: number[][][],
  grid: readonly number[],
): number {
  let best = grid[0];
  let bestAuc = -Infinity;
  for (const c of grid) {
    const { foldLabels, foldScores } = outOfFold(
      (xs, ys) => LogisticRegressionModel.fit(xs, ys, { c }),
      x,
      y,
      splits,
    );
    const auc = meanStd(foldLabels.map((l, i) => rocAuc(l, foldScores[i]))).mean;
    if (auc > bestAuc + 1e-12) {
      best = c;
      bestAuc = auc;
    }
  }
  return best;
}

function trainFamily(
  family: Family,
  dataset: SurveyDataset,
  x: number[][],
  y: number[],
  splits: number[][][],
  options: TrainOptions,
): TrainedModel {
  const { foldLabels, foldScores: classifierScores } = outOfFold(family.fit, x, y, splits);
  // From here on the out-of-fold predictions are those of the served model: calibrated if a calibrator is kept.
  const choice = chooseCalibrator(
    foldLabels,
    classifierScores,
    options.folds,
    family.plattInput,
    options.calibrationEceLimit,
    family.calibration.eligible,
    family.calibration.ineligibleBecause,
  );
  const foldScores = choice.foldScores;
  const pooledLabels = foldLabels.flat();
  const pooledScores = foldScores.flat();
  const threshold = chooseThreshold(
    pooledLabels,
    pooledScores,
    options.thresholdRule,
    options.minSpecificity,
  );
  const perFold = foldLabels.map((labels, i) => evaluate(labels, foldScores[i], threshold));
  const metricNames = Object.keys(perFold[0]) as MetricName[];
  const metrics = Object.fromEntries(
    metricNames.map((name) => {
      const { mean, std } = meanStd(perFold.map((m) => m[name]));
      return [name, { mean: round(mean), std: round(std) }];
    }),
  ) as ModelCard['cv']['metrics'];
  // The constant predictor is fitted like the models: it predicts its training fold's prevalence.
  const positives = y.reduce((a, b) => a + b, 0);
  const baselineBrier = meanStd(
    foldLabels.map((labels) => {
      const testPositives = labels.reduce((a, b) => a + b, 0);
      const prevalence = (positives - testPositives) / (y.length - labels.length);
      return brierScore(
        labels,
        labels.map(() => prevalence),
      );
    }),
  ).mean;
  const pooled = confusionAt(pooledLabels, pooledScores, threshold);

  const classifier = family.fit(x, y);
  const { calibrator } = choice;
  const onnx = family.toOnnx(classifier, threshold, calibrator);
  const model: Classifier = calibrator
    ? { predictProba: (rows) => calibrate(calibrator, classifier.predictProba(rows)) }
    : classifier;
  const card: ModelCard = {
    name: family.name,
    version: createHash('sha256').update(onnx).digest('hex').slice(0, 12),
    family: family.family,
    created_at: new Date().toISOString(),
    default: false,
    onnx_file: `${family.name}.onnx`,
    onnx: { ...ONNX_INTERFACE },
    feature_order: [...FEATURE_ORDER],
    hyperparameters: family.hyperparameters,
    threshold: {
      value: round(threshold),
      rule: options.thresholdRule,
      min_specificity: options.minSpecificity,
      recall: round(recallOf(pooled)),
      specificity: round(specificityOf(pooled)),
    },
    cv: {
      folds: options.folds,
      repeats: options.repeats,
      seed: options.seed,
      metrics,
      baseline_brier: round(baselineBrier),
    },
    training: {
      data_file: dataset.file.split(/[\\/]/).pop() as string,
      data_sha256: dataset.sha256,
      rows_read: dataset.rowsRead,
      rows_after_dedup: dataset.rows.length,
      duplicates_removed: dataset.rowsRead - dataset.rows.length,
      positives: y.filter((v) => v === 1).length,
      negatives: y.filter((v) => v === 0).length,
    },
    calibration: {
      ...calibration(pooledLabels, pooledScores),
      calibrator: calibratorSummary(choice, options.calibrationEceLimit, family.calibration.eligible),
    },
    reference_distribution: referenceDistribution(
      dataset.rows.map((r) => r.answers),
      pooledScores.filter((p) => p >= round(threshold)).length / pooledScores.length,
    ),
    explanation:
      family.family === 'random_forest' && calibrator
        ? undefined
        : explanationBackground(
            family.family,
            onnx,
            dataset.rows.map((r) => r.answers),
          ),
  };
  return { card, onnx, model };
}

/** The card's account of chooseCalibrator: figures rounded as the rest of the card, parameters as fitted. */
function calibratorSummary(
  choice: ReturnType<typeof chooseCalibrator>,
  eceLimit: number,
  eligible: CalibrationMethod[],
): ModelCard['calibration']['calibrator'] {
  const figures = (f: { ece: number; brier: number }): { ece: number; brier: number } => ({
    ece: round(f.ece),
    brier: round(f.brier),
  });
  const { calibrator, candidates } = choice;
  let parameters: ModelCard['calibration']['calibrator']['parameters'] = null;
  if (calibrator?.method === 'platt') {
    parameters = { input: calibrator.input, a: calibrator.a, b: calibrator.b };
  } else if (calibrator?.method === 'isotonic') {
    parameters = { thresholds: calibrator.thresholds, values: calibrator.values };
  }
  return {
    method: calibrator?.method ?? 'none',
    reason: choice.reason,
    ece_limit: eceLimit,
    eligible_methods: [...eligible],
    before: figures(choice.before),
    candidates: candidates && {
      platt: figures(candidates.platt),
      isotonic: figures(candidates.isotonic),
    },
    after: calibrator && candidates ? figures(candidates[calibrator.method]) : null,
    parameters,
  };
}

/** The out-of-fold reliability curve, ECE and Brier score, rounded as the rest of the card. */
function calibration(
  labels: readonly number[],
  scores: readonly number[],
): Omit<ModelCard['calibration'], 'calibrator'> {
  const curve = reliabilityCurve(labels, scores);
  const maybe = (value: number | null): number | null => (value === null ? null : round(value));
  return {
    bins: curve.bins.map((b) => ({
      ...b,
      lower: round(b.lower),
      upper: round(b.upper),
      mean_predicted: maybe(b.mean_predicted),
      observed_rate: maybe(b.observed_rate),
    })),
    ece: round(curve.ece),
    brier: round(brierScore(labels, scores)),
  };
}

function referenceDistribution(
  rows: readonly SurveyAnswers[],
  predictedPositiveRate: number,
): ReferenceDistribution {
  const ages = rows.map((r) => r.AGE);
  const counts = new Array<number>(AGE_BIN_EDGES.length - 1).fill(0);
  for (const age of ages) {
    const bin =
      AGE_BIN_EDGES.findIndex((edge, i) => i > 0 && (age < edge || i === AGE_BIN_EDGES.length - 1)) - 1;
    counts[bin]++;
  }
  const { mean, std } = meanStd(ages);
  const byAge = new Map<number, number>();
  for (const a of ages) {
    byAge.set(a, (byAge.get(a) ?? 0) + 1);
  }
  const values = [...byAge.keys()].sort((a, b) => a - b);
  const age: NumericDistribution = {
    kind: 'histogram',
    bin_edges: AGE_BIN_EDGES,
    proportions: counts.map((c) => round(c / rows.length)),
    values,
    counts: values.map((v) => byAge.get(v)!),
    mean: round(mean),
    std: round(std),
  };
  const binary = (field: 'GENDER' | (typeof BINARY_FIELDS)[number]): BinaryDistribution => {
    const ones = rows.filter((r) => r[field] === 1).length;
    const share = ones / rows.length;
    return { kind: 'binary', proportions: [round(1 - share), round(share)], ones };
  };
  const inputs = {
    AGE: age,
    GENDER: binary('GENDER'),
    ...Object.fromEntries(BINARY_FIELDS.map((f) => [f, binary(f)])),
  } as ReferenceDistribution['inputs'];
  return { rows: rows.length, inputs, predicted_positive_rate: round(predictedPositiveRate) };
}

/**
 * The card as people read it: indented JSON, with every array of plain numbers on one line (the percentiles, the
 * trees' covers), so that a card reads as a page rather than thousands of one-number lines.
 */
export function cardJson(card: ModelCard): string {
  const json = JSON.stringify(card, null, 2).replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_, numbers: string) => `[${numbers.split(/,\s*/).join(', ')}]`,
  );
  return `${json}\n`;
}

/**
 * Writes every model and card into `outDir`. Files are first written to a temporary sibling directory and only
 * then moved in, so a failure part-way leaves `outDir` as it was.
 */
export function writeModelDirectory(outDir: string, models: readonly TrainedModel[]): string[] {
  const target = resolve(outDir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), '.model-staging-'));
  try {
    const files: string[] = [];
    for (const { card, onnx } of models) {
      writeFileSync(join(staging, card.onnx_file), onnx);
      writeFileSync(join(staging, `${card.name}.card.json`), cardJson(card));
      files.push(card.onnx_file, `${card.name}.card.json`);
    }
    mkdirSync(target, { recursive: true });
    for (const file of files) {
      renameSync(join(staging, file), join(target, file));
    }
    return files.map((f) => join(target, f));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
