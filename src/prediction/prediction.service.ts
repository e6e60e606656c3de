import { BadRequestException, Injectable } from '@nestjs/common';
import { currentRequest } from '../common/request-context';
import { featureMatrix, SurveyAnswers } from '../features/features';
import { LoadedModel, ModelRegistry } from '../model-pool/model-registry';
import { ShadowService } from '../shadow/shadow.service';
import { recordStage, timeStage } from '../profiling/stage-timer';
import { decide, Prediction } from './prediction.decision';

/**
 * Whether to explain: not at all, per answer (`?explain=true`), or per answer and per model input
 * (`?explain=features`). `required`: the client asked (a model that cannot explain is then a 400); otherwise
 * EXPLAIN_BY_DEFAULT asked, and such a model answers without an explanation.
 */
export interface ExplainRequest {
  detail: 'none' | 'answers' | 'features';
  required: boolean;
}

export const NO_EXPLANATION: ExplainRequest = { detail: 'none', required: false };

/** 400 for `?explain=` with a model whose card carries no explanation background. */
export class ExplanationUnavailableException extends BadRequestException {}

/**
 * Answers → features → a run of the model (micro-batched with the concurrent single predictions, or one run for a
 * batch) → the decision at the card's threshold. Leaves its facts on the current request for the request log: the
 * model, and the stages of the run (the queue wait, the session wait, the run itself).
 */
@Injectable()
export class PredictionService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly shadow: ShadowService,
  ) {}

  /** `modelName` picks a loaded model (default otherwise); an unknown one throws a 400 listing the loaded ones. */
  predict(answers: SurveyAnswers, modelName?: string, explain = NO_EXPLANATION): Promise<Prediction> {
    return this.registry.use(modelName, async (model) => {
      this.note(model, explain);
      const row = timeStage('feature_engineering', () => featureMatrix([answers]));
      const run = await model.batcher.predict(row);
      recordStage('batch_wait', run.waitNs);
      recordStage('pool_acquire', run.acquireNs);
      recordStage('model_run', run.runNs);
      const ctx = currentRequest();
      if (ctx) {
        ctx.batchSize = run.batchSize;
      }
      const [result] = this.explained(model, [answers], [decide(model, run.p0, run.p1)], explain);
      this.shadow.follow(model, [answers], [result]);
      return result;
    });
  }

  /** Every row from one run of the model, in order. */
  predictBatch(
    rows: readonly SurveyAnswers[],
    modelName?: string,
    explain = NO_EXPLANATION,
  ): Promise<Prediction[]> {
    return this.registry.use(modelName, async (model) => {
      this.note(model, explain);
      const features = timeStage('feature_engineering', () => featureMatrix(rows));
      const run = await model.pool.predictProba(features, rows.length);
      recordStage('pool_acquire', run.acquireNs);
      recordStage('model_run', run.runNs);
      const ctx = currentRequest();
      if (ctx) {
        ctx.batchSize = rows.length;
      }
      const decided = rows.map((_, i) =>
        decide(model, run.probabilities[2 * i], run.probabilities[2 * i + 1]),
      );
      const results = this.explained(model, rows, decided, explain);
      this.shadow.follow(model, rows, results);
      return results;
    });
  }

  /** Notes the model on the request, and refuses an explanation it cannot give before anything runs. */
  private note(model: LoadedModel, explain: ExplainRequest): void {
    const ctx = currentRequest();
    if (ctx) {
      ctx.model = model.id;
    }
    if (explain.required && !model.explain) {
      throw new ExplanationUnavailableException(
        `Model ${model.name} cannot explain its predictions: ${model.explainUnavailable}`,
      );
    }
  }

  private explained(
    model: LoadedModel,
    rows: readonly SurveyAnswers[],
    results: Prediction[],
    explain: ExplainRequest,
  ): Prediction[] {
    const explainer = model.explain;
    if (explain.detail === 'none' || !explainer) {
      return results;
    }
    return timeStage('explain', () =>
      results.map((result, i) => {
        const { features, ...perAnswer } = explainer(rows[i]);
        return {
          ...result,
          explanation: explain.detail === 'features' ? { ...perAnswer, features } : perAnswer,
        };
      }),
    );
  }
}
