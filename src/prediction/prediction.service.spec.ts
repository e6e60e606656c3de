import { BadRequestException, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { RequestContext, requestContextStorage } from '../common/request-context';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { ModelRegistry } from '../model-pool/model-registry';
import { OnnxSessionFactory } from '../model-pool/onnx-session.factory';
import { EXAMPLE_REQUEST } from './predict-request.dto';
import { PredictionService } from './prediction.service';

describe(PredictionService.name, () => {
  const config = new AppConfig(
    validateEnv({ MODEL_DIR: join(__dirname, '../../model'), MODEL_POOL_SIZE: '1' }),
  );
  const registry = new ModelRegistry(config, new OnnxSessionFactory());
  const service = new PredictionService(registry);

  beforeAll(() => {
    Logger.overrideLogger(false);
    return registry.onModuleInit();
  });
  afterAll(() => registry.onModuleDestroy());

  it('predicts with the default model at its card threshold', async () => {
    const model = registry.defaultModel();
    const result = await service.predict(EXAMPLE_REQUEST);
    expect(result).toMatchObject({
      model: model.id,
      model_name: model.name,
      threshold: model.card.threshold.value,
      prediction: result.probability >= model.card.threshold.value ? 1 : 0,
    });
    expect(result.probabilities[1]).toBe(result.probability);
    expect(result.probabilities[0] + result.probabilities[1]).toBeCloseTo(1, 6);
  });

  it('records the model, the inference time and the stages on the current request', async () => {
    const ctx: RequestContext = { transactionId: 't-1', startNs: process.hrtime.bigint(), stages: new Map() };
    await requestContextStorage.run(ctx, () => service.predict(EXAMPLE_REQUEST, 'random_forest'));
    expect(ctx.model).toBe(registry.get('random_forest').id);
    expect(ctx.inferenceNs).toBeGreaterThan(0n);
    expect([...ctx.stages.keys()]).toEqual([
      'feature_engineering',
      'pool_acquire',
      'model_run',
      'pool_release',
    ]);
    expect(ctx.stages.get('model_run')?.totalNs).toBeLessThanOrEqual(ctx.inferenceNs ?? 0n);
  });

  it('refuses an unknown model with a 400 listing the loaded ones', async () => {
    const error = await service.predict(EXAMPLE_REQUEST, 'xgboost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as Error).message).toBe(
      'Type de modèle invalide: xgboost. Modèles disponibles : logistic_regression, random_forest',
    );
  });
});
