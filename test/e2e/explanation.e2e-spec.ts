import type { NestExpressApplication } from '@nestjs/platform-express';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FEATURE_ORDER, INPUT_FIELDS, SurveyAnswers } from '../../src/features/features';
import type { ModelCard } from '../../src/model-pool/model-card';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { loggedEntries } from '../support/request-log/wait';
import { close, createTestApp, listen, MODEL_DIR, ROOT } from './support/test-app';

interface Contribution {
  answer: string;
  value: number;
  contribution: number;
}

interface ExplanationBody {
  method: string;
  output_scale: 'log_odds' | 'probability';
  base_value: number;
  output: number;
  contributions: Contribution[];
  features?: { feature: string; value: number; contribution: number }[];
}

const golden = (
  JSON.parse(readFileSync(join(ROOT, 'test/fixtures/feature_golden.json'), 'utf8')) as {
    rows: { input: SurveyAnswers }[];
  }
).rows.map((r) => r.input);

/** Seeded answer sets (a linear congruential generator): the same on every run, far from the golden rows. */
function generated(count: number, seed: number): SurveyAnswers[] {
  let state = seed;
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from(
    { length: count },
    () =>
      Object.fromEntries(
        INPUT_FIELDS.map((f) => [f, f === 'AGE' ? Math.floor(next() * 121) : next() < 0.5 ? 0 : 1]),
      ) as SurveyAnswers,
  );
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** The promises of an explanation, checked against the answers sent and the probability served. */
function expectExact(e: ExplanationBody, answers: SurveyAnswers, probability: number): void {
  expect(Math.abs(e.base_value + sum(e.contributions.map((c) => c.contribution)) - e.output)).toBeLessThan(
    1e-6,
  );
  const p1 = e.output_scale === 'log_odds' ? sigmoid(e.output) : e.output;
  // The service rounds its probabilities to 6 decimals.
  expect(Math.abs(p1 - probability)).toBeLessThanOrEqual(5e-7 + 1e-6);
  expect(e.contributions.map((c) => c.answer).sort()).toEqual([...INPUT_FIELDS].sort());
  for (const c of e.contributions) {
    expect(c.value).toBe(answers[c.answer as keyof SurveyAnswers]);
  }
  const sizes = e.contributions.map((c) => Math.abs(c.contribution));
  expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
}

describe('explanations (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp();
    url = await listen(app);
  });
  afterAll(() => close(app));

  it.each([
    ['logistic_regression', 'linear-exact+equal-split', 'log_odds'],
    ['random_forest', 'tree-shap+equal-split', 'probability'],
  ])('explains %s exactly on the golden rows and 60 generated answer sets', async (model, method, scale) => {
    for (const answers of [...golden, ...generated(60, model.length)]) {
      const res = await request(url).post(`/predict?explain=true&model=${model}`).send(answers).expect(200);
      const body = res.body as { probability: number; explanation: ExplanationBody };
      expect(body.explanation).toMatchObject({ method, output_scale: scale });
      expect(body.explanation.features).toBeUndefined();
      expectExact(body.explanation, answers, body.probability);
    }
  });

  it('gives the 29 model inputs too with explain=features, adding up to the same total', async () => {
    const res = await request(url).post('/predict_proba?explain=features').send(EXAMPLE_REQUEST).expect(200);
    const { explanation, probabilities } = res.body as {
      explanation: ExplanationBody;
      probabilities: [number, number];
    };
    expectExact(explanation, EXAMPLE_REQUEST, probabilities[1]);
    expect(explanation.features!.map((f) => f.feature)).toEqual(FEATURE_ORDER);
    expect(sum(explanation.features!.map((f) => f.contribution))).toBeCloseTo(
      sum(explanation.contributions.map((c) => c.contribution)),
      9,
    );
  });

  it('explains every row of a batch, and the /api aliases too', async () => {
    const rows = generated(5, 7);
    const batch = await request(url)
      .post('/api/predict/batch?explain=true&model=random_forest')
      .send({ instances: rows })
      .expect(200);
    const predictions = batch.body.predictions as { probability: number; explanation: ExplanationBody }[];
    expect(predictions).toHaveLength(5);
    predictions.forEach((p, i) => expectExact(p.explanation, rows[i], p.probability));
    const single = await request(url).post('/api/predict?explain=1').send(EXAMPLE_REQUEST).expect(200);
    expect(single.body.explanation).toBeDefined();
  });

  it('leaves the answer as it was without explain, or with explain=false', async () => {
    for (const path of ['/predict', '/predict?explain=false', '/predict?explain=0']) {
      const res = await request(url).post(path).send(EXAMPLE_REQUEST).expect(200);
      expect(res.body).not.toHaveProperty('explanation');
    }
  });

  it('refuses another explain value with a 422 naming the query parameter', async () => {
    const res = await request(url).post('/predict?explain=yes').send(EXAMPLE_REQUEST).expect(422);
    expect(res.body.detail).toEqual([
      expect.objectContaining({ loc: ['query', 'explain'], type: 'enum', input: 'yes' }),
    ]);
  });

  it('logs the answers that raised and lowered the output most, not the whole explanation', async () => {
    const before = (await loggedEntries(app, 0)).length;
    const res = await request(url).post('/predict?explain=true').send(EXAMPLE_REQUEST).expect(200);
    const [entry] = await loggedEntries(app, before + 1);
    expect(entry.data.transaction_id).toBe(res.body.transaction_id);
    expect(entry.data.result).not.toHaveProperty('explanation');
    const { explanation } = res.body as { explanation: ExplanationBody };
    const raising = explanation.contributions.filter((c) => c.contribution > 0).slice(0, 3);
    const lowering = explanation.contributions
      .filter((c) => c.contribution < 0)
      .sort((a, b) => a.contribution - b.contribution)
      .slice(0, 3);
    expect(entry.data.explanation).toEqual({
      method: explanation.method,
      output_scale: explanation.output_scale,
      base_value: explanation.base_value,
      output: explanation.output,
      raising,
      lowering,
    });
    expect(entry.message).not.toContain('contribution');
  });
});

describe('explanations by default, and models that cannot explain (e2e)', () => {
  let dir: string;
  let app: NestExpressApplication | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lungcheck-explain-'));
    cpSync(MODEL_DIR, dir, { recursive: true });
    const cardPath = join(dir, 'random_forest.card.json');
    const card = JSON.parse(readFileSync(cardPath, 'utf8')) as ModelCard;
    delete card.explanation;
    writeFileSync(cardPath, JSON.stringify(card));
  });
  afterEach(() => close(app));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('EXPLAIN_BY_DEFAULT=true explains unless asked not to, and skips a model that cannot', async () => {
    app = await createTestApp({ env: { MODEL_DIR: dir, EXPLAIN_BY_DEFAULT: 'true' } });
    const url = await listen(app);
    const explained = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(explained.body.explanation.method).toBe('linear-exact+equal-split');
    const plain = await request(url).post('/predict?explain=false').send(EXAMPLE_REQUEST).expect(200);
    expect(plain.body).not.toHaveProperty('explanation');
    const forest = await request(url).post('/predict?model=random_forest').send(EXAMPLE_REQUEST).expect(200);
    expect(forest.body).not.toHaveProperty('explanation');
  });

  it('answers 400 to explain=true with a model whose card has no explanation, and still predicts', async () => {
    app = await createTestApp({ env: { MODEL_DIR: dir } });
    const url = await listen(app);
    const refused = await request(url)
      .post('/predict?explain=true&model=random_forest')
      .send(EXAMPLE_REQUEST)
      .expect(400);
    expect(refused.body.detail).toMatch(
      /^Model random_forest cannot explain its predictions: the card of random_forest@\w{12} has no "explanation" section/,
    );
    await request(url).post('/predict?model=random_forest').send(EXAMPLE_REQUEST).expect(200);
    const models = await request(url).get('/models').expect(200);
    expect(
      (models.body.models as { name: string; explainable: boolean }[]).map((m) => [m.name, m.explainable]),
    ).toEqual([
      ['logistic_regression', true],
      ['random_forest', false],
    ]);
  });
});
