import type { MetricName, ThresholdRule } from '../model-pool/model-card';

/** Binary-classification metrics on labels (0/1) and predicted probabilities of class 1. Pure functions. */

/** ROC-AUC by the rank-sum (Mann-Whitney) formula, ties counting one half. */
export function rocAuc(labels: readonly number[], scores: readonly number[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) {
      j++;
    }
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      ranks[order[k][1]] = rank;
    }
    i = j + 1;
  }
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    return NaN;
  }
  const rankSum = labels.reduce((sum, l, i) => (l === 1 ? sum + ranks[i] : sum), 0);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision (area under the precision-recall curve, step-wise, as scikit-learn computes it). */
export function averagePrecision(labels: readonly number[], scores: readonly number[]): number {
  const positives = labels.filter((l) => l === 1).length;
  if (positives === 0) {
    return NaN;
  }
  const order = scores.map((s, i) => [s, labels[i]] as const).sort((a, b) => b[0] - a[0]);
  let tp = 0;
  let fp = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; i++) {
    if (order[i][1] === 1) {
      tp++;
    } else {
      fp++;
    }
    // Tied scores form one threshold: only score the last of a run.
    if (i + 1 < order.length && order[i + 1][0] === order[i][0]) {
      continue;
    }
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return ap;
}

export function brierScore(labels: readonly number[], scores: readonly number[]): number {
  return labels.reduce((sum, l, i) => sum + (scores[i] - l) ** 2, 0) / labels.length;
}

export interface ReliabilityBin {
  /** [lower, upper) of the predicted probability; the last bin includes 1. */
  lower: number;
  upper: number;
  count: number;
  /** Null for an empty bin. */
  mean_predicted: number | null;
  observed_rate: number | null;
}

/**
 * The reliability curve on `bins` equal-width bins of the predicted probability, and the expected calibration error:
 * ECE = Σ (nᵦ / n) · |observed rateᵦ − mean predictedᵦ| over the non-empty bins.
 */
export function reliabilityCurve(
  labels: readonly number[],
  scores: readonly number[],
  bins = 10,
): { bins: ReliabilityBin[]; ece: number } {
  const sums = Array.from({ length: bins }, () => ({ count: 0, predicted: 0, observed: 0 }));
  scores.forEach((score, i) => {
    const sum = sums[Math.min(bins - 1, Math.floor(score * bins))]!;
    sum.count += 1;
    sum.predicted += score;
    sum.observed += labels[i]!;
  });
  let ece = 0;
  const curve = sums.map((sum, b) => {
    const empty = sum.count === 0;
    if (!empty) {
      ece += (sum.count / scores.length) * Math.abs(sum.observed / sum.count - sum.predicted / sum.count);
    }
    return {
      lower: b / bins,
      upper: (b + 1) / bins,
      count: sum.count,
      mean_predicted: empty ? null : sum.predicted / sum.count,
      observed_rate: empty ? null : sum.observed / sum.count,
    };
  });
  return { bins: curve, ece };
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Predicted positive when score ≥ threshold, as the service decides. */
export function confusionAt(
  labels: readonly number[],
  scores: readonly number[],
  threshold: number,
): Confusion {
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  labels.forEach((l, i) => {
    const positive = scores[i] >= threshold;
    if (l === 1) {
      c[positive ? 'tp' : 'fn']++;
    } else {
      c[positive ? 'fp' : 'tn']++;
    }
  });
  return c;
}

const safeDiv = (a: number, b: number): number => (b === 0 ? 0 : a / b);
export const recallOf = (c: Confusion): number => safeDiv(c.tp, c.tp + c.fn);
export const specificityOf = (c: Confusion): number => safeDiv(c.tn, c.tn + c.fp);
const precisionOf = (c: Confusion): number => safeDiv(c.tp, c.tp + c.fp);

export function fBeta(c: Confusion, beta: number): number {
  const p = precisionOf(c);
  const r = recallOf(c);
  return safeDiv((1 + beta * beta) * p * r, beta * beta * p + r);
}

/** Every metric the model card reports, for one evaluation set at one threshold. */
export function evaluate(
  labels: readonly number[],
  scores: readonly number[],
  threshold: number,
): Record<MetricName, number> {
  const c = confusionAt(labels, scores, threshold);
  return {
    roc_auc: rocAuc(labels, scores),
    pr_auc: averagePrecision(labels, scores),
    brier: brierScore(labels, scores),
    balanced_accuracy: (recallOf(c) + specificityOf(c)) / 2,
    recall: recallOf(c),
    specificity: specificityOf(c),
  };
}

/**
 * The decision threshold that maximises the rule's criterion over the candidate thresholds (every distinct score):
 * F2 (recall weighted four times precision: a missed cancer costs more than a false alarm), F1, or Youden's J
 * (recall + specificity − 1). Ties go to the highest threshold, the most specific choice.
 * Candidates whose specificity is below `minSpecificity` are skipped: on data with 86 % positives an unconstrained
 * F2 picks a threshold under every negative — everyone positive, the reference system's failure.
 */
export function chooseThreshold(
  labels: readonly number[],
  scores: readonly number[],
  rule: ThresholdRule,
  minSpecificity = 0,
): number {
  const criterion = (c: Confusion): number =>
    rule === 'youden' ? recallOf(c) + specificityOf(c) - 1 : fBeta(c, rule === 'f2' ? 2 : 1);
  const candidates = [...new Set(scores)].sort((a, b) => b - a);
  let best = candidates[0];
  let bestValue = -Infinity;
  for (const t of candidates) {
    const c = confusionAt(labels, scores, t);
    if (specificityOf(c) < minSpecificity) {
      continue;
    }
    const value = criterion(c);
    if (value > bestValue) {
      best = t;
      bestValue = value;
    }
  }
  return best;
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
