import type { InputField } from '../features/features';
import type { ExplanationBackground } from '../explanation/explanation.model';

/**
 * `<name>.card.json`, written by `npm run train` next to `<name>.onnx` and read by the model registry at start-up.
 * Field names are snake_case because the card is a published artifact read by people and other tools.
 */
export interface ModelCard {
  name: string;
  /** First 12 hex digits of the SHA-256 of the ONNX file. */
  version: string;
  family: 'logistic_regression' | 'random_forest' | 'gradient_boosting';
  /** ISO-8601 UTC; the only field that changes between two identical trainings. */
  created_at: string;
  /** Exactly one card in a model directory has it: the best family by cross-validated ROC-AUC. */
  default: boolean;
  onnx_file: string;
  onnx: { input: string; label_output: string; probabilities_output: string; opset: number };
  feature_order: string[];
  hyperparameters: Record<string, number | string | boolean>;
  threshold: {
    value: number;
    rule: ThresholdRule;
    /** Thresholds with a lower out-of-fold specificity were not candidates. */
    min_specificity: number;
    /** Out-of-fold recall and specificity at that threshold. */
    recall: number;
    specificity: number;
  };
  cv: {
    folds: number;
    repeats: number;
    seed: number;
    metrics: Record<MetricName, { mean: number; std: number }>;
    /** Mean Brier score over the same folds of a constant predictor (its training fold's prevalence). */
    baseline_brier: number;
  };
  training: {
    data_file: string;
    data_sha256: string;
    rows_read: number;
    rows_after_dedup: number;
    duplicates_removed: number;
    positives: number;
    negatives: number;
  };
  reference_distribution: ReferenceDistribution;
  /**
   * What explanations are computed against (src/explanation/explanation.model.ts); a card without it serves
   * predictions but refuses `?explain=`.
   */
  explanation?: ExplanationBackground;
  /** How far the probabilities can be trusted, from the out-of-fold predictions of every CV repeat. */
  calibration: {
    /** Reliability curve: 10 equal-width bins of the predicted probability. */
    bins: {
      lower: number;
      upper: number;
      count: number;
      mean_predicted: number | null;
      observed_rate: number | null;
    }[];
    /** Expected calibration error over those bins. */
    ece: number;
    /** Brier score of the same pooled predictions. */
    brier: number;
    /**
     * The calibrator built into the ONNX graph after the classifier, if any. When one is kept, `bins`, `ece` and
     * `brier` above, the threshold, `cv.metrics` and `predicted_positive_rate` describe the calibrated outputs.
     */
    calibrator: {
      /** `none`: the graph outputs the classifier's probability as it is. */
      method: 'platt' | 'isotonic' | 'none';
      /** Why this method, in a sentence: the ECE against the limit, the candidates' Brier scores, the verdict. */
      reason: string;
      /** A calibrator is tried when the classifier's out-of-fold ECE is above this. */
      ece_limit: number;
      /** The methods that may be chosen for this model (`reason` says why another is not). */
      eligible_methods: ('platt' | 'isotonic')[];
      /** Out-of-fold ECE and pooled Brier score of the classifier alone. */
      before: { ece: number; brier: number };
      /**
       * Out-of-fold ECE and pooled Brier score of each method, eligible or not, each test fold calibrated by a
       * calibrator fitted on the other folds of its CV repeat; null when the ECE did not call for a calibrator.
       */
      candidates: { platt: { ece: number; brier: number }; isotonic: { ece: number; brier: number } } | null;
      /** The same figures of the served, calibrated outputs (the kept method's); null when none is kept. */
      after: { ece: number; brier: number } | null;
      /**
       * What the graph applies (the graph holds these as float32), fitted on every out-of-fold prediction of every
       * repeat pooled; null for `none`. Platt: p = sigmoid(a · s + b), s the classifier's log-odds (`input`
       * `logit`) or probability. Isotonic: p = values[k], k the number of `thresholds` ≤ the classifier's
       * probability.
       */
      parameters:
        | { input: 'logit' | 'probability'; a: number; b: number }
        | { thresholds: number[]; values: number[] }
        | null;
    };
  };
}

export type ThresholdRule = 'f2' | 'f1' | 'youden';

export type MetricName = 'roc_auc' | 'pr_auc' | 'brier' | 'balanced_accuracy' | 'recall' | 'specificity';

/**
 * What drift monitoring compares production traffic against: the de-duplicated training inputs, as counts, so that
 * each test can treat them as the sample they are (two-sample tests that account for the reference's size).
 */
export interface ReferenceDistribution {
  /** Training rows the distribution was read from. */
  rows: number;
  inputs: Record<InputField, NumericDistribution | BinaryDistribution>;
  /**
   * Share of the out-of-fold predictions (every repeat of the cross-validation) that are positive at the model's
   * threshold: the rate to expect of the model on data like the training data, which target drift compares with
   * (as a sample of `rows` patients).
   */
  predicted_positive_rate: number;
}

export interface NumericDistribution {
  kind: 'histogram';
  /** n + 1 increasing edges of n bins; bins are [e_i, e_{i+1}), the last one closed. */
  bin_edges: number[];
  proportions: number[];
  /** Every distinct training age, increasing, and how many rows have it: the exact reference distribution. */
  values: number[];
  counts: number[];
  mean: number;
  std: number;
}

export interface BinaryDistribution {
  kind: 'binary';
  /** [share of 0, share of 1]. */
  proportions: [number, number];
  /** Rows answering 1. */
  ones: number;
}
