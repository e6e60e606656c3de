import { randomUUID } from 'node:crypto';
import type {
  LogEntry,
  LoggedExplanation,
  PerformanceMetrics,
  ShadowOutcome,
} from '../../../src/log-store/log-entry';
import type { DriftEvaluation, EvaluatedFeature } from '../../../src/log-store/drift-evaluation';
import { INPUT_FIELDS } from '../../../src/features/features';
import { EXAMPLE_REQUEST } from '../../../src/prediction/predict-request.dto';

/** The reference's example answers, under the canonical names. */
export const EXAMPLE_ANSWERS: Record<string, number> = { ...EXAMPLE_REQUEST };

export function metrics(topFunctions = 5): PerformanceMetrics {
  const stages = ['validate', 'feature_engineering', 'batch_wait', 'pool_acquire', 'model_run', 'serialise'];
  return {
    inference_time_ms: 0.42,
    latency_ms: 1.9,
    cpu_time_ms: 1.1,
    memory_mb: 142.5,
    memory_delta_mb: 0.02,
    batch_size: 1,
    function_calls: stages.length,
    top_functions: stages.slice(0, topFunctions).map((name, i) => ({
      function: name,
      file: 'src/prediction/prediction.service.ts',
      line: 40 + i,
      calls: 1,
      total_time_ms: 0.5 - i * 0.05,
      cumulative_time_ms: 0.5 - i * 0.05,
    })),
  };
}

let sequence = 0;

/** A time-ordered, unique entry id like the logging module's. */
export function entryId(): string {
  sequence += 1;
  return `${Date.now().toString(36)}-${sequence.toString(36).padStart(6, '0')}-${randomUUID().slice(0, 8)}`;
}

type EntryOverrides = Partial<Omit<LogEntry, 'data'>> & { data?: Partial<LogEntry['data']> };

/** A successful, profiled POST /predict entry unless overridden. */
export function predictionEntry(overrides: EntryOverrides = {}): LogEntry {
  const transactionId = overrides.data?.transaction_id ?? randomUUID();
  const result = { prediction: 1, probability: 0.900887, message: 'Prédiction positive', risk_level: 'high' };
  const base: LogEntry = {
    id: entryId(),
    timestamp: '2025-03-14T09:26:53.589Z',
    level: 'INFO',
    message: `[${transactionId}] API Call - POST /predict - Status: 200 - Time: 1.90ms - Input: {} - Result: {}`,
    data: {
      transaction_id: transactionId,
      method: 'POST',
      path: '/predict',
      status_code: 200,
      latency_ms: 1.9,
      execution_time_ms: 1.9,
      input_data: { ...EXAMPLE_ANSWERS },
      result,
      model: 'logistic_regression@da1e024228f7',
      performance_metrics: metrics(),
    },
  };
  return { ...base, ...overrides, data: { ...base.data, ...overrides.data } };
}

/** What an entry keeps of `?explain=true` (logistic regression, log-odds): 3 answers raising, 2 lowering. */
export function explanation(): LoggedExplanation {
  return {
    method: 'linear-exact+equal-split',
    output_scale: 'log_odds',
    base_value: -0.412,
    output: 2.203,
    raising: [
      { answer: 'SMOKING', value: 1, contribution: 1.118 },
      { answer: 'AGE', value: 65, contribution: 0.734 },
      { answer: 'COUGHING', value: 1, contribution: 0.521 },
    ],
    lowering: [
      { answer: 'ANXIETY', value: 0, contribution: -0.402 },
      { answer: 'ALLERGY', value: 0, contribution: -0.113 },
    ],
  };
}

/** The shadow model's answer (SHADOW_MODEL=random_forest), agreeing with the served one. */
export function shadow(overrides: Partial<ShadowOutcome> = {}): ShadowOutcome {
  return {
    model: 'random_forest@4c1f9a0e27d3',
    status: 'ok',
    prediction: 1,
    probability: 0.87,
    agrees: true,
    ...overrides,
  };
}

/** A successful prediction explained with `?explain=true` and followed by the shadow model. */
export function explainedEntry(overrides: EntryOverrides = {}): LogEntry {
  return predictionEntry({
    ...overrides,
    data: { explanation: explanation(), shadow: shadow(), ...overrides.data },
  });
}

/** A refused request: 422 with FastAPI's detail, not profiled. */
export function validationErrorEntry(overrides: EntryOverrides = {}): LogEntry {
  return predictionEntry({
    level: 'WARNING',
    ...overrides,
    data: {
      status_code: 422,
      input_data: { AGE: 150 },
      result: { detail: [{ type: 'less_than_equal', loc: ['body', 'AGE'], msg: 'Input should be ≤ 120' }] },
      model: null,
      performance_metrics: null,
      ...overrides.data,
    },
  });
}

/** A kept drift evaluation with AGE in DRIFT: 15 inputs and the decisions. */
export function driftEvaluation(overrides: Partial<DriftEvaluation> = {}): DriftEvaluation {
  const feature = (name: string, level: 'NO' | 'DRIFT'): EvaluatedFeature => ({
    feature: name,
    test: name === 'AGE' ? 'ks' : 'z_test',
    statistic: level === 'DRIFT' ? 0.42 : 0.5,
    p_value: level === 'DRIFT' ? 2.3e-19 : 0.6,
    p_value_adjusted: level === 'DRIFT' ? 3.45e-18 : 1,
    psi: 0.01,
    level,
    current: name === 'AGE' ? 75.1 : 0.5,
    reference: name === 'AGE' ? 62.9 : 0.5,
  });
  return {
    kind: 'drift_evaluation',
    id: 'c0ffee0123456789abcdef01',
    timestamp: '2026-12-07T10:00:30.000Z',
    period_start: '2026-12-07T10:00:00.000Z',
    reference: {
      id: 'card:logistic_regression@20594a68a1e3',
      kind: 'card',
      model: 'logistic_regression@20594a68a1e3',
    },
    status: 'ok',
    verdict: 'AGE has drifted (KS adjusted p < 1e-6); 1 of 15 inputs, below the data-set threshold of 50 %.',
    window: { size: 500, from: '2026-12-07T09:50:00.000Z', to: '2026-12-07T10:00:29.000Z' },
    dataset_drift: false,
    drifted_features: 1,
    features: INPUT_FIELDS.map((f) => feature(f, f === 'AGE' ? 'DRIFT' : 'NO')),
    prediction: { ...feature('prediction', 'NO'), current: 0.9, reference: 0.904 },
    ...overrides,
  };
}
