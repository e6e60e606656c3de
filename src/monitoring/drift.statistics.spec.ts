import {
  binaryChiSquare,
  binShares,
  chiSquare1Survival,
  kolmogorovSurvival,
  ksStatistic,
  ksTest,
  normalisedWasserstein,
  percentileCdf,
  psi,
  sampleCdf,
} from './drift.statistics';

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the Kolmogorov distribution', () => {
  it.each([
    // Critical values of the Kolmogorov distribution (e.g. Smirnov's table; Numerical Recipes §14.3).
    [1.2238, 0.1],
    [1.3581, 0.05],
    [1.6276, 0.01],
  ])('P(K > %f) = %f', (lambda, p) => {
    expect(kolmogorovSurvival(lambda)).toBeCloseTo(p, 4);
  });

  it('is 1 near 0 and falls towards 0', () => {
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.963945, 5);
    expect(kolmogorovSurvival(3)).toBeLessThan(1e-7);
  });
});

describe('the KS statistic', () => {
  it('is the largest gap between two empirical CDFs (scipy.stats.ks_2samp gives 0.4 and 0.6)', () => {
    expect(ksStatistic(sampleCdf([1, 2, 3, 4, 5]), sampleCdf([3, 4, 5, 6, 7]))).toBeCloseTo(0.4, 12);
    expect(ksStatistic(sampleCdf([1, 1, 1, 2, 3]), sampleCdf([2, 2, 3, 3, 3]))).toBeCloseTo(0.6, 12);
    expect(ksStatistic(sampleCdf([4, 2, 9]), sampleCdf([9, 4, 2]))).toBe(0);
  });

  it('gives the asymptotic p-value with Stephens’ correction', () => {
    // n = m = 100, D = 0.2: nₑ = √50, λ = (√50 + 0.12 + 0.11/√50)·0.2 = 1.44135.
    const a = range(1, 100);
    const b = range(21, 120);
    const { statistic, pValue } = ksTest(sampleCdf(a), 100, sampleCdf(b), 100);
    expect(statistic).toBeCloseTo(0.2, 12);
    expect(pValue).toBeCloseTo(kolmogorovSurvival(1.44135), 4);
    expect(pValue).toBeCloseTo(0.0313, 3);
  });
});

describe(percentileCdf.name, () => {
  it('is linear between distinct percentiles', () => {
    const cdf = percentileCdf(range(0, 100));
    expect(cdf.at(37.5)).toBeCloseTo(0.375, 12);
    expect(cdf.before(37.5)).toBeCloseTo(0.375, 12);
    expect([cdf.at(-1), cdf.before(0), cdf.at(100), cdf.before(101)]).toEqual([0, 0, 1, 1]);
  });

  it('jumps at a value many percentiles share', () => {
    // 0 for the lowest 10 %, then 50 up to the 60th percentile, then linear to 100.
    const q = [
      ...new Array<number>(10).fill(0),
      ...new Array<number>(51).fill(50),
      ...range(1, 40).map((i) => 50 + i * 1.25),
    ];
    expect(q).toHaveLength(101);
    const cdf = percentileCdf(q);
    expect(cdf.before(50)).toBeCloseTo(0.1, 12);
    expect(cdf.at(50)).toBeCloseTo(0.6, 12);
    expect(cdf.at(75)).toBeCloseTo(0.8, 12);
  });

  it('matches the sample it was read from, within the percentiles’ resolution', () => {
    const ages = range(20, 90).flatMap((a) => new Array<number>(1 + (a % 3)).fill(a));
    const sorted = [...ages].sort((x, y) => x - y);
    const pct = range(0, 100).map((p) => sorted[Math.round((p / 100) * (sorted.length - 1))]!);
    expect(ksStatistic(sampleCdf(ages), percentileCdf(pct))).toBeLessThan(0.03);
    expect(ksStatistic(sampleCdf(ages.map((a) => a + 10)), percentileCdf(pct))).toBeGreaterThan(0.1);
  });
});

describe('the chi-square test of a 0/1 sample', () => {
  it.each([
    [3.841459, 0.05],
    [6.634897, 0.01],
    [0, 1],
  ])('P(χ²₁ > %f) = %f', (x, p) => {
    expect(chiSquare1Survival(x)).toBeCloseTo(p, 5);
  });

  it('compares the share of 1s with the reference (60 of 100 against 0.5: χ² = 4, p = 0.0455)', () => {
    const { statistic, pValue } = binaryChiSquare(60, 100, 0.5);
    expect(statistic).toBeCloseTo(4, 12);
    expect(pValue).toBeCloseTo(0.0455, 4);
    expect(binaryChiSquare(50, 100, 0.5)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('finds any 1 impossible when the reference never had one, and no 1 fine', () => {
    expect(binaryChiSquare(1, 100, 0)).toEqual({ statistic: Number.POSITIVE_INFINITY, pValue: 0 });
    expect(binaryChiSquare(0, 100, 0)).toEqual({ statistic: 0, pValue: 1 });
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
    expect(binShares([0, 10, 19.9, 20, 30, 30, -5, 99], [0, 20, 30, 40])).toEqual([4 / 8, 1 / 8, 3 / 8]);
  });
});

describe(normalisedWasserstein.name, () => {
  it('is the mean shift over the scale for a shifted copy, and 0 for the same values', () => {
    const q = range(0, 100);
    expect(normalisedWasserstein(q, q, 10)).toBeCloseTo(0, 6);
    expect(
      normalisedWasserstein(
        q.map((v) => v + 5),
        q,
        10,
      ),
    ).toBeCloseTo(0.5, 6);
    expect(
      normalisedWasserstein(
        q.map((v) => v - 5),
        q,
        2,
      ),
    ).toBeCloseTo(2.5, 6);
  });
});
