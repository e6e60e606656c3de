import { Injectable } from '@nestjs/common';
import { currentRequest } from '../common/request-context';
import { featureMatrix, SurveyAnswers } from '../features/features';
import { LoadedModel, ModelRegistry } from '../model-pool/model-registry';
import { recordStage, timeStage } from '../profiling/stage-timer';
import { RiskLevel, riskLevel } from './risk-level';

export interface Prediction {
  /** 1 when `probability` ≥ `threshold`. */
  prediction: 0 | 1;
  /** Probability of the positive class (p1). */
  probability: number;
  probabilities: [number, number];
  /** The model card's decision threshold. */
  threshold: number;
  risk_level: RiskLevel;
  /** `<name>@<version>`. */
  model: string;
  model_name: string;
}

/** Six decimals, as the reference answered: a float32 carries no more, and the decision uses what is shown. */
function roundProbability(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}

/** The answer for one row's probabilities, decided at the card's threshold. */
function decide(model: LoadedModel, rawP0: number, rawP1: number): Prediction {
  const p0 = roundProbability(rawP0);
  const p1 = roundProbability(rawP1);
  const threshold = model.card.threshold.value;
  return {
    prediction: p1 >= threshold ? 1 : 0,
    probability: p1,
    probabilities: [p0, p1],
    threshold,
    risk_level: riskLevel(p1),
    model: model.id,
    model_name: model.name,
  };
}

/**
 * Answers → features → a run of the model (micro-batched with the concurrent single predictions, or one run for a
 * batch) → the decision at the card's threshold. Leaves its facts on the current request for the request log: the
 * model, and the stages of the run (the queue wait, the session wait, the run itself).
 */
@Injectable()
export class PredictionService {
  constructor(private readonly registry: ModelRegistry) {}

  /** `modelName` picks a loaded model (default otherwise); an unknown one throws a 400 listing the loaded ones. */
  async predict(answers: SurveyAnswers, modelName?: string): Promise<Prediction> {
    const model = this.modelFor(modelName);
    const row = timeStage('feature_engineering', () => featureMatrix([answers]));
    const run = await model.batcher.predict(row);
    recordStage('batch_wait', run.waitNs);
    recordStage('pool_acquire', run.acquireNs);
    recordStage('model_run', run.runNs);
    const ctx = currentRequest();
    if (ctx) {
      ctx.batchSize = run.batchSize;
    }
    return decide(model, run.p0, run.p1);
  }

  /** Every row from one run of the model, in order. */
  async predictBatch(rows: readonly SurveyAnswers[], modelName?: string): Promise<Prediction[]> {
    const model = this.modelFor(modelName);
    const features = timeStage('feature_engineering', () => featureMatrix(rows));
    const run = await model.pool.predictProba(features, rows.length);
    recordStage('pool_acquire', run.acquireNs);
    recordStage('model_run', run.runNs);
    const ctx = currentRequest();
    if (ctx) {
      ctx.batchSize = rows.length;
    }
    return rows.map((_, i) => decide(model, run.probabilities[2 * i], run.probabilities[2 * i + 1]));
  }

  private modelFor(modelName?: string): LoadedModel {
    const model = this.registry.get(modelName);
    const ctx = currentRequest();
    if (ctx) {
      ctx.model = model.id;
    }
    return model;
  }
}
