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
});
