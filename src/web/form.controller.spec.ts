import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createTestApp } from '../../test/e2e/support/test-app';
import { MODELS, predictionOf } from '../../test/fixtures/form-page';
import { TemporarilyUnavailableException } from '../common/api-errors';
import type { SurveyAnswers } from '../features/features';
import type { Prediction } from '../prediction/prediction.decision';
import { PredictionService } from '../prediction/prediction.service';
import { FormController } from './form.controller';

const FORM = 'AGE=58&GENDER=0&ANXIETY=on&FATIGUE=on&ALLERGY=on&WHEEZING=on&model=random_forest';

/**
 * The controller's own decisions with the prediction service replaced, to produce the failures a healthy model does
 * not (a saturated pool, an unexpected error); the real service is exercised over HTTP in test/e2e and in a browser
 * in test/integration.
 */
describe(FormController.name, () => {
  let app: NestExpressApplication;
  let predict: jest.Mock<Promise<Prediction>, [SurveyAnswers, string | undefined]>;

  beforeAll(async () => {
    predict = jest.fn();
    // The real application, with the prediction service replaced.
    app = await createTestApp({
      env: { MODEL_POOL_SIZE: '1' },
      overrides: [{ provide: PredictionService, useValue: { predict } }],
    });
  });

  afterAll(() => app.close());

  beforeEach(() => predict.mockReset());

  it('predicts the posted answers with the chosen model and renders the result', async () => {
    predict.mockResolvedValue(predictionOf(0.4567, MODELS[1]));
    const res = await request(app.getHttpServer()).post('/').type('form').send(FORM).expect(200);
    expect(predict).toHaveBeenCalledTimes(1);
    expect(predict.mock.calls[0]).toEqual([
      expect.objectContaining({ AGE: 58, GENDER: 0, ANXIETY: 1, FATIGUE: 1, SMOKING: 0, 'CHEST PAIN': 0 }),
      'random_forest',
      { detail: 'answers', required: false },
    ]);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Risque de cancer du poumon : MODÉRÉ');
    expect(res.text).toMatch(/45,7\s%/);
  });

  it('does not call the model for a refused form', async () => {
    await request(app.getHttpServer()).post('/').type('form').send('AGE=58&GENDER=0&ANXIETY=on').expect(422);
    expect(predict).not.toHaveBeenCalled();
  });

  it('answers 503 with Retry-After and the answers kept when every session stays busy', async () => {
    predict.mockRejectedValue(new TemporarilyUnavailableException('All sessions busy', 2));
    const res = await request(app.getHttpServer()).post('/?lang=en').type('form').send(FORM).expect(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.text).toContain('The service is momentarily saturated');
    expect(res.text).toMatch(/<input[^>]*name="AGE"[^>]*value="58"/);
    expect(res.text).not.toContain('Lung cancer risk:');
  });

  it('answers 500 with the transaction id and nothing of the error when something unexpected breaks', async () => {
    predict.mockRejectedValue(new Error('secret internals at /srv/app/model.ts:42'));
    const res = await request(app.getHttpServer()).post('/').type('form').send(FORM).expect(500);
    const transactionId = res.headers['x-transaction-id'];
    expect(res.text).toContain(`communiquez l'identifiant ${transactionId}`.replace("'", '&#x27;'));
    expect(res.text).not.toMatch(/secret internals|model\.ts|at \//);
  });
});
