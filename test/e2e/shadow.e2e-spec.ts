import type { NestExpressApplication } from '@nestjs/platform-express';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import request from 'supertest';
import { FEATURE_COUNT, featureMatrix, INPUT_FIELDS, SurveyAnswers } from '../../src/features/features';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { loggedEntries } from '../support/request-log/wait';
import { close, createTestApp, listen, MODEL_DIR } from './support/test-app';

/** p1 of the committed random forest, computed outside the service, rounded as the service rounds. */
async function forestP1(answers: SurveyAnswers[]): Promise<number[]> {
  const session = await InferenceSession.create(join(MODEL_DIR, 'random_forest.onnx'));
  const out = await session.run({
    features: new Tensor('float32', featureMatrix(answers), [answers.length, FEATURE_COUNT]),
  });
  await session.release();
  const data = out.probabilities.data as Float32Array;
  return answers.map((_, i) => Math.round(data[2 * i + 1] * 1e6) / 1e6);
}

/** Ages 30–85 crossed with symptom patterns: enough variety for the two models to disagree somewhere. */
const ROWS: SurveyAnswers[] = Array.from(
  { length: 40 },
  (_, k) =>
    Object.fromEntries(
      INPUT_FIELDS.map((f, i) => [f, f === 'AGE' ? 30 + ((k * 7) % 56) : (k >> (i % 6)) & 1]),
    ) as SurveyAnswers,
);

describe('shadow model (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({ env: { SHADOW_MODEL: 'random_forest' } });
    url = await listen(app);
  });
  afterAll(() => close(app));

  it('runs every prediction through the shadow model too, into the log entry, and compares them', async () => {
    const before = (await loggedEntries(app, 0)).length;
    const served: { transaction_id: string; prediction: number; probability: number }[] = [];
    for (const row of ROWS) {
      const res = await request(url).post('/predict').send(row).expect(200);
      expect(res.body).not.toHaveProperty('shadow');
      served.push(res.body);
    }
    // Entries are written once their shadow run is done, not necessarily in the order of the requests.
    const logged = await loggedEntries(app, before + ROWS.length);
    const entries = served.map((s) => logged.find((e) => e.data.transaction_id === s.transaction_id)!);
    const expected = await forestP1(ROWS);
    const threshold = (await request(url).get('/models').expect(200)).body.models.find(
      (m: { name: string }) => m.name === 'random_forest',
    ).threshold as number;
    entries.forEach((entry, i) => {
      expect(entry.data.transaction_id).toBe(served[i].transaction_id);
      const prediction = expected[i] >= threshold ? 1 : 0;
      expect(entry.data.shadow).toEqual({
        model: expect.stringMatching(/^random_forest@\w{12}$/) as string,
        status: 'ok',
        prediction,
        probability: expected[i],
        agrees: prediction === served[i].prediction,
      });
    });

    const compare = await request(url).get('/models/compare').expect(200);
    const disagreeing = served.filter((s, i) => (expected[i] >= threshold ? 1 : 0) !== s.prediction);
    const meanDifference =
      served.reduce((total, s, i) => total + Math.abs(s.probability - expected[i]), 0) / served.length;
    expect(compare.body).toMatchObject({
      shadow_model: 'random_forest',
      compared: ROWS.length,
      dropped: 0,
      failed: 0,
      agreement_rate: Math.round((1 - disagreeing.length / ROWS.length) * 1e6) / 1e6,
      disagreement_count: disagreeing.length,
      since_start: { model: 'random_forest', ran: ROWS.length, dropped: 0, failed: 0 },
    });
    expect(compare.body.mean_abs_probability_difference).toBeCloseTo(meanDifference, 6);
    expect(disagreeing.length).toBeGreaterThan(0);
    expect(
      (compare.body.disagreements as { transaction_id: string }[]).map((d) => d.transaction_id).sort(),
    ).toEqual(disagreeing.map((d) => d.transaction_id).sort());
  });
});

describe('shadow model, other calls (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  // Apart from the comparison above, whose window must hold its predictions alone.
  beforeAll(async () => {
    app = await createTestApp({ env: { SHADOW_MODEL: 'random_forest' } });
    url = await listen(app);
  });
  afterAll(() => close(app));

  it('does not shadow a prediction the shadow model served itself', async () => {
    const before = (await loggedEntries(app, 0)).length;
    await request(url).post('/predict?model=random_forest').send(EXAMPLE_REQUEST).expect(200);
    const [entry] = await loggedEntries(app, before + 1);
    expect(entry.data.model).toMatch(/^random_forest@/);
    expect(entry.data).not.toHaveProperty('shadow');
  });

  it('shadows each row of a batch', async () => {
    const before = (await loggedEntries(app, 0)).length;
    await request(url)
      .post('/predict/batch')
      .send({ instances: ROWS.slice(0, 3) })
      .expect(200);
    const entries = (await loggedEntries(app, before + 3)).slice(0, 3);
    const expected = await forestP1(ROWS.slice(0, 3));
    const byRow = [0, 1, 2].map((row) =>
      entries.find((e) => (e.data.result as { row: number }).row === row)!,
    );
    expect(byRow.map((e) => e.data.shadow?.probability)).toEqual(expected);
  });
});

describe('SHADOW_MODEL (e2e)', () => {
  it('stops start-up when it names no loaded model', async () => {
    await expect(createTestApp({ env: { SHADOW_MODEL: 'gradient_boosting' } })).rejects.toThrow(
      'SHADOW_MODEL=gradient_boosting names no loaded model (loaded: logistic_regression, random_forest)',
    );
  });

  it('answers an empty comparison without a shadow model', async () => {
    const app = await createTestApp();
    try {
      const url = await listen(app);
      const res = await request(url).get('/models/compare').expect(200);
      expect(res.body).toMatchObject({ shadow_model: null, compared: 0, agreement_rate: null });
    } finally {
      await close(app);
    }
  });
});
