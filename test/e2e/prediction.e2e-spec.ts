import type { NestExpressApplication } from '@nestjs/platform-express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import request from 'supertest';
import { FEATURE_COUNT, featureMatrix, INPUT_FIELDS, SurveyAnswers } from '../../src/features/features';
import type { ModelCard } from '../../src/model-pool/model-card';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { close, createTestApp, listen, MODEL_DIR, ROOT } from './support/test-app';

interface Golden {
  order: string[];
  rows: { input: SurveyAnswers; features: number[] }[];
}

const golden = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/feature_golden.json'), 'utf8')) as Golden;
const card = (name: string): ModelCard =>
  JSON.parse(readFileSync(join(MODEL_DIR, `${name}.card.json`), 'utf8')) as ModelCard;
const LR = card('logistic_regression');
const RF = card('random_forest');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** p1 computed straight from the committed ONNX file, outside the service. */
async function directP1(name: string, answers: SurveyAnswers[]): Promise<number[]> {
  const session = await InferenceSession.create(join(MODEL_DIR, `${name}.onnx`));
  const out = await session.run({
    features: new Tensor('float32', featureMatrix(answers), [answers.length, FEATURE_COUNT]),
  });
  await session.release();
  const data = out.probabilities.data as Float32Array;
  return answers.map((_, i) => data[2 * i + 1]);
}

/** A deterministic spread of answer sets: ages 20-90 crossed with symptom patterns. */
function candidates(): SurveyAnswers[] {
  const rows: SurveyAnswers[] = [];
  for (let age = 20; age <= 90; age += 5) {
    for (let pattern = 0; pattern < 32; pattern += 1) {
      const row = Object.fromEntries(
        INPUT_FIELDS.map((f, i) => [f, f === 'AGE' ? age : (pattern >> (i % 5)) & 1]),
      ) as SurveyAnswers;
      rows.push(row);
    }
  }
  return rows;
}

describe('prediction API (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp();
    url = await listen(app);
  });
  afterAll(() => close(app));

  it('POST /predict answers the reference example in the promised shape', async () => {
    const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(Object.keys(res.body).sort()).toEqual(
      ['message', 'model', 'prediction', 'probability', 'risk_level', 'threshold', 'transaction_id'].sort(),
    );
    const [direct] = await directP1('logistic_regression', [EXAMPLE_REQUEST]);
    const p1 = res.body.probability as number;
    expect(p1).toBeCloseTo(direct, 6);
    expect(res.body).toEqual({
      prediction: p1 >= LR.threshold.value ? 1 : 0,
      probability: p1,
      message: p1 >= LR.threshold.value ? 'Prédiction positive' : 'Prédiction négative',
      risk_level: p1 < 0.33 ? 'low' : p1 < 0.66 ? 'moderate' : 'high',
      threshold: LR.threshold.value,
      model: `logistic_regression@${LR.version}`,
      transaction_id: res.headers['x-transaction-id'],
    });
    expect(res.body.transaction_id).toMatch(UUID);
  });

  it('POST /predict_proba gives both probabilities instead of one', async () => {
    const res = await request(url).post('/predict_proba').send(EXAMPLE_REQUEST).expect(200);
    const single = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(res.body).not.toHaveProperty('probability');
    const [p0, p1] = res.body.probabilities as number[];
    expect(p1).toBe(single.body.probability);
    expect(p0 + p1).toBeCloseTo(1, 6);
    expect(res.body).toMatchObject({
      prediction: single.body.prediction,
      message: single.body.message,
      risk_level: single.body.risk_level,
      threshold: LR.threshold.value,
      model: single.body.model,
      transaction_id: res.headers['x-transaction-id'],
    });
  });

  // The forest's threshold (0.59) is far enough from 0.5 for answers to fall between them.
  it('decides with the card threshold, not 0.5, and bands risk at 0.33 and 0.66', async () => {
    const rows = candidates();
    const p1s = await directP1('random_forest', rows);
    const threshold = RF.threshold.value;
    // Clear of every boundary, so float noise cannot flip an expectation.
    const clear = (p: number): boolean => [threshold, 0.5, 0.33, 0.66].every((b) => Math.abs(p - b) > 1e-3);
    const disagree = p1s.findIndex((p) => clear(p) && p >= threshold !== p >= 0.5);
    const picks = [
      disagree,
      p1s.findIndex((p) => clear(p) && p < 0.33),
      p1s.findIndex((p) => clear(p) && p >= 0.66),
    ];
    for (const i of picks) {
      expect(i).toBeGreaterThanOrEqual(0);
      const res = await request(url).post('/predict?model=random_forest').send(rows[i]).expect(200);
      expect(res.body.probability).toBeCloseTo(p1s[i], 6);
      expect(res.body.prediction).toBe(p1s[i] >= threshold ? 1 : 0);
      expect(res.body.risk_level).toBe(p1s[i] < 0.33 ? 'low' : p1s[i] < 0.66 ? 'moderate' : 'high');
    }
  });

  it.each([
    ['model_type', 'random_forest'],
    ['model', 'random_forest'],
    ['model_type', 'logistic_regression'],
  ])('?%s=%s picks that model', async (param, name) => {
    const res = await request(url).post(`/predict?${param}=${name}`).send(EXAMPLE_REQUEST).expect(200);
    const model = name === 'random_forest' ? RF : LR;
    const [p1] = await directP1(name, [EXAMPLE_REQUEST]);
    expect(res.body).toMatchObject({ model: `${name}@${model.version}`, threshold: model.threshold.value });
    expect(res.body.probability).toBeCloseTo(p1, 6);
  });

  it.each(['sklearn', 'onnx'])(
    "?model_type=%s, the reference's types, picks the default model",
    async (type) => {
      const res = await request(url).post(`/predict?model_type=${type}`).send(EXAMPLE_REQUEST).expect(200);
      expect(res.body).toMatchObject({
        model: `logistic_regression@${LR.version}`,
        threshold: LR.threshold.value,
      });
    },
  );

  it('an unknown model answers 400 listing the loaded ones', async () => {
    const res = await request(url)
      .post('/predict_proba?model_type=xgboost')
      .send(EXAMPLE_REQUEST)
      .expect(400);
    expect(res.body).toEqual({
      detail: 'Type de modèle invalide: xgboost. Modèles disponibles : logistic_regression, random_forest',
      transaction_id: res.headers['x-transaction-id'],
    });
  });

  it.each(golden.rows.map((row, i) => [i, row] as const))(
    'POST /features gives golden row %i, by name in model order',
    async (_i, row) => {
      const res = await request(url).post('/features').send(row.input).expect(200);
      expect(Object.keys(res.body)).toEqual(['features']);
      expect(Object.keys(res.body.features)).toEqual(golden.order);
      expect(Object.values(res.body.features)).toEqual(row.features);
    },
  );

  it('/api/* answers as the plain paths', async () => {
    for (const path of ['/predict', '/predict_proba', '/features']) {
      const plain = await request(url).post(path).send(EXAMPLE_REQUEST).expect(200);
      const alias = await request(url).post(`/api${path}`).send(EXAMPLE_REQUEST).expect(200);
      expect({ ...alias.body, transaction_id: undefined }).toEqual({
        ...plain.body,
        transaction_id: undefined,
      });
    }
    const plain = await request(url)
      .post('/predict?model_type=random_forest')
      .send(EXAMPLE_REQUEST)
      .expect(200);
    const alias = await request(url)
      .post('/api/predict?model_type=random_forest')
      .send(EXAMPLE_REQUEST)
      .expect(200);
    expect(alias.body.model).toBe(plain.body.model);
  });
});
