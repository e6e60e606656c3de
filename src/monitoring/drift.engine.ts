import type { DriftSettings } from '../config/app-config';
import { INPUT_FIELDS, type InputField } from '../features/features';
import { BINARY_INPUTS, type DriftReference } from './drift.reference';
import {
  binShares,
  holmAdjust,
  ksTest,
  meanStd,
  normalisedWasserstein,
  psi,
  twoProportionZTest,
  valueCounts,
} from './drift.statistics';
import type { WindowRow } from './drift.window';

export type DriftLevel = 'NO' | 'POSSIBLE' | 'DRIFT';

interface Summary {
  /** Rows the summary was read from. */
  count: number;
  /** AGE: mean, standard deviation and shares of the reference's bins. 0/1 inputs: the share of 1s. */
  mean?: number;
  std?: number;
  bin_shares?: number[];
  share_of_ones?: number;
}

export interface FeatureDrift {
  /** An input, or `prediction` for the share of positive decisions. */
  feature: InputField | 'prediction';
  kind: 'numeric' | 'binary';
  /** `ks`: two-sample Kolmogorov–Smirnov (AGE); `z_test`: two-proportion z-test (0/1 inputs, decisions). */
  test: 'ks' | 'z_test';
  /** KS: the largest gap D between the two CDFs; z-test: z (current share above the reference's: positive). */
  statistic: number;
  /** The test's own p-value, unrounded. */
  p_value: number;
  /**
   * What sets the level: Holm's adjustment over the 15 inputs (so that on calm traffic all 15 together are flagged
   * in at most DRIFT_P_VALUE of windows); for the decisions, one test, the p-value itself.
   */
  p_value_adjusted: number;
  /** The size of the shift on the reference's bins (AGE) or shares; reported, never a level by itself. */
  psi: number;
  /** AGE only: the Wasserstein-1 distance divided by the reference's standard deviation. */
  wasserstein_normalised?: number;
  level: DriftLevel;
  reference: Summary;
  current: Summary;
  /** AGE only: the bin edges `bin_shares` follow. */
  bin_edges?: number[];
}

export interface DriftReport {
  /** `not_enough_data` below DRIFT_MIN_SAMPLES predictions: no verdict, no features. */
  status: 'ok' | 'not_enough_data';
  /** One sentence that says what the numbers say; the pages and `npm run drift` print it as it is. */
  verdict: string;
  reference: Pick<DriftReference, 'id' | 'kind' | 'model' | 'rows' | 'window'>;
  window: { size: number; max_size: number; min_samples: number; from: string | null; to: string | null };
  /** True when at least `share` of the inputs are in DRIFT; null without a verdict. */
  dataset_drift: boolean | null;
  drifted_features: number;
  drift_share: number;
  thresholds: { p_value: DriftSettings['pValue']; share: number; correction: 'holm' };
  features: FeatureDrift[];
  /** Prediction drift: the reference model's share of positive decisions in the window against the reference's. */
  prediction: FeatureDrift | null;
  generated_at: string;
}

/** DRIFT below the DRIFT_P_VALUE threshold, POSSIBLE below DRIFT_P_VALUE_POSSIBLE (a warning), NO otherwise. */
export function driftLevel(pValue: number, settings: DriftSettings): DriftLevel {
  if (pValue < settings.pValue.drift) {
    return 'DRIFT';
  }
  return pValue < settings.pValue.possible ? 'POSSIBLE' : 'NO';
}

function binaryDrift(
  feature: InputField | 'prediction',
  ones: number,
  count: number,
  referenceOnes: number,
  referenceCount: number,
): Omit<FeatureDrift, 'p_value_adjusted' | 'level'> {
  const share = ones / count;
  const referenceShare = referenceOnes / referenceCount;
  const test = twoProportionZTest(ones, count, referenceOnes, referenceCount);
  return {
    feature,
    kind: 'binary',
    test: 'z_test',
    statistic: test.statistic,
    p_value: test.pValue,
    psi: psi([1 - referenceShare, referenceShare], [1 - share, share]),
    reference: { count: referenceCount, share_of_ones: referenceShare },
    current: { count, share_of_ones: share },
  };
}

function ageDrift(
  rows: readonly WindowRow[],
  reference: DriftReference,
): Omit<FeatureDrift, 'p_value_adjusted' | 'level'> {
  const current = valueCounts(rows.map((r) => r.answers.AGE));
  const test = ksTest(current, reference.age);
  const referenceShares = binShares(reference.age, reference.age.bin_edges);
  const currentShares = binShares(current, reference.age.bin_edges);
  const ref = meanStd(reference.age);
  const cur = meanStd(current);
  return {
    feature: 'AGE',
    kind: 'numeric',
    test: 'ks',
    statistic: test.statistic,
    p_value: test.pValue,
    psi: psi(referenceShares, currentShares),
    wasserstein_normalised: normalisedWasserstein(current, reference.age, ref.std),
    bin_edges: reference.age.bin_edges,
    reference: { count: reference.rows, mean: ref.mean, std: ref.std, bin_shares: referenceShares },
    current: { count: rows.length, mean: cur.mean, std: cur.std, bin_shares: currentShares },
  };
}

/** A p-value as people read it: two significant digits, and "< 1e-6" below that. */
export function formatP(p: number): string {
  if (p < 1e-6) {
    return 'p < 1e-6';
  }
  if (p < 0.001) {
    return `p = ${p.toExponential(1)}`;
  }
  return `p = ${Number(p.toPrecision(2))}`;
}

const TEST_NAMES = { ks: 'KS', z_test: 'z-test' } as const;
const percent = (share: number): string => `${Math.round(share * 1000) / 10} %`;

function list(names: readonly string[]): string {
  return names.length <= 1
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The report's one sentence: what drifted, how sure (the adjusted p-value that set each level), what it means. */
export function driftVerdict(report: Omit<DriftReport, 'verdict'>): string {
  if (report.status !== 'ok') {
    return `Not enough data: ${report.window.size} predictions in the window, ${report.window.min_samples} needed.`;
  }
  const inputs = report.features.length;
  const drifted = report.features.filter((f) => f.level === 'DRIFT');
  const threshold = percent(report.thresholds.share);
  let sentence: string;
  if (drifted.length === 0) {
    const closest = [...report.features].sort((a, b) => a.p_value_adjusted - b.p_value_adjusted)[0];
    sentence =
      `No input has drifted: 0 of ${inputs}` +
      (closest ? ` (closest: ${closest.feature}, adjusted ${formatP(closest.p_value_adjusted)})` : '') +
      '.';
  } else {
    const evidence = (f: FeatureDrift): string =>
      `${TEST_NAMES[f.test]} adjusted ${formatP(f.p_value_adjusted)}`;
    const strongest = [...drifted].sort((a, b) => a.p_value_adjusted - b.p_value_adjusted);
    const named =
      drifted.length === 1
        ? `${drifted[0]!.feature} has drifted (${evidence(drifted[0]!)})`
        : `${list([
            ...strongest.slice(0, 3).map((f) => `${f.feature} (${evidence(f)})`),
            ...(drifted.length > 3 ? [`${drifted.length - 3} more`] : []),
          ])} have drifted`;
    sentence =
      `${named}; ${drifted.length} of ${inputs} inputs, ` +
      (report.dataset_drift
        ? `at or above the data-set threshold of ${threshold}: the data set has drifted.`
        : `below the data-set threshold of ${threshold}.`);
  }
  const prediction = report.prediction;
  if (prediction) {
    const shares = `${percent(prediction.current.share_of_ones ?? 0)} positive against ${percent(prediction.reference.share_of_ones ?? 0)}`;
    sentence +=
      prediction.level === 'DRIFT'
        ? ` Predictions have drifted: ${shares} (${TEST_NAMES[prediction.test]} ${formatP(prediction.p_value)}).`
        : ` Predictions steady: ${shares} (${formatP(prediction.p_value)}).`;
  }
  return sentence;
}

/**
 * Compares a window of predictions (in any order) with a reference. Each input gets its own two-sample test; the 15
 * p-values are adjusted together (Holm) and the adjusted value sets the level. Pure: the service, its scheduled
 * evaluation and `npm run drift` read the window, this judges it.
 */
export function detectDrift(
  reference: DriftReference,
  rows: readonly WindowRow[],
  settings: DriftSettings,
  now: Date = new Date(),
): DriftReport {
  const times = rows.map((r) => r.timestamp).sort();
  const base = {
    reference: {
      id: reference.id,
      kind: reference.kind,
      model: reference.model,
      rows: reference.rows,
      ...(reference.window ? { window: reference.window } : {}),
    },
    window: {
      size: rows.length,
      max_size: settings.windowSize,
      min_samples: settings.minSamples,
      from: times[0] ?? null,
      to: times[times.length - 1] ?? null,
    },
    thresholds: { p_value: settings.pValue, share: settings.share, correction: 'holm' as const },
    generated_at: now.toISOString(),
  };
  if (rows.length === 0 || rows.length < settings.minSamples) {
    const report = {
      ...base,
      status: 'not_enough_data' as const,
      dataset_drift: null,
      drifted_features: 0,
      drift_share: 0,
      features: [],
      prediction: null,
    };
    return { ...report, verdict: driftVerdict(report) };
  }
  const tested = [
    ageDrift(rows, reference),
    ...BINARY_INPUTS.map((field) =>
      binaryDrift(
        field,
        rows.filter((r) => r.answers[field] === 1).length,
        rows.length,
        reference.ones[field],
        reference.rows,
      ),
    ),
  ];
  const adjusted = holmAdjust(tested.map((t) => t.p_value));
  const features: FeatureDrift[] = tested.map((t, i) => ({
    ...t,
    p_value_adjusted: adjusted[i]!,
    level: driftLevel(adjusted[i]!, settings),
  }));
  // Keep the inputs in the service's order (INPUT_FIELDS), whatever order they were tested in.
  features.sort(
    (a, b) => INPUT_FIELDS.indexOf(a.feature as InputField) - INPUT_FIELDS.indexOf(b.feature as InputField),
  );
  const drifted = features.filter((f) => f.level === 'DRIFT').length;
  const byModel = rows.filter((r) => r.model === reference.model);
  const expected = reference.predictions;
  let prediction: FeatureDrift | null = null;
  if (expected && byModel.length >= settings.minSamples) {
    const tested = binaryDrift(
      'prediction',
      byModel.filter((r) => r.prediction === 1).length,
      byModel.length,
      expected.positive_rate * expected.rows,
      expected.rows,
    );
    prediction = { ...tested, p_value_adjusted: tested.p_value, level: driftLevel(tested.p_value, settings) };
  }
  const report = {
    ...base,
    status: 'ok' as const,
    dataset_drift: drifted / features.length >= settings.share,
    drifted_features: drifted,
    drift_share: drifted / features.length,
    features,
    prediction,
  };
  return { ...report, verdict: driftVerdict(report) };
}
