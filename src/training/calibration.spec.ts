import { onnx } from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { modelInput, readLinearParameters } from '../explanation/explanation.onnx';
import { engineerFeatures, FEATURE_COUNT, featureMatrix } from '../features/features';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import {
  calibrate,
  calibrationFigures,
  Calibrator,
  chooseCalibrator,
  crossCalibrate,
  fitCalibrator,
  fitIsotonic,
  fitPlatt,
  isotonicRegression,
  logit,
} from './calibration';
import { LogisticRegressionModel } from './logistic-regression';
import { reliabilityCurve } from './metrics';
import { logisticRegressionToOnnx, randomForestToOnnx } from './onnx-export';
import { seededRandom } from './random';
import { RandomForestModel } from './random-forest';
import { loadSurveyDataset } from './survey-dataset';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** n scores s and labels drawn as Bernoulli(truth(s)), from a seeded RNG. */
function synthetic(
  n: number,
  seed: number,
  score: (u: number) => number,
  truth: (s: number) => number,
): { scores: number[]; labels: number[] } {
  const random = seededRandom(seed);
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = score(random());
    scores.push(s);
    labels.push(random() < truth(s) ? 1 : 0);
  }
  return { scores, labels };
}

/** Splits pooled predictions into `folds` folds per repeat, dealt round-robin, as the trainer lists them. */
function asFolds(values: readonly number[], folds: number): number[][] {
  return Array.from({ length: folds }, (_, k) => values.filter((_, i) => i % folds === k));
}

describe(isotonicRegression.name, () => {
  it('pools adjacent violators: 1, 3, 2, 4, 3.5, 5 → 1, 2.5, 2.5, 3.75, 3.75, 5', () => {
    expect(isotonicRegression([1, 2, 3, 4, 5, 6], [1, 3, 2, 4, 3.5, 5])).toEqual([
      { lower: 1, upper: 1, weight: 1, value: 1 },
      { lower: 2, upper: 3, weight: 2, value: 2.5 },
      { lower: 4, upper: 5, weight: 2, value: 3.75 },
      { lower: 6, upper: 6, weight: 1, value: 5 },
    ]);
  });

  it('merges back as far as a violation reaches: 3, 2, 1 → one block at 2', () => {
    expect(isotonicRegression([1, 2, 3], [3, 2, 1])).toEqual([{ lower: 1, upper: 3, weight: 3, value: 2 }]);
  });

  it('weighs the labels: (1, w 1) then (0, w 3) pool to 0.25, below the next 0.5', () => {
    expect(isotonicRegression([1, 2, 3], [1, 0, 0.5], [1, 3, 1])).toEqual([
      { lower: 1, upper: 2, weight: 4, value: 0.25 },
      { lower: 3, upper: 3, weight: 1, value: 0.5 },
    ]);
  });

  it('gives tied inputs one value (their mean) and sorts unsorted inputs', () => {
    // x = 1 twice (labels 1, 0 → 0.5), x = 2 (0) violates → (1 + 0 + 0) / 3; x = 3 (1) stays.
    expect(isotonicRegression([3, 1, 2, 1], [1, 1, 0, 0])).toEqual([
      { lower: 1, upper: 2, weight: 3, value: 1 / 3 },
      { lower: 3, upper: 3, weight: 1, value: 1 },
    ]);
  });

  it('merges adjacent blocks with equal values, so the values strictly increase', () => {
    expect(isotonicRegression([1, 2, 3], [0.5, 0.5, 1]).map((b) => b.value)).toEqual([0.5, 1]);
  });
});

describe(fitIsotonic.name, () => {
  it('is a step function with its steps halfway between blocks (float32), constant outside', () => {
    const c = fitIsotonic([0.1, 0.2, 0.3, 0.6, 0.9], [0, 1, 0, 1, 1]);
    // Blocks: {0.1} → 0, {0.2, 0.3} → 0.5, {0.6, 0.9} → 1.
    expect(c).toEqual({
      method: 'isotonic',
      thresholds: [Math.fround(0.15), Math.fround(0.45)],
      values: [0, 0.5, 1],
    });
    expect(calibrate(c, [0, 0.1, 0.14, 0.16, 0.3, 0.44, 0.46, 1])).toEqual([0, 0, 0, 0.5, 0.5, 0.5, 1, 1]);
    // A step starts at its (float32) threshold, inclusive.
    expect(calibrate(c, [Math.fround(0.15), Math.fround(0.45)])).toEqual([0.5, 1]);
  });

  it('has no step when every row gets the same value', () => {
    const c = fitIsotonic([0.2, 0.4, 0.6], [1, 1, 1]);
    expect(c).toEqual({ method: 'isotonic', thresholds: [], values: [1] });
    expect(calibrate(c, [0, 0.5, 1])).toEqual([1, 1, 1]);
  });
});

describe(fitPlatt.name, () => {
  it('recovers a and b from labels drawn as sigmoid(1.7 · s − 0.6) (20 000 seeded rows, ±0.06)', () => {
    const { scores, labels } = synthetic(
      20000,
      7,
      (u) => 8 * u - 4,
      (s) => sigmoid(1.7 * s - 0.6),
    );
    const { a, b } = fitPlatt(scores, labels, false);
    expect(Math.abs(a - 1.7)).toBeLessThan(0.06);
    expect(Math.abs(b + 0.6)).toBeLessThan(0.06);
    // Platt's smoothed targets move so many rows' fit by almost nothing.
    const smoothed = fitPlatt(scores, labels);
    expect(Math.abs(smoothed.a - a)).toBeLessThan(5e-3);
    expect(Math.abs(smoothed.b - b)).toBeLessThan(5e-3);
  });

  it('finds the least log-loss: the gradient vanishes at the fit', () => {
    const { scores, labels } = synthetic(
      500,
      11,
      (u) => 6 * u - 3,
      (s) => sigmoid(0.8 * s + 0.3),
    );
    const { a, b } = fitPlatt(scores, labels, false);
    const residuals = scores.map((s, i) => sigmoid(a * s + b) - labels[i]);
    expect(Math.abs(residuals.reduce((sum, r, i) => sum + r * scores[i], 0))).toBeLessThan(1e-8);
    expect(Math.abs(residuals.reduce((sum, r) => sum + r, 0))).toBeLessThan(1e-8);
  });

  it('stays finite when the scores separate the classes (smoothed targets)', () => {
    const { a, b } = fitPlatt([-2, -1, 1, 2], [0, 0, 1, 1]);
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    expect(a).toBeGreaterThan(0);
  });
});

describe('calibrating out of fold', () => {
  // Probabilities that are already calibrated: the label is drawn with the probability itself.
  const calibrated = synthetic(
    6000,
    3,
    (u) => 0.02 + 0.96 * u,
    (p) => p,
  );
  // Over-confident log-odds: the truth is sigmoid(0.5 · logit(p) + 0.4).
  const overconfident = synthetic(
    3000,
    5,
    (u) => sigmoid(12 * u - 4),
    (p) => sigmoid(0.5 * logit(p) + 0.4),
  );

  it('leaves the ECE of already-calibrated probabilities about the same, with either method', () => {
    const folds = 5;
    const labels = asFolds(calibrated.labels, folds);
    const scores = asFolds(calibrated.scores, folds);
    const before = calibrationFigures(labels.flat(), scores.flat());
    for (const method of ['platt', 'isotonic'] as const) {
      const after = crossCalibrate(labels, scores, folds, (p, l) => fitCalibrator(method, 'logit', p, l));
      const figures = calibrationFigures(labels.flat(), after.flat());
      expect(Math.abs(figures.ece - before.ece)).toBeLessThan(0.015);
      expect(Math.abs(figures.brier - before.brier)).toBeLessThan(0.002);
    }
    const platt = fitCalibrator('platt', 'logit', calibrated.scores, calibrated.labels);
    expect(platt).toMatchObject({ method: 'platt', input: 'logit' });
    if (platt.method === 'platt') {
      expect(Math.abs(platt.a - 1)).toBeLessThan(0.1);
      expect(Math.abs(platt.b)).toBeLessThan(0.1);
    }
  });

  it('fits each test fold’s calibrator on the other folds of its repeat only', () => {
    // Two repeats of three folds; every score is unique, so a fit's inputs name the folds it saw.
    const scores = [[0.1, 0.2], [0.3, 0.4], [0.5], [0.15, 0.25], [0.35], [0.45, 0.55]];
    const labels = scores.map((fold) => fold.map((_, i) => i % 2));
    const seen: number[][] = [];
    const fit = (p: readonly number[]): Calibrator => {
      seen.push([...p]);
      return { method: 'isotonic', thresholds: [], values: [p.length] };
    };
    const out = crossCalibrate(labels, scores, 3, fit);
    expect(seen).toEqual([
      [0.3, 0.4, 0.5],
      [0.1, 0.2, 0.5],
      [0.1, 0.2, 0.3, 0.4],
      [0.35, 0.45, 0.55],
      [0.15, 0.25, 0.45, 0.55],
      [0.15, 0.25, 0.35],
    ]);
    expect(out).toEqual([[3, 3], [3, 3], [4], [3, 3], [4], [3, 3]]);
    expect(() => crossCalibrate(labels, scores, 4, fit)).toThrow(/6 folds in repeats of 4/);
  });

  it('chooses no calibrator when the ECE is within the limit, and says so', () => {
    const choice = chooseCalibrator([[0, 1]], [[0.1, 0.9]], 1, 'logit', 0.2);
    expect(choice.calibrator).toBeNull();
    expect(choice.candidates).toBeNull();
    expect(choice.reason).toBe('out-of-fold ECE 0.100 ≤ 0.2: no calibrator tried');
    expect(choice.foldScores).toEqual([[0.1, 0.9]]);
  });

  it('keeps the candidate with the lower out-of-fold Brier score when it beats the classifier', () => {
    const folds = 5;
    const labels = asFolds(overconfident.labels, folds);
    const scores = asFolds(overconfident.scores, folds);
    const choice = chooseCalibrator(labels, scores, folds, 'logit', 0.05);
    expect(choice.before.ece).toBeGreaterThan(0.05);
    const { platt, isotonic } = choice.candidates!;
    const winner = platt.brier <= isotonic.brier ? 'platt' : 'isotonic';
    expect(choice.calibrator?.method).toBe(winner);
    expect(choice.candidates![winner].brier).toBeLessThan(choice.before.brier);
    expect(calibrationFigures(labels.flat(), choice.foldScores.flat())).toEqual(choice.candidates![winner]);
    expect(choice.reason).toMatch(/^out-of-fold ECE 0\.\d{3} > 0\.05; .* kept, refitted on all 3000/);
    // The data were drawn with a = 0.5, b = 0.4 on the log-odds: the final Platt fit is near.
    const final = fitCalibrator('platt', 'logit', overconfident.scores, overconfident.labels);
    expect(final.method === 'platt' && Math.abs(final.a - 0.5) < 0.06 && Math.abs(final.b - 0.4) < 0.15).toBe(
      true,
    );
  });

  it('chooses among the eligible methods only, still reporting the others’ figures and why they were not', () => {
    const folds = 5;
    const labels = asFolds(overconfident.labels, folds);
    const scores = asFolds(overconfident.scores, folds);
    const both = chooseCalibrator(labels, scores, folds, 'logit', 0.05);
    const plattOnly = chooseCalibrator(labels, scores, folds, 'logit', 0.05, ['platt'], 'a reason');
    const isotonicOnly = chooseCalibrator(labels, scores, folds, 'logit', 0.05, ['isotonic']);
    expect(plattOnly.candidates).toEqual(both.candidates);
    expect(plattOnly.calibrator?.method).toBe('platt');
    expect(isotonicOnly.calibrator?.method).toBe('isotonic');
    expect(plattOnly.reason).toMatch(
      /^out-of-fold ECE .* Platt scaling \(out-of-fold Brier 0\.\d{4}, ECE 0\.\d{3}\) improves/,
    );
    expect(plattOnly.reason).toMatch(
      /\. Isotonic regression \(Brier 0\.\d{4}\) is not a candidate: a reason$/,
    );
    expect(() => chooseCalibrator(labels, scores, folds, 'logit', 0.05, [])).toThrow(/no eligible/);
  });

  it('keeps none when neither candidate beats the classifier’s Brier score, and says so', () => {
    const folds = 5;
    const labels = asFolds(calibrated.labels, folds);
    const scores = asFolds(calibrated.scores, folds);
    const choice = chooseCalibrator(labels, scores, folds, 'probability', 0);
    expect(choice.candidates).not.toBeNull();
    expect(
      Math.min(choice.candidates!.platt.brier, choice.candidates!.isotonic.brier),
    ).toBeGreaterThanOrEqual(choice.before.brier);
    expect(choice.calibrator).toBeNull();
    expect(choice.foldScores).toEqual(scores);
    expect(choice.reason).toMatch(/; it does not improve on the uncalibrated Brier 0\.\d{4}: not kept$/);
  });
});

describe('calibrators in the ONNX graph, run by onnxruntime, against the TypeScript calibrator (≤ 1e-6)', () => {
  const dataset = loadSurveyDataset(SURVEY_DATA).rows;
  const x = dataset.map((r) => engineerFeatures(r.answers));
  const y = dataset.map((r) => r.label);
  const matrix = featureMatrix(dataset.map((r) => r.answers));
  const lr = LogisticRegressionModel.fit(x, y, { c: 0.1 });
  const forest = RandomForestModel.fit(x, y, {
    trees: 5,
    maxFeatures: 0.5,
    maxDepth: 4,
    minSamples: 2,
    seed: 7,
  });

  /** The graph's named tensors on every training row, the calibrator's input exposed as an extra output. */
  async function run(bytes: Uint8Array, names: string[]): Promise<Float32Array[]> {
    const proto = onnx.ModelProto.decode(bytes);
    const shape = { dim: [{ dimParam: 'N' }, { dimValue: 1 }] };
    for (const name of names.filter((n) => n !== 'probabilities' && n !== 'label')) {
      proto.graph?.output?.push({
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape } },
      });
    }
    const session = await InferenceSession.create(onnx.ModelProto.encode(proto).finish());
    try {
      const out = await session.run(
        { features: new Tensor('float32', matrix, [x.length, FEATURE_COUNT]) },
        names,
      );
      return names.map((n) => out[n].data as Float32Array);
    } finally {
      await session.release();
    }
  }

  const p1 = (probabilities: Float32Array): number[] =>
    Array.from({ length: probabilities.length / 2 }, (_, i) => probabilities[2 * i + 1]);
  const maxDiff = (a: readonly number[], b: readonly number[]): number =>
    Math.max(...a.map((v, i) => Math.abs(v - b[i])));

  it('Platt on the log-odds of the logistic regression: Add(bias) → Mul(a) → Add(b) → Sigmoid', async () => {
    const calibrator: Calibrator = { method: 'platt', input: 'logit', a: 0.83, b: 0.41 };
    const bytes = logisticRegressionToOnnx(lr, 0.5, calibrator);
    const graph = onnx.ModelProto.decode(bytes).graph!;
    expect(graph.node!.map((n) => n.opType).slice(0, 7)).toEqual([
      'Sub',
      'Div',
      'MatMul',
      'Add',
      'Mul',
      'Add',
      'Sigmoid',
    ]);
    const [uncalibrated, calibratedLogit, probabilities] = await run(bytes, [
      'logit_uncalibrated',
      'logit',
      'probabilities',
    ]);
    // The explanation's reading of the graph folds the calibrator: its log-odds are the Sigmoid's input.
    const { weights, factor, offset, bias } = readLinearParameters(bytes);
    const folded = x.map((row) =>
      Array.from(modelInput(row)).reduce((sum, v, j) => sum + weights[j] * (factor[j] * v + offset[j]), bias),
    );
    expect(maxDiff(folded, Array.from(calibratedLogit))).toBeLessThanOrEqual(1e-5);
    // The TypeScript calibrator takes probabilities: sigmoid in double keeps the float32 log-odds' precision.
    const expected = calibrate(calibrator, Array.from(uncalibrated, sigmoid));
    expect(maxDiff(p1(probabilities), expected)).toBeLessThanOrEqual(1e-6);
    // And end to end, against the TypeScript model (the graph computes in float32).
    expect(maxDiff(p1(probabilities), calibrate(calibrator, lr.predictProba(x)))).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    [
      'logistic regression',
      (c: Calibrator) => logisticRegressionToOnnx(lr, 0.5, c),
      () => lr.predictProba(x),
    ],
    ['random forest', (c: Calibrator) => randomForestToOnnx(forest, 0.5, c), () => forest.predictProba(x)],
  ])('isotonic and Platt on the probability after the %s', async (_name, toOnnx, predict) => {
    const fitted = fitIsotonic(predict(), y);
    expect(fitted.thresholds.length).toBeGreaterThan(1);
    const calibrators: Calibrator[] = [
      fitted,
      { method: 'isotonic', thresholds: [], values: [0.7] },
      { method: 'platt', input: 'probability', a: 3.1, b: -0.9 },
    ];
    for (const calibrator of calibrators) {
      const [uncalibrated, probabilities, labels] = await run(toOnnx(calibrator), [
        'p_uncalibrated',
        'probabilities',
        'label',
      ]);
      const got = p1(probabilities);
      expect(maxDiff(got, calibrate(calibrator, Array.from(uncalibrated)))).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(got, calibrate(calibrator, predict()))).toBeLessThanOrEqual(1e-5);
      expect(Array.from(labels as unknown as BigInt64Array, Number)).toEqual(
        got.map((p) => (p >= 0.5 ? 1 : 0)),
      );
    }
  });

  it('refuses Platt on log-odds for a forest, which has none', () => {
    expect(() => randomForestToOnnx(forest, 0.5, { method: 'platt', input: 'logit', a: 1, b: 0 })).toThrow(
      /needs a graph with a logit/,
    );
  });

  it('calibrated in sample by isotonic regression, the forest’s ECE is 0: each block is its own observed rate', () => {
    const p = forest.predictProba(x);
    expect(reliabilityCurve(y, p).ece).toBeGreaterThan(0.01);
    expect(reliabilityCurve(y, calibrate(fitIsotonic(p, y), p)).ece).toBeLessThan(1e-12);
  });
});
