import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { BINARY_FIELDS, SurveyAnswers } from '../../src/features/features';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { close, createTestApp, listen } from './support/test-app';

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

/** The answers as a browser posts the form: ticked boxes as "on", the others absent. */
function formOf(answers: SurveyAnswers, extra: Record<string, string> = {}): Record<string, string> {
  const form: Record<string, string> = { AGE: String(answers.AGE), GENDER: String(answers.GENDER), ...extra };
  for (const field of BINARY_FIELDS) {
    if (answers[field] === 1) {
      form[field] = 'on';
    }
  }
  return form;
}

const percentText = (p: number, lang: 'fr' | 'en'): string =>
  new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(p);

describe('form page (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp();
    url = await listen(app);
  });
  afterAll(() => close(app));

  it('GET / answers the page to browsers and the JSON description to API clients', async () => {
    const page = await request(url).get('/').set('Accept', BROWSER_ACCEPT).expect(200);
    expect(page.type).toBe('text/html');
    expect(page.text).toContain('<form id="survey"');
    expect(page.headers.vary).toMatch(/Accept/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['cache-control']).toBe('no-store');

    for (const accept of [undefined, '*/*', 'application/json']) {
      const req = request(url).get('/');
      const res = await (accept ? req.set('Accept', accept) : req).expect(200);
      expect([accept, res.type, res.body.message]).toEqual([
        accept,
        'application/json',
        'API de Prédiction ML',
      ]);
    }
    const api = await request(url).get('/api/').set('Accept', BROWSER_ACCEPT).expect(200);
    expect(api.type).toBe('text/html');
  });

  it('lists GET / and the form submission among the endpoints, and keeps the form out of Swagger', async () => {
    const info = await request(url).get('/info').expect(200);
    expect(Object.keys(info.body.endpoints)).toEqual(
      expect.arrayContaining(['GET /', 'POST /', 'GET /info']),
    );
    const swagger = await request(url).get('/docs-json').expect(200);
    expect(Object.keys(swagger.body.paths['/'])).toEqual(['get']);
  });

  it('serves its stylesheet and script itself', async () => {
    const css = await request(url).get('/static/css/app.css').expect(200);
    expect(css.type).toBe('text/css');
    expect(css.headers['x-content-type-options']).toBe('nosniff');
    const js = await request(url).get('/static/js/form.js').expect(200);
    expect(js.type).toMatch(/^(text|application)\/javascript$/);
    await request(url).get('/static/favicon.svg').expect(200);
    await request(url).get('/static/').expect(404);
  });

  it.each([
    [undefined, undefined, 'fr'],
    ['en-GB,en;q=0.9', undefined, 'en'],
    ['de-DE,de;q=0.9', undefined, 'fr'],
    ['de,en;q=0.5,fr;q=0.8', undefined, 'fr'],
    ['en', 'fr', 'fr'],
    ['fr', 'en', 'en'],
    ['en', 'xx', 'en'],
  ])('Accept-Language %p with ?lang=%p gives %p', async (acceptLanguage, lang, expected) => {
    const req = request(url)
      .get(lang ? `/?lang=${lang}` : '/')
      .set('Accept', 'text/html');
    const res = await (acceptLanguage ? req.set('Accept-Language', acceptLanguage) : req).expect(200);
    expect(res.text).toContain(`<html lang="${expected}">`);
  });

  it('POST / predicts like POST /predict does for the same answers and model', async () => {
    for (const model of ['logistic_regression', 'random_forest']) {
      const api = await request(url).post(`/predict?model_type=${model}`).send(EXAMPLE_REQUEST).expect(200);
      const page = await request(url)
        .post('/?lang=en')
        .type('form')
        .send(formOf(EXAMPLE_REQUEST, { model }))
        .expect(200);
      const level = { low: 'LOW', moderate: 'MODERATE', high: 'HIGH' }[api.body.risk_level as string];
      expect(page.text).toContain(`Lung cancer risk: ${level}`);
      expect(page.text).toContain(`data-probability>${percentText(api.body.probability, 'en')}<`);
      expect(page.text).toContain(api.body.model);
      expect(page.text).toContain(`data-threshold>${percentText(api.body.threshold, 'en')}<`);
      expect(page.text).toContain(`data-transaction-id>${page.headers['x-transaction-id']}<`);
    }
  });

  it('POST / through the /api alias works too, in French by default', async () => {
    const page = await request(url).post('/api/').type('form').send(formOf(EXAMPLE_REQUEST)).expect(200);
    expect(page.text).toContain('Risque de cancer du poumon : ');
    expect(page.text).toContain('ne remplace pas un diagnostic médical');
  });

  it.each([
    ['an age of 150', { AGE: '150' }, 'f-age-error', 'L&#x27;âge doit être un nombre entier de 0 à 120 ans.'],
    ['no gender', { GENDER: '' }, 'f-gender-error', 'Choisissez le genre du patient.'],
    ['a box with a made-up value', { SMOKING: 'maybe' }, 'f-smoking-error', 'Valeur invalide'],
    ['an unknown model', { model: 'xgboost' }, 'f-model-error', 'Modèle inconnu « xgboost »'],
  ])(
    'POST / with %s answers 422 with the message next to the field',
    async (_case, change, slot, message) => {
      const res = await request(url)
        .post('/')
        .type('form')
        .send({ ...formOf(EXAMPLE_REQUEST), ...change })
        .expect(422);
      expect(res.type).toBe('text/html');
      expect(res.text).toMatch(
        new RegExp(`<p id="${slot}" class="field-error" data-error-slot>.*${message}`),
      );
      expect(res.text).not.toContain('Risque de cancer du poumon :');
      expect(res.text).not.toMatch(/\bat \S+\.(ts|js):\d+/);
    },
  );

  it('POST / with fewer than 3 boxes ticked refuses with the reference message', async () => {
    const res = await request(url)
      .post('/')
      .type('form')
      .send({ AGE: '45', GENDER: '1', SMOKING: 'on', ANXIETY: 'on' })
      .expect(422);
    expect(res.text).toContain('Pas assez d&#x27;informations pour effectuer une prédiction');
    expect(res.text).toContain('Actuellement : 2 symptôme(s) coché(s)');
  });

  it('POST / escapes what it shows back', async () => {
    const res = await request(url)
      .post('/')
      .type('form')
      .send({ ...formOf(EXAMPLE_REQUEST), AGE: '"><script>alert(1)</script>' })
      .expect(422);
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});
