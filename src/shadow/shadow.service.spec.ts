import { Logger } from '@nestjs/common';
import { RequestContext, requestContextStorage } from '../common/request-context';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { LoadedModel, ModelRegistry } from '../model-pool/model-registry';
import type { Prediction } from '../prediction/prediction.decision';
import { EXAMPLE_REQUEST } from '../prediction/predict-request.dto';
import { SHADOW_MAX_IN_FLIGHT, SHADOW_TIMEOUT_MS, ShadowService } from './shadow.service';

const served = { name: 'logistic_regression' } as LoadedModel;
const result = { prediction: 1 } as Prediction;

/** A registry whose shadow model never answers until `release` is called. */
function stalledRegistry(): { registry: ModelRegistry; release: () => void; calls: () => number } {
  let calls = 0;
  const waiting: (() => void)[] = [];
  const registry = {
    names: () => ['logistic_regression', 'random_forest'],
    use: () => {
      calls++;
      return new Promise((_, reject) => waiting.push(() => reject(new Error('released'))));
    },
  } as unknown as ModelRegistry;
  return { registry, release: () => waiting.splice(0).forEach((r) => r()), calls: () => calls };
}

const context = (): RequestContext => ({ transactionId: 't', startNs: 0n, stages: new Map() });

describe(ShadowService.name, () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => jest.useRealTimers());

  const shadowing = (registry: ModelRegistry): ShadowService =>
    new ShadowService(new AppConfig(validateEnv({ SHADOW_MODEL: 'random_forest' })), registry);

  /** What follow() leaves on a request's context, run as the request log runs it after the response. */
  const afterResponse = (service: ShadowService): Promise<RequestContext> => {
    const ctx = context();
    requestContextStorage.run(ctx, () => service.follow(served, [EXAMPLE_REQUEST], [result]));
    return ctx.afterResponse!().then(() => ctx);
  };

  it(`drops a prediction past ${SHADOW_MAX_IN_FLIGHT} shadow runs in flight instead of queueing it`, async () => {
    const { registry, release, calls } = stalledRegistry();
    const service = shadowing(registry);
    const running = Array.from({ length: SHADOW_MAX_IN_FLIGHT }, () => afterResponse(service));
    const dropped = await afterResponse(service);
    expect(dropped.shadow).toEqual([{ model: 'random_forest', status: 'dropped' }]);
    expect(calls()).toBe(SHADOW_MAX_IN_FLIGHT);
    release();
    const failed = await Promise.all(running);
    expect(failed.map((ctx) => ctx.shadow)).toEqual(
      running.map(() => [{ model: 'random_forest', status: 'failed' }]),
    );
    expect(service.stats()).toEqual({
      model: 'random_forest',
      ran: 0,
      dropped: 1,
      failed: SHADOW_MAX_IN_FLIGHT,
      disagreed: 0,
    });
    // The slots are free again.
    const next = afterResponse(service);
    release();
    expect((await next).shadow?.[0].status).toBe('failed');
    expect(calls()).toBe(SHADOW_MAX_IN_FLIGHT + 1);
  });

  it(`gives up on a run after ${SHADOW_TIMEOUT_MS} ms, so the entry is written without it`, async () => {
    jest.useFakeTimers();
    const { registry } = stalledRegistry();
    const service = shadowing(registry);
    const pending = afterResponse(service);
    await jest.advanceTimersByTimeAsync(SHADOW_TIMEOUT_MS);
    expect((await pending).shadow).toEqual([{ model: 'random_forest', status: 'failed' }]);
  });

  it('asks for nothing without SHADOW_MODEL, or when the shadow model served the prediction', () => {
    const { registry } = stalledRegistry();
    const none = new ShadowService(new AppConfig(validateEnv({})), registry);
    const ctx = context();
    requestContextStorage.run(ctx, () => {
      none.follow(served, [EXAMPLE_REQUEST], [result]);
      shadowing(registry).follow({ name: 'random_forest' } as LoadedModel, [EXAMPLE_REQUEST], [result]);
    });
    expect(ctx.afterResponse).toBeUndefined();
  });

  it('stops start-up when SHADOW_MODEL names no loaded model', () => {
    const { registry } = stalledRegistry();
    const service = new ShadowService(new AppConfig(validateEnv({ SHADOW_MODEL: 'xgboost' })), registry);
    expect(() => service.onModuleInit()).toThrow(
      'SHADOW_MODEL=xgboost names no loaded model (loaded: logistic_regression, random_forest)',
    );
  });
});
