import {
  averagePrecision,
  brierScore,
  chooseThreshold,
  confusionAt,
  evaluate,
  fBeta,
  meanStd,
  reliabilityCurve,
  rocAuc,
} from './metrics';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 for all ties', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('counts the share of correctly ordered positive-negative pairs, ties as one half', () => {
    // Positives 0.8, 0.35, 0.4; negatives 0.1, 0.4. Pairs: (0.8,0.1) 1, (0.8,0.4) 1, (0.35,0.1) 1,
    // (0.35,0.4) 0, (0.4,0.1) 1, (0.4,0.4) tie ½ → 4.5 / 6.
    expect(rocAuc([1, 1, 0, 0, 1], [0.8, 0.35, 0.1, 0.4, 0.4])).toBeCloseTo(4.5 / 6, 12);
  });

  it('is undefined (NaN) with a single class', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });
});

describe('averagePrecision', () => {
  it('matches the step-wise precision-recall area computed by hand', () => {
    // Sorted: 0.9 (1), 0.8 (0), 0.7 (1), 0.1 (0): recall steps 0.5 at precision 1, then 0.5 at precision 2/3.
    expect(averagePrecision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])).toBeCloseTo(0.5 * 1 + 0.5 * (2 / 3), 12);
  });
});

describe('brierScore', () => {
  it('is the mean squared error of the probabilities', () => {
    expect(brierScore([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2, 12);
  });
});

describe('confusionAt and evaluate', () => {
  it('predicts positive at or above the threshold', () => {
    expect(confusionAt([1, 1, 0, 0], [0.5, 0.4, 0.5, 0.1], 0.5)).toEqual({ tp: 1, fn: 1, fp: 1, tn: 1 });
    const m = evaluate([1, 1, 0, 0], [0.5, 0.4, 0.5, 0.1], 0.5);
    expect(m.recall).toBe(0.5);
    expect(m.specificity).toBe(0.5);
    expect(m.balanced_accuracy).toBe(0.5);
  });

  it('computes F-beta from precision and recall', () => {
    // precision 0.5, recall 1: F1 = 2/3, F2 = 5 * 0.5 / (4 * 0.5 + 1) = 5/6.
    const c = { tp: 2, fp: 2, tn: 0, fn: 0 };
    expect(fBeta(c, 1)).toBeCloseTo(2 / 3, 12);
    expect(fBeta(c, 2)).toBeCloseTo(5 / 6, 12);
  });
});

describe('chooseThreshold', () => {
  const labels = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
  const scores = [0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.3, 0.65, 0.2];

  it('with F2 on mostly positive data, prefers recall: everything above the lowest positive', () => {
    expect(chooseThreshold(labels, scores, 'f2')).toBe(0.3);
  });

  it("with Youden's J, balances recall and specificity", () => {
    // At 0.7: recall 6/8, specificity 1 → J = 0.75, the best.
    expect(chooseThreshold(labels, scores, 'youden')).toBe(0.7);
  });

  it('skips thresholds below the specificity floor', () => {
    expect(chooseThreshold(labels, scores, 'f2', 1)).toBe(0.7);
  });
});

describe('meanStd', () => {
  it('gives the population standard deviation', () => {
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: 1 });
  });
});

describe('reliabilityCurve', () => {
  it('bins the predictions, and weighs each bin’s gap between observed and predicted into the ECE', () => {
    // Bin [0.1, 0.2): 0.1 and 0.15 predicted, one of two observed (0.5 vs 0.125); bin [0.9, 1]: 0.9, 1.0, both true.
    const { bins, ece } = reliabilityCurve([0, 1, 1, 1], [0.1, 0.15, 0.9, 1], 10);
    expect(bins).toHaveLength(10);
    expect(bins[1]).toEqual({ lower: 0.1, upper: 0.2, count: 2, mean_predicted: 0.125, observed_rate: 0.5 });
    expect(bins[9]).toEqual({ lower: 0.9, upper: 1, count: 2, mean_predicted: 0.95, observed_rate: 1 });
    expect(bins[0]).toEqual({ lower: 0, upper: 0.1, count: 0, mean_predicted: null, observed_rate: null });
    expect(ece).toBeCloseTo(0.5 * 0.375 + 0.5 * 0.05, 12);
  });

  it('is 0 for predictions that match the observed rates', () => {
    expect(reliabilityCurve([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]).ece).toBe(0);
  });
});
