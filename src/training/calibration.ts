import { brierScore, reliabilityCurve } from './metrics';

/**
 * Probability calibrators fitted on out-of-fold predictions, and the out-of-fold protocol that chooses one. Pure
 * functions: the ONNX form of a calibrator is src/training/onnx-export.ts's job.
 */

/**
 * Platt scaling: p' = sigmoid(a · s + b). `input` says what s is: the classifier's log-odds (`logit`, for the
 * logistic regression, whose calibrated logit is then a · logit + b) or its probability (`probability`).
 */
export interface PlattCalibrator {
  method: 'platt';
  input: 'logit' | 'probability';
  a: number;
  b: number;
}

/**
 * Isotonic regression as a non-decreasing step function of the probability: p' = values[k], k the number of
 * `thresholds` ≤ p (so `values` has one more entry than `thresholds`). The thresholds are float32 numbers, the
 * values the ONNX graph compares with, so that the graph and this function take the same step.
 */
export interface IsotonicCalibrator {
  method: 'isotonic';
  thresholds: number[];
  values: number[];
}

export type Calibrator = PlattCalibrator | IsotonicCalibrator;
export type CalibrationMethod = Calibrator['method'];

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** log(p / (1 − p)); ±Infinity at 1 and 0. */
export const logit = (p: number): number => Math.log(p) - Math.log1p(-p);

/**
 * Fits a, b of sigmoid(a · s + b) to the labels by Newton's method on the log-loss, halving the step until the loss
 * does not increase. With `priorCorrection` (the default, Platt 1999 and scikit-learn) the targets are
 * (N₊ + 1) / (N₊ + 2) for the positives and 1 / (N₋ + 2) for the negatives instead of 1 and 0, which keeps a and b
 * finite when the scores separate the classes.
 */
export function fitPlatt(
  scores: readonly number[],
  labels: readonly number[],
  priorCorrection = true,
): { a: number; b: number } {
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  const high = priorCorrection ? (positives + 1) / (positives + 2) : 1;
  const low = priorCorrection ? 1 / (negatives + 2) : 0;
  const targets = labels.map((l) => (l === 1 ? high : low));
  const loss = (a: number, b: number): number =>
    scores.reduce((sum, s, i) => {
      const z = a * s + b;
      return sum + targets[i] * softplus(-z) + (1 - targets[i]) * softplus(z);
    }, 0);
  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1));
  let current = loss(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    let [ga, gb, haa, hab, hbb] = [0, 0, 0, 0, 0];
    scores.forEach((s, i) => {
      const p = sigmoid(a * s + b);
      const w = p * (1 - p);
      ga += (p - targets[i]) * s;
      gb += p - targets[i];
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    });
    // A tiny ridge keeps the 2 × 2 solve defined when every score is the same.
    haa += 1e-12;
    hbb += 1e-12;
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (!(next <= current) && step > 1e-10) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (!(next <= current)) {
      break;
    }
    a -= step * da;
    b -= step * db;
    current = next;
    if (Math.max(Math.abs(step * da), Math.abs(step * db)) < 1e-10) {
      break;
    }
  }
  return { a, b };
}

/** One block of an isotonic fit: the inputs in [lower, upper] all get `value`, the weighted mean of their labels. */
export interface IsotonicBlock {
  lower: number;
  upper: number;
  weight: number;
  value: number;
}

/**
 * Weighted isotonic regression of y on x by pool-adjacent-violators: the non-decreasing fit minimising
 * Σ wᵢ (yᵢ − f(xᵢ))². Tied x values are pooled first (their weighted mean), so they get one value; adjacent blocks
 * with equal means are merged too, so the returned blocks, in increasing x, have strictly increasing values.
 */
export function isotonicRegression(
  x: readonly number[],
  y: readonly number[],
  weights: readonly number[] = x.map(() => 1),
): IsotonicBlock[] {
  const order = x.map((_, i) => i).sort((i, j) => x[i] - x[j] || i - j);
  const blocks: { lower: number; upper: number; weight: number; sum: number }[] = [];
  for (const i of order) {
    const last = blocks[blocks.length - 1];
    if (last !== undefined && last.upper === x[i]) {
      last.weight += weights[i];
      last.sum += weights[i] * y[i];
    } else {
      blocks.push({ lower: x[i], upper: x[i], weight: weights[i], sum: weights[i] * y[i] });
    }
    // Merge the last block into its predecessor while their means are not increasing.
    while (blocks.length >= 2) {
      const right = blocks[blocks.length - 1];
      const left = blocks[blocks.length - 2];
      if (left.sum * right.weight < right.sum * left.weight) {
        break;
      }
      left.upper = right.upper;
      left.weight += right.weight;
      left.sum += right.sum;
      blocks.pop();
    }
  }
  return blocks.map(({ lower, upper, weight, sum }) => ({ lower, upper, weight, value: sum / weight }));
}

/**
 * The isotonic step function of the labels on the probabilities: one step per block, each step placed halfway
 * between the highest probability of a block and the lowest of the next (rounded to float32).
 */
export function fitIsotonic(probabilities: readonly number[], labels: readonly number[]): IsotonicCalibrator {
  const blocks = isotonicRegression(probabilities, labels);
  return {
    method: 'isotonic',
    thresholds: blocks.slice(1).map((block, k) => Math.fround((blocks[k].upper + block.lower) / 2)),
    values: blocks.map((block) => block.value),
  };
}

/** A calibrator of the method fitted on (uncalibrated) probabilities and their labels. */
export function fitCalibrator(
  method: CalibrationMethod,
  plattInput: PlattCalibrator['input'],
  probabilities: readonly number[],
  labels: readonly number[],
): Calibrator {
  if (method === 'isotonic') {
    return fitIsotonic(probabilities, labels);
  }
  const scores = plattInput === 'logit' ? probabilities.map(logit) : probabilities;
  return { method: 'platt', input: plattInput, ...fitPlatt(scores, labels) };
}

/** The calibrated probabilities. */
export function calibrate(calibrator: Calibrator, probabilities: readonly number[]): number[] {
  if (calibrator.method === 'platt') {
    const { a, b, input } = calibrator;
    return probabilities.map((p) => sigmoid(a * (input === 'logit' ? logit(p) : p) + b));
  }
  const { thresholds, values } = calibrator;
  return probabilities.map((p) => {
    // The number of thresholds ≤ p, by binary search over the increasing thresholds.
    let lo = 0;
    let hi = thresholds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (thresholds[mid] <= p) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return values[lo];
  });
}

/**
 * Out-of-fold calibration: the folds come `foldsPerRepeat` at a time, one CV repeat after another (as the trainer
 * lists them). Each test fold is calibrated by a calibrator fitted on the out-of-fold predictions of the other folds
 * of its repeat, so no calibrated prediction comes from a calibrator that saw its row's label.
 */
export function crossCalibrate(
  foldLabels: readonly (readonly number[])[],
  foldScores: readonly (readonly number[])[],
  foldsPerRepeat: number,
  fit: (probabilities: readonly number[], labels: readonly number[]) => Calibrator,
): number[][] {
  if (foldLabels.length % foldsPerRepeat !== 0 || foldsPerRepeat < 2) {
    throw new Error(`cannot calibrate ${foldLabels.length} folds in repeats of ${foldsPerRepeat}`);
  }
  return foldScores.map((scores, k) => {
    const first = k - (k % foldsPerRepeat);
    const others = Array.from({ length: foldsPerRepeat }, (_, i) => first + i).filter((i) => i !== k);
    const calibrator = fit(
      others.flatMap((i) => foldScores[i]),
      others.flatMap((i) => foldLabels[i]),
    );
    return calibrate(calibrator, scores);
  });
}

export interface CalibrationFigures {
  ece: number;
  brier: number;
}

/** ECE (10 bins) and Brier score of pooled predictions. */
export function calibrationFigures(labels: readonly number[], scores: readonly number[]): CalibrationFigures {
  return { ece: reliabilityCurve(labels, scores).ece, brier: brierScore(labels, scores) };
}

export interface CalibratorChoice {
  /** The calibrator to build into the model, or null. */
  calibrator: Calibrator | null;
  reason: string;
  /** Out-of-fold figures of the classifier alone. */
  before: CalibrationFigures;
  /** Out-of-fold figures of each candidate (crossCalibrate), or null when the ECE did not call for one. */
  candidates: Record<CalibrationMethod, CalibrationFigures> | null;
  /** The out-of-fold predictions the served model stands for: calibrated by the kept calibrator, or as they were. */
  foldScores: number[][];
}

const METHODS: readonly CalibrationMethod[] = ['platt', 'isotonic'];
const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
const METHOD_NAMES: Record<CalibrationMethod, string> = {
  platt: 'Platt scaling',
  isotonic: 'isotonic regression',
};

/**
 * Whether and how to calibrate a classifier, from its out-of-fold predictions. Above `eceLimit`, Platt scaling and
 * isotonic regression are both evaluated out of fold (crossCalibrate); among the `eligible` methods, the one with
 * the lower pooled Brier score wins (Platt on a tie, the simpler), and is kept only if that Brier score is lower
 * than the classifier's own. The kept calibrator is refitted on every out-of-fold prediction of every repeat pooled
 * (each row once per repeat). An ineligible method is still evaluated, so that the card can say what it would
 * have given; `ineligibleBecause` says why it is not a candidate.
 */
export function chooseCalibrator(
  foldLabels: readonly (readonly number[])[],
  foldScores: readonly (readonly number[])[],
  foldsPerRepeat: number,
  plattInput: PlattCalibrator['input'],
  eceLimit: number,
  eligible: readonly CalibrationMethod[] = METHODS,
  ineligibleBecause = 'not allowed for this model',
): CalibratorChoice {
  const labels = foldLabels.flat();
  const scores = foldScores.flat();
  const before = calibrationFigures(labels, scores);
  const unchanged = foldScores.map((s) => [...s]);
  const ece = `out-of-fold ECE ${before.ece.toFixed(3)}`;
  if (!(before.ece > eceLimit)) {
    return {
      calibrator: null,
      reason: `${ece} ≤ ${eceLimit}: no calibrator tried`,
      before,
      candidates: null,
      foldScores: unchanged,
    };
  }
  if (eligible.length === 0) {
    throw new Error('chooseCalibrator: no eligible calibration method');
  }
  const calibrated = METHODS.map((method) =>
    crossCalibrate(foldLabels, foldScores, foldsPerRepeat, (p, l) => fitCalibrator(method, plattInput, p, l)),
  );
  const figures = calibrated.map((c) => calibrationFigures(labels, c.flat()));
  const candidates = Object.fromEntries(METHODS.map((m, i) => [m, figures[i]])) as Record<
    CalibrationMethod,
    CalibrationFigures
  >;
  const ranked = METHODS.map((_, i) => i)
    .filter((i) => eligible.includes(METHODS[i]))
    .sort((i, j) => figures[i].brier - figures[j].brier || i - j);
  const best = ranked[0];
  const winner = METHODS[best];
  const brier = (f: CalibrationFigures): string => f.brier.toFixed(4);
  const rivals = ranked.slice(1).map((i) => ` beat ${METHOD_NAMES[METHODS[i]]} (Brier ${brier(figures[i])})`);
  const contest =
    `${METHOD_NAMES[winner]} (out-of-fold Brier ${brier(figures[best])}, ` +
    `ECE ${figures[best].ece.toFixed(3)})${rivals.join('')}${rivals.length > 0 ? '; it' : ''}`;
  const excluded = METHODS.map((m, i) => ({ m, i }))
    .filter(({ m }) => !eligible.includes(m))
    .map(
      ({ m, i }) =>
        `. ${capitalised(METHOD_NAMES[m])} (Brier ${brier(figures[i])}) is not a candidate: ${ineligibleBecause}`,
    )
    .join('');
  if (!(figures[best].brier < before.brier)) {
    return {
      calibrator: null,
      reason:
        `${ece} > ${eceLimit}; ${contest} does not improve on the uncalibrated Brier ${brier(before)}: ` +
        `not kept${excluded}`,
      before,
      candidates,
      foldScores: unchanged,
    };
  }
  return {
    calibrator: fitCalibrator(winner, plattInput, scores, labels),
    reason:
      `${ece} > ${eceLimit}; ${contest} improves on the uncalibrated Brier ${brier(before)}: kept, ` +
      `refitted on all ${scores.length} out-of-fold predictions${excluded}`,
    before,
    candidates,
    foldScores: calibrated[best],
  };
}
