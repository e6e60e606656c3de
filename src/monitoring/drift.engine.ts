import { mean, standardDeviation } from 'simple-statistics';
import type { DriftSettings } from '../config/app-config';
import { INPUT_FIELDS, InputField, SurveyAnswers } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import {
  binaryChiSquare,
  binShares,
  ksTest,
  normalisedWasserstein,
  percentileCdf,
  psi,
  sampleCdf,
} from './drift.statistics';

export type DriftLevel = 'NO' | 'POSSIBLE' | 'DRIFT';

/** One prediction of the window: the answers it was asked about and its decision. */
export interface WindowRow {
  answers: SurveyAnswers;
  prediction: 0 | 1;
  /** `<name>@<version>` of the model that answered. */
  model: string | null;
  timestamp: string;
}

interface Summary {
  /** Rows the summary was read from. */
  count: number;
  /** AGE: mean, standard deviation and shares of the card's bins. 0/1 inputs: the share of 1s. */
  mean?: number;
  std?: number;
  bin_shares?: number[];
  share_of_ones?: number;
}

export interface FeatureDrift {
  /** An input, or `prediction` for the target drift. */
  feature: InputField | 'prediction';
  kind: 'numeric' | 'binary';
  /** `ks` (two-sample Kolmogorov–Smirnov) for AGE, `chi_square` (goodness of fit) for the 0/1 inputs. */
  test: 'ks' | 'chi_square';
  statistic: number;
  p_value: number;
  psi: number;
  /** AGE only: the Wasserstein-1 distance divided by the reference's standard deviation. */
  wasserstein_normalised?: number;
  level: DriftLevel;
  reference: Summary;
  current: Summary;
  /** AGE only: the card's bin edges, which `bin_shares` follow. */
  bin_edges?: number[];
}

export interface DriftReport {
  /** `not_enough_data` below DRIFT_MIN_SAMPLES predictions: no verdict, no features. */
  status: 'ok' | 'not_enough_data';
  /** The model whose card holds the reference (the default model). */
  reference_model: string;
  window: { size: number; max_size: number; min_samples: number; from: string | null; to: string | null };
  /** True when at least `share` of the inputs are in DRIFT; null without a verdict. */
  dataset_drift: boolean | null;
  drifted_features: number;
  drift_share: number;
  thresholds: { p_value: DriftSettings['pValue']; psi: DriftSettings['psi']; share: number };
  features: FeatureDrift[];
  /** Target drift: the reference model's positive rate in the window against the out-of-fold rate of training. */
  prediction: FeatureDrift | null;
  generated_at: string;
}

const round = (value: number, digits = 6): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** The documented rule: DRIFT below the p-value threshold or from the PSI threshold on, then POSSIBLE likewise. */
export function driftLevel(pValue: number, psiValue: number, settings: DriftSettings): DriftLevel {
  if (pValue < settings.pValue.drift || psiValue >= settings.psi.drift) {
    return 'DRIFT';
  }
  if (pValue < settings.pValue.possible || psiValue >= settings.psi.possible) {
    return 'POSSIBLE';
  }
  return 'NO';
}

function binaryDrift(
  feature: InputField | 'prediction',
  ones: number,
  count: number,
  referenceShare: number,
  referenceCount: number,
  settings: DriftSettings,
): FeatureDrift {
  const share = ones / count;
  const test = binaryChiSquare(ones, count, referenceShare);
  const psiValue = psi([1 - referenceShare, referenceShare], [1 - share, share]);
  return {
    feature,
    kind: 'binary',
    test: 'chi_square',
    statistic: round(test.statistic),
    p_value: round(test.pValue),
    psi: round(psiValue),
    level: driftLevel(test.pValue, psiValue, settings),
    reference: { count: referenceCount, share_of_ones: referenceShare },
    current: { count, share_of_ones: round(share) },
  };
}

/**
 * Compares a window of predictions (newest first or not: order does not matter) with a model card's reference
 * distribution. Pure: the service and the offline `npm run drift` command read the window, this judges it.
 */
export function detectDrift(
  card: ModelCard,
  rows: readonly WindowRow[],
  settings: DriftSettings,
  now: Date = new Date(),
): DriftReport {
  const reference = card.reference_distribution;
  const times = rows.map((r) => r.timestamp).sort();
  const base = {
    reference_model: `${card.name}@${card.version}`,
    window: {
      size: rows.length,
      max_size: settings.windowSize,
      min_samples: settings.minSamples,
      from: times[0] ?? null,
      to: times[times.length - 1] ?? null,
    },
    thresholds: { p_value: settings.pValue, psi: settings.psi, share: settings.share },
    generated_at: now.toISOString(),
  };
  if (rows.length < settings.minSamples || rows.length === 0) {
    return {
      ...base,
      status: 'not_enough_data',
      dataset_drift: null,
      drifted_features: 0,
      drift_share: 0,
      features: [],
      prediction: null,
    };
  }
  const features = INPUT_FIELDS.map((field): FeatureDrift => {
    const values = rows.map((r) => r.answers[field]);
    const ref = reference.inputs[field];
    if (ref.kind === 'binary') {
      const ones = values.filter((v) => v === 1).length;
      return binaryDrift(field, ones, values.length, ref.proportions[1], reference.rows, settings);
    }
    const test = ksTest(sampleCdf(values), values.length, percentileCdf(ref.quantiles), reference.rows);
    const shares = binShares(values, ref.bin_edges);
    const psiValue = psi(ref.proportions, shares);
    return {
      feature: field,
      kind: 'numeric',
      test: 'ks',
      statistic: round(test.statistic),
      p_value: round(test.pValue),
      psi: round(psiValue),
      wasserstein_normalised: round(normalisedWasserstein(values, ref.quantiles, ref.std)),
      level: driftLevel(test.pValue, psiValue, settings),
      bin_edges: ref.bin_edges,
      reference: { count: reference.rows, mean: ref.mean, std: ref.std, bin_shares: ref.proportions },
      current: {
        count: values.length,
        mean: round(mean(values)),
        std: round(values.length > 1 ? standardDeviation(values) : 0),
        bin_shares: shares.map((s) => round(s)),
      },
    };
  });
  const drifted = features.filter((f) => f.level === 'DRIFT').length;
  const byReferenceModel = rows.filter((r) => r.model === base.reference_model);
  return {
    ...base,
    status: 'ok',
    dataset_drift: drifted / features.length >= settings.share,
    drifted_features: drifted,
    drift_share: round(drifted / features.length),
    features,
    prediction:
      byReferenceModel.length >= settings.minSamples
        ? binaryDrift(
            'prediction',
            byReferenceModel.filter((r) => r.prediction === 1).length,
            byReferenceModel.length,
            reference.predicted_positive_rate,
            reference.rows,
            settings,
          )
        : null,
  };
}
