import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { FEATURE_COUNT } from '../features/features';
import { ModelPoolBusyException, ModelSessionPool, ModelSessionPoolOptions } from './model-session-pool';
import { OnnxSessionFactory } from './onnx-session.factory';

const MODEL_PATH = join(__dirname, '../../model/logistic_regression.onnx');
const bytes = readFileSync(MODEL_PATH);
const factory = new OnnxSessionFactory();
const silent = { warn: jest.fn(), log: jest.fn() } as unknown as Logger;

const run = async (session: InferenceSession): Promise<number> => {
  const out = await session.run({
    features: new Tensor('float32', new Float32Array(FEATURE_COUNT), [1, FEATURE_COUNT]),
  });
  return (out.probabilities.data as Float32Array)[1];
};

async function open(overrides: Partial<ModelSessionPoolOptions> = {}): Promise<ModelSessionPool> {
  return ModelSessionPool.open({
    name: 'logistic_regression',
    modelPath: MODEL_PATH,
    size: 3,
    acquireTimeoutMs: 1000,
    firstSession: await factory.create(bytes),
    createSession: () => factory.create(bytes),
    logger: silent,
    ...overrides,
  });
}

/** Holds a session until released, to make the pool busy without timing games. */
function hold(pool: ModelSessionPool): { acquired: Promise<void>; release: () => void; done: Promise<void> } {
  let release!: () => void;
  let acquired!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const acquiredP = new Promise<void>((r) => (acquired = r));
  const done = pool.use(async () => {
    acquired();
    await gate;
  });
  return { acquired: acquiredP, release, done };
}

describe(ModelSessionPool.name, () => {
  it('builds a pool of the requested size, all sessions available', async () => {
    const pool = await open();
    expect(pool.mode).toBe('pool');
    expect(pool.stats()).toEqual({
      pool_size: 3,
      available: 3,
      in_use: 0,
      pending: 0,
      total_predictions: 0,
      avg_usage_per_instance: 0,
      model_path: MODEL_PATH,
      mode: 'pool',
    });
    await pool.close();
  });

  it('lends a working session, counts one prediction per use, and takes the session back', async () => {
    const pool = await open();
    const p1 = await pool.use(run);
    expect(p1).toBeGreaterThan(0);
    expect(p1).toBeLessThan(1);
    await Promise.all([pool.use(run), pool.use(run), pool.use(run)]);
    expect(pool.stats()).toMatchObject({
      available: 3,
      in_use: 0,
      total_predictions: 4,
      avg_usage_per_instance: 4 / 3,
    });
    await pool.close();
  });

  it('takes the session back when the run fails, and does not count it', async () => {
    const pool = await open({ size: 1 });
    await expect(pool.use(() => Promise.reject(new Error('bad input')))).rejects.toThrow('bad input');
    expect(pool.stats()).toMatchObject({ available: 1, in_use: 0, total_predictions: 0 });
    await pool.close();
  });

  it('shows waiting predictions as pending and serves them when a session frees up', async () => {
    const pool = await open({ size: 1 });
    const held = hold(pool);
    await held.acquired;
    const waiting = pool.use(run);
    expect(pool.stats()).toMatchObject({ available: 0, in_use: 1, pending: 1 });
    held.release();
    await held.done;
    await expect(waiting).resolves.toEqual(expect.any(Number));
    expect(pool.stats()).toMatchObject({ pending: 0, total_predictions: 2 });
    await pool.close();
  });

  it('answers 503 with Retry-After and the pool size when no session frees up in time', async () => {
    const pool = await open({ size: 1, acquireTimeoutMs: 20 });
    const held = hold(pool);
    await held.acquired;
    const error = await pool.use(run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelPoolBusyException);
    expect((error as ModelPoolBusyException).getStatus()).toBe(503);
    expect((error as ModelPoolBusyException).retryAfterSeconds).toBe(1);
    expect((error as Error).message).toContain('pool size 1');
    held.release();
    await held.done;
    await pool.close();
  });

  it('falls back to one shared session, and says so, when the pool cannot be built', async () => {
    const logger = { warn: jest.fn(), log: jest.fn() } as unknown as Logger;
    const pool = await open({
      size: 4,
      createSession: () => Promise.reject(new Error('out of memory')),
      logger,
    });
    expect(pool.mode).toBe('single');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('falling back to a single shared session'),
    );
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('out of memory'));
    await Promise.all([pool.use(run), pool.use(run)]);
    expect(pool.stats()).toMatchObject({
      mode: 'single',
      pool_size: 1,
      available: 1,
      in_use: 0,
      total_predictions: 2,
    });
    await pool.close();
  });
});
