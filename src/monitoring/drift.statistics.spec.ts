import {
  binShares,
  erfc,
  holmAdjust,
  kolmogorovSurvival,
  ksStatistic,
  ksTest,
  meanStd,
  normalisedWasserstein,
  normalTwoSided,
  psi,
  twoProportionZTest,
  valueCounts,
} from './drift.statistics';

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const counts = valueCounts;

describe('the Kolmogorov distribution', () => {
  it.each([
    // Critical values of the Kolmogorov distribution (e.g. Smirnov's table; Numerical Recipes §14.3).
    [1.2238, 0.1],
    [1.3581, 0.05],
    [1.6276, 0.01],
  ])('P(K > %f) = %f', (lambda, p) => {
    expect(kolmogorovSurvival(lambda)).toBeCloseTo(p, 4);
  });

  it('is 1 near 0 and falls towards 0 without reaching it too early', () => {
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.963945, 5);
    // 2e^(−2·9) = 3.046e-8: the first term alone, kept to its relative precision.
    expect(kolmogorovSurvival(3) / (2 * Math.exp(-18))).toBeCloseTo(1, 6);
  });
});

describe(valueCounts.name, () => {
  it('lists the distinct values increasing, each with its count', () => {
    expect(valueCounts([3, 1, 3, 2, 3])).toEqual({ values: [1, 2, 3], counts: [1, 1, 3] });
    expect(valueCounts([])).toEqual({ values: [], counts: [] });
  });
});

describe('the two-sample KS statistic', () => {
  it('is the largest gap between two empirical CDFs (scipy.stats.ks_2samp gives 0.4 and 0.6)', () => {
    expect(ksStatistic(counts([1, 2, 3, 4, 5]), counts([3, 4, 5, 6, 7]))).toBeCloseTo(0.4, 12);
    expect(ksStatistic(counts([1, 1, 1, 2, 3]), counts([2, 2, 3, 3, 3]))).toBeCloseTo(0.6, 12);
    expect(ksStatistic(counts([4, 2, 9]), counts([9, 4, 2]))).toBe(0);
  });

  it('compares the CDFs once both have jumped at each value, as ks_2samp does with ties', () => {
    // At 1: 0.2 vs 0; at 2: 0.8 vs 1; at 3: 1 vs 1. Then at 1: 0.4 vs 0; at 2: 0.8 vs 0.6; at 3: 1 vs 1.
    expect(ksStatistic(counts([1, 2, 2, 2, 3]), counts([2, 2, 2, 2, 2]))).toBeCloseTo(0.2, 12);
    expect(ksStatistic(counts([1, 1, 2, 2, 3]), counts([2, 2, 2, 3, 3]))).toBeCloseTo(0.4, 12);
  });

  it('gives the asymptotic p-value with Stephens’ correction', () => {
    // n = m = 100, D = 0.2: nₑ = √50, λ = (√50 + 0.12 + 0.11/√50)·0.2 = 1.44135.
    const { statistic, pValue } = ksTest(counts(range(1, 100)), counts(range(21, 120)));
    expect(statistic).toBeCloseTo(0.2, 12);
    expect(pValue).toBeCloseTo(kolmogorovSurvival(1.44135), 4);
    expect(pValue).toBeCloseTo(0.0313, 3);
  });

  it('accounts for both sizes: the same gap is surer with a larger reference', () => {
    const current = counts(range(1, 100));
    const small = ksTest(current, counts(range(21, 120)));
    const large = ksTest(current, counts(range(21, 120).flatMap((v) => [v, v, v, v])));
    expect(large.statistic).toBeCloseTo(small.statistic, 12);
    expect(large.pValue).toBeLessThan(small.pValue);
  });
});

describe(erfc.name, () => {
  it.each([
    [0, 1],
    [0.5, 0.4795001222],
    [1, 0.157299207],
    [3, 2.2090497e-5],
    [5, 1.537459794e-12],
    [-1, 1.842700793],
  ])('erfc(%f) = %f to 1.2e-7 relative', (x, value) => {
    expect(Math.abs(erfc(x) / value - 1)).toBeLessThan(1.2e-7);
  });

  it('gives the normal distribution’s two-sided tails (1.959964 → 0.05, 2.575829 → 0.01)', () => {
    expect(normalTwoSided(1.959964)).toBeCloseTo(0.05, 6);
    expect(normalTwoSided(-2.575829)).toBeCloseTo(0.01, 6);
    expect(normalTwoSided(0)).toBe(1);
  });
});

describe(twoProportionZTest.name, () => {
  it('is statsmodels’ proportions_ztest (60/100 against 50/100: z = 1.421338, p = 0.155218)', () => {
    const { statistic, pValue } = twoProportionZTest(60, 100, 50, 100);
    expect(statistic).toBeCloseTo(1.421338, 5);
    expect(pValue).toBeCloseTo(0.155218, 6);
  });

  it('equals the chi-square test of the 2×2 table (scipy chi2_contingency, no correction: χ² = 2.0202)', () => {
    expect(twoProportionZTest(60, 100, 50, 100).statistic ** 2).toBeCloseTo(2.020202, 5);
  });

  it('is signed (current below the reference: negative) and symmetric in its p-value', () => {
    const below = twoProportionZTest(40, 100, 50, 100);
    expect(below.statistic).toBeCloseTo(-1.421338, 5);
    expect(below.pValue).toBeCloseTo(0.155218, 6);
  });

  it('accounts for the reference’s size: 60 % against 50 % of 276 is less sure than against 50 % of 27 600', () => {
    expect(twoProportionZTest(300, 500, 138, 276).pValue).toBeGreaterThan(
      twoProportionZTest(300, 500, 13_800, 27_600).pValue,
    );
  });

  it('finds nothing to compare when both samples are all 0 or all 1', () => {
    expect(twoProportionZTest(0, 100, 0, 50)).toEqual({ statistic: 0, pValue: 1 });
    expect(twoProportionZTest(100, 100, 50, 50)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('keeps tiny p-values (no rounding to 0): 400/500 against 138/276 gives p ≈ 1e-17', () => {
    const { pValue } = twoProportionZTest(400, 500, 138, 276);
    expect(pValue).toBeGreaterThan(0);
    expect(pValue).toBeLessThan(1e-12);
  });
});

describe(holmAdjust.name, () => {
  it('is statsmodels’ multipletests(method="holm"), in the order given', () => {
    expect(holmAdjust([0.01, 0.04, 0.03, 0.005])).toEqual(
      [0.03, 0.06, 0.06, 0.02].map((p) => expect.closeTo(p, 12)),
    );
  });

  it('never goes above 1 nor below the raw p-value, and keeps the order of the raw ones', () => {
    const raw = [0.2, 0.9, 0.001, 0.5, 0.04];
    const adjusted = holmAdjust(raw);
    adjusted.forEach((p, i) => {
      expect(p).toBeLessThanOrEqual(1);
      expect(p).toBeGreaterThanOrEqual(raw[i]!);
    });
    expect(adjusted[2]).toBeCloseTo(0.005, 12);
    expect(adjusted[1]).toBe(1);
  });
});

describe(psi.name, () => {
  it('sums (a − e)·ln(a/e) over the bins', () => {
    expect(psi([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4])).toBeCloseTo(0.228217, 6);
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
  });

  it('stays finite when a bin is empty on one side', () => {
    const value = psi([0, 1], [0.5, 0.5]);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeCloseTo(0.4999 * Math.log(0.5 / 1e-4) + (0.5 - 1) * Math.log(0.5), 6);
  });
});

describe(binShares.name, () => {
  it('counts each value in its bin, the last bin closed and outliers in the end bins', () => {
    expect(binShares(counts([0, 10, 19.9, 20, 30, 30, -5, 99]), [0, 20, 30, 40])).toEqual([
      4 / 8,
      1 / 8,
      3 / 8,
    ]);
  });
});

describe(normalisedWasserstein.name, () => {
  it('is scipy’s wasserstein_distance over the scale', () => {
    // wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5; wasserstein_distance([0, 1], [0, 2]) = 0.5.
    expect(normalisedWasserstein(counts([0, 1, 3]), counts([5, 6, 8]), 1)).toBeCloseTo(5, 12);
    expect(normalisedWasserstein(counts([0, 1]), counts([0, 2]), 2)).toBeCloseTo(0.25, 12);
    const q = range(0, 100);
    expect(normalisedWasserstein(counts(q), counts(q), 10)).toBe(0);
    expect(normalisedWasserstein(counts(q.map((v) => v + 5)), counts(q), 10)).toBeCloseTo(0.5, 12);
  });
});

describe(meanStd.name, () => {
  it('is the mean and the sample standard deviation of the counted values', () => {
    const { mean, std } = meanStd(counts([2, 4, 4, 4, 5, 5, 7, 9]));
    expect(mean).toBe(5);
    expect(std).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });
});
