import { errorFunction, quantileSorted } from 'simple-statistics';

/**
 * The statistics of drift monitoring, as pure functions: the two-sample Kolmogorov–Smirnov test, the population
 * stability index, the normalised Wasserstein distance and the chi-square goodness-of-fit test. simple-statistics
 * gives the quantiles and the error function; what it does not have (the Kolmogorov distribution, the KS statistic
 * between a sample and a distribution known by its percentiles) is written here, with textbook values in the spec.
 */

/** A cumulative distribution function, right-continuous, with its left limits and the points where it may jump. */
export interface Cdf {
  /** P(X ≤ t). */
  at(t: number): number;
  /** P(X < t). */
  before(t: number): number;
  /** Points that, with the other side's, locate the supremum of |F − G|. */
  points: readonly number[];
}

/** The empirical CDF of a sample. */
export function sampleCdf(values: readonly number[]): Cdf {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  /** Index of the first value > t (or ≥ t when `strict`). */
  const rank = (t: number, strict: boolean): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (strict ? sorted[mid]! < t : sorted[mid]! <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  return { at: (t) => rank(t, false) / n, before: (t) => rank(t, true) / n, points: sorted };
}

/**
 * The CDF of a distribution known by its percentiles q0 ≤ q1 ≤ … ≤ q100 (a model card's reference): linear between
 * two distinct percentiles, a jump where several are equal (a value many training rows share).
 */
export function percentileCdf(quantiles: readonly number[]): Cdf {
  const last = quantiles.length - 1;
  const step = 1 / last;
  const at = (t: number): number => {
    if (t < quantiles[0]!) {
      return 0;
    }
    let i = last;
    while (quantiles[i]! > t) {
      i -= 1;
    }
    return i === last ? 1 : (i + (t - quantiles[i]!) / (quantiles[i + 1]! - quantiles[i]!)) * step;
  };
  const before = (t: number): number => {
    let j = 0;
    while (j <= last && quantiles[j]! < t) {
      j += 1;
    }
    if (j > last) {
      return 1;
    }
    return j === 0 ? 0 : (j - 1 + (t - quantiles[j - 1]!) / (quantiles[j]! - quantiles[j - 1]!)) * step;
  };
  return { at, before, points: quantiles };
}

/** sup |F − G|, the Kolmogorov–Smirnov statistic, on both sides of every point where either may jump. */
export function ksStatistic(f: Cdf, g: Cdf): number {
  let d = 0;
  for (const t of [...f.points, ...g.points]) {
    d = Math.max(d, Math.abs(f.at(t) - g.at(t)), Math.abs(f.before(t) - g.before(t)));
  }
  return d;
}

/** P(K > λ) for the Kolmogorov distribution: 2 Σ (−1)^(k−1) e^(−2k²λ²). */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) {
    return 1;
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-12) {
      break;
    }
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface TestResult {
  statistic: number;
  pValue: number;
}

/**
 * Two-sample KS test of samples of sizes n and m, with the asymptotic p-value and Stephens' small-sample correction
 * (Numerical Recipes, `kstwo`): λ = (√nₑ + 0.12 + 0.11/√nₑ)·D with nₑ = nm/(n+m). Conservative for data with ties
 * (ages in whole years): it flags drift less often than it should, never more.
 */
export function ksTest(f: Cdf, n: number, g: Cdf, m: number): TestResult {
  const statistic = ksStatistic(f, g);
  const ne = Math.sqrt((n * m) / (n + m));
  return { statistic, pValue: kolmogorovSurvival((ne + 0.12 + 0.11 / ne) * statistic) };
}

/** P(χ²₁ > x): a chi-square variable with one degree of freedom is the square of a standard normal one. */
export function chiSquare1Survival(x: number): number {
  // The error function is approximate (to 1.2e-7): keep the probability within [0, 1].
  return x === Number.POSITIVE_INFINITY ? 0 : Math.min(1, Math.max(0, 1 - errorFunction(Math.sqrt(x / 2))));
}

/**
 * Chi-square goodness of fit of a 0/1 sample (`ones` of `n`) to the reference share of 1s: one degree of freedom.
 * A share the reference never saw (0 or 1) makes any contrary observation infinitely unlikely (p = 0).
 */
export function binaryChiSquare(ones: number, n: number, referenceShare: number): TestResult {
  let statistic = 0;
  for (const [observed, share] of [
    [ones, referenceShare],
    [n - ones, 1 - referenceShare],
  ] as const) {
    const expected = n * share;
    if (expected === 0) {
      statistic += observed === 0 ? 0 : Number.POSITIVE_INFINITY;
    } else {
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, pValue: chiSquare1Survival(statistic) };
}

/** Shares below this count as this in PSI, so an empty bin on either side gives a large, finite term. */
export const PSI_EPSILON = 1e-4;

/** Population stability index Σ (a − e)·ln(a / e) over the bins' shares (expected: reference, actual: current). */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let sum = 0;
  expected.forEach((e, i) => {
    const a = Math.max(actual[i] ?? 0, PSI_EPSILON);
    const ref = Math.max(e, PSI_EPSILON);
    sum += (a - ref) * Math.log(a / ref);
  });
  return sum;
}

/**
 * Shares of `values` in the bins [e₀, e₁), [e₁, e₂), …, [eₙ₋₁, eₙ] (the last closed); values outside go to the nearest
 * end bin, so every value counts.
 */
export function binShares(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    let bin = 0;
    while (bin < counts.length - 1 && v >= edges[bin + 1]!) {
      bin += 1;
    }
    counts[bin]! += 1;
  }
  return counts.map((c) => c / values.length);
}

/**
 * Wasserstein-1 distance between a sample and a distribution known by its percentiles, divided by `scale` (the
 * reference's standard deviation, as Evidently does): ∫₀¹ |Q_ref(p) − Q_cur(p)| dp, by the midpoint rule on 1000
 * steps (exact to well under 0.1 % of the scale for the data here).
 */
export function normalisedWasserstein(
  values: readonly number[],
  quantiles: readonly number[],
  scale: number,
): number {
  const sorted = [...values].sort((a, b) => a - b);
  const steps = 1000;
  let sum = 0;
  for (let k = 0; k < steps; k++) {
    const p = (k + 0.5) / steps;
    sum += Math.abs(quantileSorted(quantiles as number[], p) - quantileSorted(sorted, p));
  }
  return sum / steps / (scale > 0 ? scale : 1);
}
