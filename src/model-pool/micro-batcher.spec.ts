import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_COUNT, featureMatrix, INPUT_FIELDS, type SurveyAnswers } from '../features/features';
import { type BatchedPrediction, MicroBatcher } from './micro-batcher';
import { ModelSessionPool } from './model-session-pool';
import { OnnxSessionFactory } from './onnx-session.factory';

const MODEL_PATH = join(__dirname, '../../model/logistic_regression.onnx');
const bytes = readFileSync(MODEL_PATH);
const factory = new OnnxSessionFactory();

/** 100 different patients. */
const PATIENTS: SurveyAnswers[] = Array.from({ length: 100 }, (_, i) => ({
  ...(Object.fromEntries(INPUT_FIELDS.map((f, k) => [f, (i >> (k % 7)) & 1])) as SurveyAnswers),
  AGE: 20 + (i % 70),
  GENDER: i % 2,
}));

describe(MicroBatcher.name, () => {
  let pool: ModelSessionPool;

  beforeAll(async () => {
    pool = await ModelSessionPool.open({
      name: 'logistic_regression',
      modelPath: MODEL_PATH,
      size: 2,
      acquireTimeoutMs: 5000,
      input: 'features',
      output: 'probabilities',
      firstSession: await factory.create(bytes),
      createSession: () => factory.create(bytes),
    });
  });
  afterAll(() => pool.close());

  /** Each patient's probabilities from a run of its own. */
  async function alone(): Promise<[number, number][]> {
    const out: [number, number][] = [];
    for (const patient of PATIENTS) {
      const { probabilities } = await pool.predictProba(featureMatrix([patient]), 1);
      out.push([probabilities[0], probabilities[1]]);
    }
    return out;
  }

  it('gives each of 100 concurrent requests exactly the answer it would get alone, from batched runs', async () => {
    const expected = await alone();
    const batcher = new MicroBatcher(pool, 32, 200);
    const answers = await Promise.all(PATIENTS.map((patient) => batcher.predict(featureMatrix([patient]))));
    expect(answers.map((a) => [a.p0, a.p1])).toEqual(expected);
    expect(Math.max(...answers.map((a) => a.batchSize))).toBeGreaterThan(1);
    expect(Math.max(...answers.map((a) => a.batchSize))).toBeLessThanOrEqual(32);
    // Every row was answered by a run whose size it reports: the sizes add up.
    const runs = new Map<string, number>();
    answers.forEach((a) => runs.set(`${a.runNs}:${a.batchSize}`, a.batchSize));
    expect([...runs.values()].reduce((sum, n) => sum + n, 0)).toBe(PATIENTS.length);
  });

  it('does not hold a lone request on an idle model for the wait', async () => {
    const batcher = new MicroBatcher(pool, 32, 5_000_000);
    const answer = await batcher.predict(featureMatrix([PATIENTS[3]!]));
    expect(answer.batchSize).toBe(1);
    // It ran at the end of its event-loop turn, not after the 5 s wait.
    expect(answer.waitNs).toBeLessThan(5_000_000_000n);
    expect(answer.runNs).toBeGreaterThan(0n);
  });

  it('refuses a row of the wrong length at once, instead of padding it into a batch', async () => {
    const batcher = new MicroBatcher(pool, 32, 200);
    await expect(batcher.predict(new Float32Array(FEATURE_COUNT - 1))).rejects.toThrow(
      `A row has ${FEATURE_COUNT} features, not ${FEATURE_COUNT - 1}`,
    );
  });

  it('fails only the request whose run fails: a failed batch runs its rows alone', async () => {
    // A real session that refuses any run holding the poisoned value, as onnxruntime would a row it cannot take.
    const POISON = -999;
    const session = await factory.create(bytes);
    const picky = new Proxy(session, {
      get: (target, key, receiver) =>
        key === 'run'
          ? (...args: Parameters<typeof session.run>) => {
              const data = Object.values(args[0])[0]!.data as Float32Array;
              return data.includes(POISON) ? Promise.reject(new Error('poisoned row')) : target.run(...args);
            }
          : ((value: unknown) => (typeof value === 'function' ? value.bind(target) : value))(
              Reflect.get(target, key, receiver),
            ),
    });
    const pickyPool = await ModelSessionPool.open({
      name: 'logistic_regression',
      modelPath: MODEL_PATH,
      size: 1,
      acquireTimeoutMs: 5000,
      input: 'features',
      output: 'probabilities',
      firstSession: picky,
      createSession: () => Promise.reject(new Error('one session only')),
    });
    const batcher = new MicroBatcher(pickyPool, 32, 200);
    const rows = PATIENTS.slice(0, 5).map((p) => featureMatrix([p]));
    const poisoned = featureMatrix([PATIENTS[9]!]);
    poisoned[3] = POISON;
    const settled = await Promise.allSettled([...rows, poisoned].map((row) => batcher.predict(row)));
    expect(settled.map((s) => s.status)).toEqual([...rows.map(() => 'fulfilled'), 'rejected']);
    expect((settled[5] as PromiseRejectedResult).reason).toEqual(new Error('poisoned row'));
    const values = settled.slice(0, 5).map((s) => (s as PromiseFulfilledResult<BatchedPrediction>).value);
    expect(values.every((v) => v.batchSize === 1)).toBe(true);
    await pickyPool.close();
  });

  it('runs every prediction alone when micro-batching is off', async () => {
    const batcher = new MicroBatcher(pool, 0, 200);
    const answers = await Promise.all(
      PATIENTS.slice(0, 10).map((patient) => batcher.predict(featureMatrix([patient]))),
    );
    expect(answers.map((a) => a.batchSize)).toEqual(Array(10).fill(1));
  });

  describe('when batches close', () => {
    /** A pool whose runs end when the test says: it records each run's row count. */
    function controlledPool(): { pool: ModelSessionPool; runs: number[]; finish: (i: number) => void } {
      const runs: number[] = [];
      const ends: (() => void)[] = [];
      const fake = {
        predictProba: (_rows: Float32Array, n: number) => {
          runs.push(n);
          return new Promise((resolve) => {
            ends.push(() =>
              resolve({ probabilities: new Float32Array(2 * n).fill(0.5), acquireNs: 1n, runNs: 1n }),
            );
          });
        },
      };
      return { pool: fake as unknown as ModelSessionPool, runs, finish: (i) => ends[i]!() };
    }
    const row = (): Float32Array => featureMatrix([PATIENTS[0]!]);
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

    it('runs a full batch at once, even while another run is in progress and its wait has not run out', async () => {
      const { pool: slow, runs, finish } = controlledPool();
      const batcher = new MicroBatcher(slow, 4, 1_000);
      const first = batcher.predict(row());
      await turn();
      expect(runs).toEqual([1]);
      const next = [1, 2, 3, 4].map(() => batcher.predict(row()));
      // The fourth arrival fills the batch: it runs now, not when the first run ends or the 1 ms wait is over.
      expect(runs).toEqual([1, 4]);
      finish(1);
      expect((await Promise.all(next)).map((p) => p.batchSize)).toEqual([4, 4, 4, 4]);
      finish(0);
      await first;
      // The full batch cancelled the wait's timer: nothing else runs, and no run is ever empty.
      await sleep(20);
      expect(runs).toEqual([1, 4]);
    });

    it('makes what arrives during a run wait for its end, then run together', async () => {
      const { pool: slow, runs, finish } = controlledPool();
      const batcher = new MicroBatcher(slow, 32, 1_000_000);
      const first = batcher.predict(row());
      await turn();
      const during = [1, 2, 3].map(() => batcher.predict(row()));
      await turn();
      expect(runs).toEqual([1]);
      finish(0);
      await first;
      await turn();
      expect(runs).toEqual([1, 3]);
      finish(1);
      const answers = await Promise.all(during);
      expect(answers.map((a) => a.batchSize)).toEqual([3, 3, 3]);
      // Each waited from its own arrival to the start of its run: more than nothing, less than the long wait.
      for (const { waitNs } of answers) {
        expect(waitNs).toBeGreaterThan(0n);
        expect(waitNs).toBeLessThan(1_000_000_000n);
      }
      await sleep(20);
      expect(runs).toEqual([1, 3]);
    });

    it('runs what waits once MICRO_BATCH_MAX_WAIT_US has passed, even if the run in progress has not ended', async () => {
      const { pool: slow, runs, finish } = controlledPool();
      const batcher = new MicroBatcher(slow, 32, 2_000);
      void batcher.predict(row());
      await turn();
      const late = [1, 2].map(() => batcher.predict(row()));
      await sleep(50);
      expect(runs).toEqual([1, 2]);
      finish(1);
      expect((await Promise.all(late)).map((a) => a.batchSize)).toEqual([2, 2]);
      finish(0);
    });
  });
});
