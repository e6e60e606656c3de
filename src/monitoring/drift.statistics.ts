/**
 * The statistics of drift monitoring, as pure functions: the two-sample Kolmogorov–Smirnov test between two
 * samples known by their value counts, the two-proportion z-test, Holm's step-down adjustment, the population
 * stability index and the normalised Wasserstein distance. Every test here is a two-sample test: the reference is a
 * sample too (276 training patients), not the population, and its size enters each p-value.
 */

/** A sample of numbers given as its distinct values (increasing) and how often each occurs. */
export interface ValueCounts {
  values: readonly number[];
  counts: readonly number[];
}

/** The distinct values of `sample`, increasing, with their counts. */
export function valueCounts(sample: readonly number[]): ValueCounts {
  const byValue = new Map<number, number>();
  for (const v of sample) {
    byValue.set(v, (byValue.get(v) ?? 0) + 1);
  }
  const values = [...byValue.keys()].sort((a, b) => a - b);
  return { values, counts: values.map((v) => byValue.get(v)!) };
}

const total = (counts: readonly number[]): number => counts.reduce((sum, c) => sum + c, 0);

/**
 * Walks the union of both samples' values in order, calling `visit` with each value and both empirical CDFs at it
 * (P(X ≤ value)): the CDFs are step functions that only change at these values.
 */
function walkCdfs(
  a: ValueCounts,
  b: ValueCounts,
  visit: (value: number, fa: number, fb: number) => void,
): void {
  const na = total(a.counts);
  const nb = total(b.counts);
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? a.values[i]! : Number.POSITIVE_INFINITY;
    const vb = j < b.values.length ? b.values[j]! : Number.POSITIVE_INFINITY;
    const value = Math.min(va, vb);
    if (va === value) {
      ca += a.counts[i]!;
      i += 1;
    }
    if (vb === value) {
      cb += b.counts[j]!;
      j += 1;
    }
    visit(value, ca / na, cb / nb);
  }
}

/** sup |F − G| between two empirical CDFs: reached at one of the values, where both have jumped. */
export function ksStatistic(a: ValueCounts, b: ValueCounts): number {
  let d = 0;
  walkCdfs(a, b, (_, fa, fb) => {
    d = Math.max(d, Math.abs(fa - fb));
  });
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
    if (term < 1e-300 || term < sum * 1e-17) {
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
 * Two-sample KS test, with the asymptotic p-value and Stephens' small-sample correction (Numerical Recipes,
 * `kstwo`): λ = (√nₑ + 0.12 + 0.11/√nₑ)·D with nₑ = nm/(n+m). With ties (ages in whole years) the test is
 * conservative: it flags less often than its level, never more.
 */
export function ksTest(a: ValueCounts, b: ValueCounts): TestResult {
  const n = total(a.counts);
  const m = total(b.counts);
  const statistic = ksStatistic(a, b);
  const ne = Math.sqrt((n * m) / (n + m));
  return { statistic, pValue: kolmogorovSurvival((ne + 0.12 + 0.11 / ne) * statistic) };
}

/**
 * The complementary error function with a small relative error everywhere (Numerical Recipes' Chebyshev fit,
 * `erfcc`: under 1.2e-7 relative), so that a p-value of 1e-12 is computed as such rather than as 1 − erf ≈ 0.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Two-sided P(|Z| > |z|) for a standard normal Z. */
export function normalTwoSided(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/**
 * Two-proportion z-test with the pooled variance (as Evidently uses for binary columns): `x` ones of `n` in the
 * current window against `y` of `m` in the reference. z = (x/n − y/m) / √(p̂(1 − p̂)(1/n + 1/m)), p̂ = (x + y)/(n + m).
 * The same as Pearson's chi-square test of the 2×2 table (χ² = z²). When both samples are all 0 or all 1 nothing
 * can differ: z = 0, p = 1.
 */
export function twoProportionZTest(x: number, n: number, y: number, m: number): TestResult {
  const pooled = (x + y) / (n + m);
  const variance = pooled * (1 - pooled) * (1 / n + 1 / m);
  if (!(variance > 0)) {
    return { statistic: 0, pValue: 1 };
  }
  const statistic = (x / n - y / m) / Math.sqrt(variance);
  return { statistic, pValue: normalTwoSided(statistic) };
}

/**
 * Holm's step-down adjustment of a family of p-values (same order in and out): the k-th smallest becomes
 * max over j ≤ k of min(1, (m − j + 1)·p₍ⱼ₎). Rejecting where the adjusted p-value is below α keeps the chance of
 * any false rejection in the family at most α, whatever the dependence between the tests.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    adjusted[i] = running;
  });
  return adjusted;
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
 * Shares of a sample in the bins [e₀, e₁), [e₁, e₂), …, [eₙ₋₁, eₙ] (the last closed); values outside go to the
 * nearest end bin, so every value counts.
 */
export function binShares(sample: ValueCounts, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  sample.values.forEach((v, k) => {
    let bin = 0;
    while (bin < counts.length - 1 && v >= edges[bin + 1]!) {
      bin += 1;
    }
    counts[bin]! += sample.counts[k]!;
  });
  const n = total(sample.counts);
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/**
 * Wasserstein-1 distance between two samples, ∫ |F(t) − G(t)| dt (exact: the CDFs are constant between values),
 * divided by `scale` (the reference's standard deviation, as Evidently does).
 */
export function normalisedWasserstein(a: ValueCounts, b: ValueCounts, scale: number): number {
  let sum = 0;
  let previous: { value: number; gap: number } | undefined;
  walkCdfs(a, b, (value, fa, fb) => {
    if (previous) {
      sum += previous.gap * (value - previous.value);
    }
    previous = { value, gap: Math.abs(fa - fb) };
  });
  return sum / (scale > 0 ? scale : 1);
}

/** Mean and (sample) standard deviation of a sample given by its value counts. */
export function meanStd(sample: ValueCounts): { mean: number; std: number } {
  const n = total(sample.counts);
  let sum = 0;
  sample.values.forEach((v, k) => {
    sum += v * sample.counts[k]!;
  });
  const mean = sum / n;
  let squares = 0;
  sample.values.forEach((v, k) => {
    squares += sample.counts[k]! * (v - mean) ** 2;
  });
  return { mean, std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0 };
}
