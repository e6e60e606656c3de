import type { InputField } from '../features/features';

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
  };
}

export type ThresholdRule = 'f2' | 'f1' | 'youden';

export type MetricName = 'roc_auc' | 'pr_auc' | 'brier' | 'balanced_accuracy' | 'recall' | 'specificity';

/** What drift monitoring compares production traffic against: the de-duplicated training inputs. */
export interface ReferenceDistribution {
  /** Training rows the distribution was read from. */
  rows: number;
  inputs: Record<InputField, NumericDistribution | BinaryDistribution>;
  /**
   * Share of the out-of-fold predictions (every repeat of the cross-validation) that are positive at the model's
   * threshold: the rate to expect of the model on data like the training data, which target drift compares with.
   */
  predicted_positive_rate: number;
}

export interface NumericDistribution {
  kind: 'histogram';
  /** n + 1 increasing edges of n bins; bins are [e_i, e_{i+1}), the last one closed. */
  bin_edges: number[];
  proportions: number[];
  /** The 101 percentiles 0, 1, …, 100 of the training ages (linear interpolation, numpy's default): their CDF. */
  quantiles: number[];
  mean: number;
  std: number;
}

export interface BinaryDistribution {
  kind: 'binary';
  /** [share of 0, share of 1]. */
  proportions: [number, number];
}
