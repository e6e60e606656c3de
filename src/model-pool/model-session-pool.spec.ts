import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { FEATURE_COUNT, featureMatrix, INPUT_FIELDS, type SurveyAnswers } from '../features/features';
import { ModelPoolBusyException, ModelSessionPool, ModelSessionPoolOptions } from './model-session-pool';
import { OnnxSessionFactory } from './onnx-session.factory';

const MODEL_PATH = join(__dirname, '../../model/logistic_regression.onnx');
const bytes = readFileSync(MODEL_PATH);
const factory = new OnnxSessionFactory();

const answers = (overrides: Partial<SurveyAnswers>): SurveyAnswers => ({
  ...(Object.fromEntries(INPUT_FIELDS.map((f) => [f, 0])) as SurveyAnswers),
  AGE: 50,
  ...overrides,
});
const ROWS = [
  answers({}),
  answers({ SMOKING: 1, COUGHING: 1, AGE: 70 }),
  answers({ GENDER: 1, 'CHEST PAIN': 1 }),
];

async function open(overrides: Partial<ModelSessionPoolOptions> = {}): Promise<ModelSessionPool> {
  return ModelSessionPool.open({
    name: 'logistic_regression',
    modelPath: MODEL_PATH,
    size: 3,
    acquireTimeoutMs: 1000,
    input: 'features',
    output: 'probabilities',
    firstSession: await factory.create(bytes),
    createSession: () => factory.create(bytes),
    ...overrides,
  });
}

/** p1 of one row, from a run of its own. */
const p1Of = async (pool: ModelSessionPool, row: SurveyAnswers): Promise<number> =>
  (await pool.predictProba(featureMatrix([row]), 1)).probabilities[1];

/** Whether a session was released: onnxruntime refuses to run a disposed session. */
const released = (session: InferenceSession): Promise<boolean> =>
  session.run({ features: new Tensor('float32', new Float32Array(FEATURE_COUNT), [1, FEATURE_COUNT]) }).then(
    () => false,
    (error: Error) => error.message === 'Session already disposed.',
  );

/**
 * A real session whose runs wait for `open()`: it makes the pool busy without timing games, and records that it
 * was lent.
 */
function gated(
  session: InferenceSession,
  lent: InferenceSession[] = [],
): { session: InferenceSession; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const wrapper = new Proxy(session, {
    get(target, key, receiver) {
      if (key === 'run') {
        return async (...args: Parameters<InferenceSession['run']>) => {
          lent.push(wrapper);
          await gate;
          return target.run(...args);
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { session: wrapper, open };
}

describe(ModelSessionPool.name, () => {
  it('builds a pool of the requested size, all sessions available', async () => {
    const pool = await open();
    expect(pool.size).toBe(3);
    expect(pool.stats()).toEqual({
      pool_size: 3,
      available: 3,
      in_use: 0,
      pending: 0,
      total_predictions: 0,
      avg_usage_per_instance: 0,
      model_path: MODEL_PATH,
    });
    await pool.close();
  });

  it('lends the first session and size - 1 new ones', async () => {
    const lent: InferenceSession[] = [];
    const first = gated(await factory.create(bytes), lent);
    const others = [gated(await factory.create(bytes), lent), gated(await factory.create(bytes), lent)];
    const queue = others.map((o) => o.session);
    const pool = await open({
      size: 3,
      firstSession: first.session,
      createSession: async () => queue.shift()!,
    });
    const runs = [0, 1, 2].map(() => pool.predictProba(featureMatrix([ROWS[0]]), 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(new Set(lent)).toEqual(new Set([first.session, ...others.map((o) => o.session)]));
    [first, ...others].forEach((g) => g.open());
    await Promise.all(runs);
    await pool.close();
  });

  it('releases every session when closed', async () => {
    const sessions = [await factory.create(bytes), await factory.create(bytes)];
    const pool = await open({ size: 2, firstSession: sessions[0], createSession: async () => sessions[1] });
    await pool.close();
    await expect(Promise.all(sessions.map(released))).resolves.toEqual([true, true]);
  });

  it('refuses to open when a session cannot be created, releasing those it made', async () => {
    const made: InferenceSession[] = [];
    let calls = 0;
    const first = await factory.create(bytes);
    const opening = open({
      size: 3,
      firstSession: first,
      createSession: async () => {
        calls += 1;
        if (calls > 1) {
          throw new Error('out of memory');
        }
        const session = await factory.create(bytes);
        made.push(session);
        return session;
      },
    });
    await expect(opening).rejects.toThrow('out of memory');
    await expect(released(made[0]!)).resolves.toBe(true);
    await first.release();
  });

  it('predicts n rows in one run, each as a run of its own would, and counts n predictions', async () => {
    const pool = await open();
    const alone = [];
    for (const row of ROWS) {
      alone.push(await p1Of(pool, row));
    }
    const together = await pool.predictProba(featureMatrix(ROWS), ROWS.length);
    expect(together.probabilities).toHaveLength(2 * ROWS.length);
    expect([1, 3, 5].map((i) => together.probabilities[i])).toEqual(alone);
    expect(together.probabilities[0] + together.probabilities[1]).toBeCloseTo(1, 6);
    expect(together.runNs).toBeGreaterThan(0n);
    expect(pool.stats()).toMatchObject({ total_predictions: 6, available: 3, in_use: 0 });
    await pool.close();
  });

  it('takes the session back when the run fails, and counts nothing', async () => {
    const pool = await open({ size: 1 });
    await expect(pool.predictProba(new Float32Array(FEATURE_COUNT - 1), 1)).rejects.toThrow();
    expect(pool.stats()).toMatchObject({ available: 1, in_use: 0, total_predictions: 0 });
    await expect(p1Of(pool, ROWS[1])).resolves.toEqual(expect.any(Number));
    await pool.close();
  });

  it('shows waiting predictions as pending and serves them when a session frees up', async () => {
    const only = gated(await factory.create(bytes));
    const pool = await open({ size: 1, firstSession: only.session });
    const running = p1Of(pool, ROWS[0]);
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = p1Of(pool, ROWS[1]);
    expect(pool.stats()).toMatchObject({ available: 0, in_use: 1, pending: 1 });
    only.open();
    await expect(Promise.all([running, waiting])).resolves.toEqual([expect.any(Number), expect.any(Number)]);
    expect(pool.stats()).toMatchObject({ pending: 0, total_predictions: 2 });
    await pool.close();
  });

  it.each([
    [20, 1],
    [1001, 2],
  ])(
    'answers 503 with Retry-After when no session frees up within %i ms (Retry-After %i s)',
    async (acquireTimeoutMs, retryAfter) => {
      const only = gated(await factory.create(bytes));
      const pool = await open({ size: 1, acquireTimeoutMs, firstSession: only.session });
      const running = p1Of(pool, ROWS[0]);
      const error = await p1Of(pool, ROWS[1]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelPoolBusyException);
      expect((error as ModelPoolBusyException).getStatus()).toBe(503);
      expect((error as ModelPoolBusyException).retryAfterSeconds).toBe(retryAfter);
      expect((error as Error).message).toBe(
        'Model "logistic_regression" is busy: all 1 sessions of its pool (pool size 1, MODEL_POOL_SIZE) stayed in ' +
          `use for ${acquireTimeoutMs} ms (MODEL_ACQUIRE_TIMEOUT_MS). Retry later.`,
      );
      only.open();
      await running;
      await pool.close();
    },
  );

  it('passes on an error other than a timeout as it is, not as a 503', async () => {
    const pool = await open({ size: 1 });
    await pool.close();
    const error = await p1Of(pool, ROWS[0]).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ModelPoolBusyException);
    expect((error as Error).message).toBe('pool is draining and cannot accept work');
  });
});
