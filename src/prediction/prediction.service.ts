import { Injectable } from '@nestjs/common';
import { Tensor } from 'onnxruntime-node';
import { currentRequest } from '../common/request-context';
import { FEATURE_COUNT, featureMatrix, SurveyAnswers } from '../features/features';
import { ModelRegistry } from '../model-pool/model-registry';
import { timeStage } from '../profiling/stage-timer';
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

/**
 * Answers → features → a pooled ONNX session → the decision at the card's threshold. Records the model and the
 * stage timings on the current request for the request log.
 */
@Injectable()
export class PredictionService {
  constructor(private readonly registry: ModelRegistry) {}

  /** `modelName` picks a loaded model (default otherwise); an unknown one throws a 400 listing the loaded ones. */
  async predict(answers: SurveyAnswers, modelName?: string): Promise<Prediction> {
    const model = this.registry.get(modelName);
    const ctx = currentRequest();
    if (ctx) {
      ctx.model = model.id;
    }
    const { input, probabilities_output: output } = model.card.onnx;
    const features = timeStage('feature_engineering', () => featureMatrix([answers]));
    const [p0, p1] = await model.pool.use(async (session) => {
      const feeds = { [input]: new Tensor('float32', features, [1, FEATURE_COUNT]) };
      const start = process.hrtime.bigint();
      const result = await timeStage('model_run', () => session.run(feeds, [output]));
      if (ctx) {
        ctx.inferenceNs = (ctx.inferenceNs ?? 0n) + (process.hrtime.bigint() - start);
      }
      const data = result[output].data as Float32Array;
      return [roundProbability(data[0]), roundProbability(data[1])];
    });
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
}

/** Six decimals, as the reference answered: a float32 carries no more, and the decision uses what is shown. */
function roundProbability(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}
