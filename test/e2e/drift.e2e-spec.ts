import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { INPUT_FIELDS } from '../../src/features/features';
import type { DriftEvaluation } from '../../src/log-store/drift-evaluation';
import { DriftService } from '../../src/monitoring/drift.service';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { RequestLogService } from '../../src/request-log/request-log.service';
import { close, createTestApp, listen } from './support/test-app';

const KEY = 'drift-e2e-key-0123456789abcdef';
const older = { ...EXAMPLE_REQUEST, AGE: 85 };

/** The value of an exposition line `series value`, or undefined. */
const metric = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('drift reference, history and gauges (e2e)', () => {
  let app: NestExpressApplication | undefined;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp({
      env: {
        API_KEY: KEY,
        DRIFT_WINDOW_SIZE: '40',
        DRIFT_MIN_SAMPLES: '30',
        DRIFT_EVALUATE_SECONDS: '3600',
        RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    url = await listen(app);
  });

  afterAll(() => close(app));

  async function predict(body: object, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await request(url).post('/predict').send(body).expect(200);
    }
    await app!.get(RequestLogService).drain();
  }

  it('judges against the card by default, and says where the reference comes from', async () => {
    const reference = await request(url).get('/drift/reference').expect(200);
    expect(reference.body).toMatchObject({
      source: 'DRIFT_REFERENCE',
      reference: {
        kind: 'card',
        rows: 276,
        id: expect.stringMatching(/^card:logistic_regression@/) as string,
      },
    });
    expect(reference.body.reference).not.toHaveProperty('age');
  });

  it('needs the admin key to choose the reference, and answers FastAPI-shaped 422s for bad bodies', async () => {
    await request(url).post('/drift/reference').send({ reference: 'card' }).expect(401);
    const bad = await request(url)
      .post('/drift/reference')
      .set('X-API-Key', KEY)
      .send({ reference: 'window', from: 'yesterday' })
      .expect(422);
    expect(bad.body.detail).toEqual([
      expect.objectContaining({ loc: ['body', 'from'], type: 'datetime_parsing' }),
      expect.objectContaining({ loc: ['body', 'to'], type: 'missing' }),
    ]);
    const thin = await request(url)
      .post('/drift/reference')
      .set('X-API-Key', KEY)
      .send({ reference: 'window', from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' })
      .expect(422);
    expect(thin.body.detail[0].msg).toMatch(
      /has 0 logged predictions in the log view, 30 \(DRIFT_MIN_SAMPLES\) needed/,
    );
    const unknown = await request(url)
      .post('/drift/reference')
      .set('X-API-Key', KEY)
      .send({ reference: 'x' })
      .expect(422);
    expect(unknown.body.detail[0]).toMatchObject({ loc: ['body', 'reference'], type: 'literal_error' });
  });

  it('takes a window of logged traffic as the reference: older patients then are no drift now', async () => {
    const from = new Date().toISOString();
    await predict(older, 40);
    const byCard = (await request(url).get('/drift').expect(200)).body;
    expect(byCard.features.find((f: { feature: string }) => f.feature === 'AGE').level).toBe('DRIFT');
    expect(byCard.verdict).toMatch(/the data set has drifted/);

    const to = new Date().toISOString();
    const chosen = await request(url)
      .post('/drift/reference')
      .set('X-API-Key', KEY)
      .set('Content-Type', 'application/json')
      .send({ reference: 'window', from, to })
      .expect(200);
    expect(chosen.body).toMatchObject({
      source: 'chosen at run time',
      reference: { kind: 'window', rows: 40 },
    });
    const byWindow = (await request(url).get('/drift').expect(200)).body;
    expect(byWindow.reference.kind).toBe('window');
    expect(byWindow.features.find((f: { feature: string }) => f.feature === 'AGE').level).toBe('NO');

    await request(url)
      .post('/drift/reference')
      .set('X-API-Key', KEY)
      .send({ reference: 'default' })
      .expect(200);
    expect((await request(url).get('/drift/reference').expect(200)).body.reference.kind).toBe('card');
  });

  it('keeps scheduled evaluations, lists them, and gives their figures to Prometheus', async () => {
    await predict(older, 40);
    const scrapeBefore = (await request(url).get('/metrics').expect(200)).text;
    const { evaluation, kept } = await app!.get(DriftService).evaluate();
    expect(kept).toBe(true);
    const history = (await request(url).get('/drift/history').expect(200)).body as {
      evaluations: DriftEvaluation[];
    };
    expect(history.evaluations.map((e) => e.id)).toContain(evaluation.id);

    const scrape = (await request(url).get('/metrics').expect(200)).text;
    expect(metric(scrapeBefore, 'lungcheck_drift_features')).toBeNaN();
    expect(metric(scrape, 'lungcheck_drift_features')).toBe(evaluation.drifted_features);
    expect(metric(scrape, 'lungcheck_drift_detected')).toBe(evaluation.dataset_drift ? 1 : 0);
    const age = evaluation.features.find((f) => f.feature === 'AGE')!;
    expect(age.level).toBe('DRIFT');
    expect(metric(scrape, 'lungcheck_drift_p_value{feature="AGE"}')).toBeCloseTo(age.p_value_adjusted, 12);
    expect(metric(scrape, 'lungcheck_drift_statistic{feature="AGE"}')).toBeCloseTo(age.statistic, 12);
    for (const field of INPUT_FIELDS) {
      expect(metric(scrape, `lungcheck_drift_p_value{feature="${field}"}`)).toBeGreaterThanOrEqual(0);
    }
    expect(metric(scrape, 'lungcheck_drift_prediction')).toBe(
      evaluation.prediction?.level === 'DRIFT' ? 1 : 0,
    );
  });
});
