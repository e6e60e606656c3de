import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { BODY_MAX_DEPTH } from '../../src/common/body-parser-errors.middleware';
import { EXAMPLE_REQUEST } from '../../src/prediction/predict-request.dto';
import { close, createTestApp, listen } from './support/test-app';

const body = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...EXAMPLE_REQUEST,
  ...overrides,
});

describe('bad input (e2e)', () => {
  let app: NestExpressApplication;
  let url: string;
  /** The answer to the reference example, which every accepted variant of it must give too. */
  let expected: { prediction: number; probability: number };

  beforeAll(async () => {
    app = await createTestApp();
    url = await listen(app);
    const { body: plain } = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expected = { prediction: plain.prediction, probability: plain.probability };
  });
  afterAll(() => close(app));
  beforeEach(() => expect.hasAssertions());

  it.each([
    ['AGE as a string', { AGE: '65' }],
    ['AGE as an integral float', { AGE: 65.0 }],
    ['booleans for yes/no answers', { SMOKING: true, ANXIETY: false }],
    ['an unknown extra key', { comment: 'ignored', extra: [1, 2] }],
  ])('accepts %s, like the reference', async (_what, overrides) => {
    const res = await request(url).post('/predict').send(body(overrides)).expect(200);
    expect(res.body).toMatchObject(expected);
  });

  it('accepts the underscore spellings', async () => {
    const underscored = Object.fromEntries(
      Object.entries(EXAMPLE_REQUEST).map(([k, v]) => [k.replace(/ /g, '_'), v]),
    );
    const plain = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    const alt = await request(url).post('/predict').send(underscored).expect(200);
    expect(alt.body.probability).toBe(plain.body.probability);
  });

  it.each([
    ['a fractional AGE', { AGE: 65.5 }, 'int_from_float'],
    ['a null answer', { SMOKING: null }, 'int_type'],
    ['AGE over 120', { AGE: 121 }, 'less_than_equal'],
    ['a negative answer', { COUGHING: -1 }, 'greater_than_equal'],
    ['a word', { AGE: 'sixty' }, 'int_parsing'],
  ])('rejects %s with 422 in the FastAPI shape', async (_what, overrides, type) => {
    const res = await request(url).post('/predict').send(body(overrides)).expect(422);
    const [field] = Object.keys(overrides);
    expect(res.body).toEqual({
      detail: [
        expect.objectContaining({
          type,
          loc: ['body', field],
          msg: expect.any(String),
          input: overrides[field as keyof typeof overrides],
        }),
      ],
      transaction_id: res.headers['x-transaction-id'],
    });
  });

  it('reports a missing answer as missing', async () => {
    const sent = body();
    delete sent.AGE;
    const res = await request(url).post('/predict_proba').send(sent).expect(422);
    expect(res.body.detail).toEqual([
      { type: 'missing', loc: ['body', 'AGE'], msg: 'Field required', input: sent },
    ]);
  });

  it('reports all problems at once', async () => {
    const res = await request(url)
      .post('/predict')
      .send({ AGE: 150, GENDER: 2.5, SMOKING: null, CHEST_PAIN: 7 })
      .expect(422);
    const byField = Object.fromEntries(
      (res.body.detail as { loc: string[]; type: string }[]).map((d) => [d.loc[1], d.type]),
    );
    expect(byField).toMatchObject({
      AGE: 'less_than_equal',
      GENDER: 'int_from_float',
      SMOKING: 'int_type',
      CHEST_PAIN: 'less_than_equal',
      FATIGUE: 'missing',
    });
    expect(res.body.detail).toHaveLength(15);
  });

  it('answers malformed JSON with 422 json_invalid, saying where in words of ours', async () => {
    const res = await request(url)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .send('{"AGE": 65, "GENDER":')
      .expect(422);
    expect(res.body.detail).toEqual([
      {
        type: 'json_invalid',
        loc: ['body', 21],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: 'the body is not valid JSON: it ends too early (at position 21)' },
      },
    ]);
    expect(res.body.transaction_id).toBe(res.headers['x-transaction-id']);
  });

  it.each([
    ['{"AGE": 65,}', 11, 'the body is not valid JSON (at position 11)'],
    ['{"AGE" 65}', 7, 'the body is not valid JSON (at position 7)'],
    ['{"AGE": 65}}', 11, 'the body is not valid JSON (at position 11)'],
    ['{"AGE": nope}', 0, 'the body is not valid JSON'],
    ['secret-looking text', 0, 'the body is not valid JSON'],
  ])("answers the malformed JSON %j without the parser's words or the body", async (text, at, said) => {
    const res = await request(url)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .send(text)
      .expect(422);
    expect(res.body.detail).toEqual([
      { type: 'json_invalid', loc: ['body', at], msg: 'JSON decode error', input: {}, ctx: { error: said } },
    ]);
    expect(res.text).not.toMatch(/Unexpected|Expected|token|nope|secret/);
  });

  it('answers a JSON array with 422', async () => {
    const res = await request(url).post('/predict').send([EXAMPLE_REQUEST]).expect(422);
    expect(res.body.detail[0]).toMatchObject({ type: 'model_attributes_type', loc: ['body'] });
  });

  it('answers an empty body with 422 naming every missing answer', async () => {
    const res = await request(url).post('/predict').set('Content-Type', 'application/json').expect(422);
    expect(res.body.detail).toHaveLength(15);
    expect(res.body.detail.every((d: { type: string }) => d.type === 'missing')).toBe(true);
  });

  it('answers a body over 16 KiB with 413', async () => {
    const res = await request(url)
      .post('/predict')
      .send(body({ padding: 'x'.repeat(16 * 1024) }))
      .expect(413);
    expect(res.body.detail).toMatch(/the limit is 16384 bytes/);
    expect(res.body.transaction_id).toBe(res.headers['x-transaction-id']);
  });

  it('accepts a body just under 16 KiB', async () => {
    const base = JSON.stringify(body({ padding: '' })).length;
    const res = await request(url)
      .post('/predict')
      .send(body({ padding: 'x'.repeat(16 * 1024 - base) }))
      .expect(200);
    expect(res.body).toMatchObject(expected);
  });

  it.each([
    ['text/plain', JSON.stringify(EXAMPLE_REQUEST)],
    ['application/x-www-form-urlencoded', 'AGE=65&GENDER=1'],
    ['application/xml', '<AGE>65</AGE>'],
  ])('answers a %s body with 415', async (type, payload) => {
    const res = await request(url).post('/predict').set('Content-Type', type).send(payload).expect(415);
    expect(res.body.detail).toContain('Content-Type must be application/json');
  });

  it('answers an unsupported charset with 415', async () => {
    const res = await request(url)
      .post('/features')
      .set('Content-Type', 'application/json; charset=latin-9')
      .send(JSON.stringify(EXAMPLE_REQUEST))
      .expect(415);
    expect(res.body).toEqual({
      detail: `The body's charset "LATIN-9" is not supported: send UTF-8`,
      transaction_id: res.headers['x-transaction-id'],
    });
  });

  it('answers an unknown Content-Encoding with 415 saying which ones it takes', async () => {
    const res = await request(url)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'x-zip')
      .send(JSON.stringify(EXAMPLE_REQUEST))
      .expect(415);
    expect(res.body.detail).toBe(
      'Content-Encoding "x-zip" is not supported: send the body as it is, or compressed with gzip, deflate or br',
    );
  });

  it('answers a body that does not inflate as its Content-Encoding says with 400', async () => {
    const res = await request(url)
      .post('/predict')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send(JSON.stringify(EXAMPLE_REQUEST))
      .expect(400);
    expect(res.body).toEqual({
      detail:
        'The body does not decompress as its Content-Encoding (gzip) says: send it compressed that way, or ' +
        'without Content-Encoding',
      transaction_id: res.headers['x-transaction-id'],
    });
  });

  it(`answers JSON nested deeper than ${BODY_MAX_DEPTH} levels with 422, as a whole body or under a key`, async () => {
    const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
    for (const text of [nested(5000), `{"AGE": 65, "extra": ${nested(BODY_MAX_DEPTH)}}`]) {
      const res = await request(url)
        .post('/predict')
        .set('Content-Type', 'application/json')
        .send(text)
        .expect(422);
      expect(res.body.detail).toEqual([
        {
          type: 'json_invalid',
          loc: ['body'],
          msg: `JSON nested deeper than ${BODY_MAX_DEPTH} levels`,
          input: {},
        },
      ]);
    }
    const shallower = await request(url)
      .post('/predict')
      .send(body({ extra: JSON.parse(nested(BODY_MAX_DEPTH - 1)) }))
      .expect(200);
    expect(shallower.body).toMatchObject(expected);
  });

  it.each(['/predict', '/predict_proba', '/features', '/api/predict', '/api/predict_proba'])(
    'answers an answer holding an object with a constructor key on %s with 422 int_type, not 500',
    async (path) => {
      const res = await request(url)
        .post(path)
        .send({ ...EXAMPLE_REQUEST, AGE: { constructor: 1 } })
        .expect(422);
      expect(res.body.detail).toEqual([
        {
          type: 'int_type',
          loc: ['body', 'AGE'],
          msg: 'Input should be a valid integer',
          input: { constructor: 1 },
        },
      ]);
    },
  );

  it('answers a form post with SMOKING[constructor] with the 422 page, not 500', async () => {
    const res = await request(url)
      .post('/')
      .type('form')
      .send('AGE=65&GENDER=1&SMOKING[constructor]=x&COUGHING=on&FATIGUE=on')
      .expect(422);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Valeur invalide');
  });

  it('keeps serving after all of that', async () => {
    const res = await request(url).post('/predict').send(EXAMPLE_REQUEST).expect(200);
    expect(res.body).toMatchObject(expected);
    const health = await request(url).get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'healthy', model_loaded: true });
  });
});
