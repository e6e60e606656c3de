import { INPUT_FIELDS } from '../features/features';
import { EXAMPLE_REQUEST, laxInteger } from './predict-request.dto';
import { validateBatch, validateSurveyAnswers, ValidationDetail } from './survey-validation';

const body = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...EXAMPLE_REQUEST,
  ...overrides,
});

const problems = (input: unknown): ValidationDetail[] => {
  const result = validateSurveyAnswers(input);
  if (result.ok) {
    throw new Error('expected the body to be rejected');
  }
  return result.detail;
};

describe('validateSurveyAnswers', () => {
  it('accepts the reference example as it is', () => {
    expect(validateSurveyAnswers(EXAMPLE_REQUEST)).toEqual({ ok: true, answers: EXAMPLE_REQUEST });
  });

  it.each([
    ['an integral float', 65.0, 65],
    ['a numeric string', '65', 65],
    ['a numeric string with zero decimals and spaces', ' 65.00 ', 65],
    ['a signed string', '+65', 65],
  ])('accepts AGE as %s', (_what, value, expected) => {
    const result = validateSurveyAnswers(body({ AGE: value }));
    expect(result).toMatchObject({ ok: true, answers: { AGE: expected } });
  });

  it('accepts true/false for the yes/no answers', () => {
    const result = validateSurveyAnswers(body({ SMOKING: false, 'CHEST PAIN': true }));
    expect(result).toMatchObject({ ok: true, answers: { SMOKING: 0, 'CHEST PAIN': 1 } });
  });

  it('accepts the underscore spellings and ignores unknown keys', () => {
    const underscored = Object.fromEntries(
      Object.entries(EXAMPLE_REQUEST).map(([k, v]) => [k.replace(/ /g, '_'), v]),
    );
    const result = validateSurveyAnswers({ ...underscored, comment: 'hello', __proto__x: 1 });
    expect(result).toEqual({ ok: true, answers: EXAMPLE_REQUEST });
  });

  it('prefers the canonical spelling when both are sent', () => {
    const result = validateSurveyAnswers(body({ 'CHEST PAIN': 1, CHEST_PAIN: 0 }));
    expect(result).toMatchObject({ ok: true, answers: { 'CHEST PAIN': 1 } });
  });

  it('prefers the canonical spelling even when the other one comes first', () => {
    const result = validateSurveyAnswers({ CHEST_PAIN: 0, ...body({ 'CHEST PAIN': 1 }) });
    expect(result).toMatchObject({ ok: true, answers: { 'CHEST PAIN': 1 } });
  });

  it.each([
    [
      'a fraction',
      { AGE: 65.5 },
      {
        type: 'int_from_float',
        loc: ['body', 'AGE'],
        msg: 'Input should be a valid integer, got a number with a fractional part',
        input: 65.5,
      },
    ],
    [
      'null',
      { AGE: null },
      { type: 'int_type', loc: ['body', 'AGE'], msg: 'Input should be a valid integer', input: null },
    ],
    [
      'a word',
      { AGE: 'old' },
      {
        type: 'int_parsing',
        loc: ['body', 'AGE'],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: 'old',
      },
    ],
    [
      'a fractional string',
      { AGE: '65.5' },
      {
        type: 'int_parsing',
        loc: ['body', 'AGE'],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: '65.5',
      },
    ],
    [
      'a list',
      { AGE: [65] },
      { type: 'int_type', loc: ['body', 'AGE'], msg: 'Input should be a valid integer', input: [65] },
    ],
    [
      'an age over 120',
      { AGE: 150 },
      {
        type: 'less_than_equal',
        loc: ['body', 'AGE'],
        msg: 'Input should be less than or equal to 120',
        input: 150,
        ctx: { le: 120 },
      },
    ],
    [
      'a negative age',
      { AGE: -1 },
      {
        type: 'greater_than_equal',
        loc: ['body', 'AGE'],
        msg: 'Input should be greater than or equal to 0',
        input: -1,
        ctx: { ge: 0 },
      },
    ],
    [
      'a yes/no answer of 2',
      { SMOKING: 2 },
      {
        type: 'less_than_equal',
        loc: ['body', 'SMOKING'],
        msg: 'Input should be less than or equal to 1',
        input: 2,
        ctx: { le: 1 },
      },
    ],
    [
      'an out-of-range answer under its underscore spelling',
      { 'CHEST PAIN': undefined, CHEST_PAIN: 3 },
      {
        type: 'less_than_equal',
        loc: ['body', 'CHEST_PAIN'],
        msg: 'Input should be less than or equal to 1',
        input: 3,
        ctx: { le: 1 },
      },
    ],
  ])('rejects %s with the FastAPI problem', (_what, overrides, expected) => {
    const sent = JSON.parse(JSON.stringify(body(overrides))) as Record<string, unknown>;
    expect(problems(sent)).toEqual([expected]);
  });

  it('reports a missing answer with the whole body as input', () => {
    const sent = body();
    delete sent['SHORTNESS OF BREATH'];
    expect(problems(sent)).toEqual([
      { type: 'missing', loc: ['body', 'SHORTNESS OF BREATH'], msg: 'Field required', input: sent },
    ]);
  });

  it('reports every problem at once, one per field, in field order', () => {
    const detail = problems({ AGE: 150, GENDER: 0.5, SMOKING: null });
    expect(detail).toHaveLength(INPUT_FIELDS.length);
    expect(detail.slice(0, 3).map((d) => [d.loc[1], d.type])).toEqual([
      ['AGE', 'less_than_equal'],
      ['GENDER', 'int_from_float'],
      ['SMOKING', 'int_type'],
    ]);
    expect(detail.slice(3).every((d) => d.type === 'missing')).toBe(true);
  });

  it('rejects a body that is not an object', () => {
    expect(problems([1, 2])).toEqual([
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: [1, 2],
      },
    ]);
  });

  it('reports a missing body', () => {
    expect(problems(undefined)).toEqual([
      { type: 'missing', loc: ['body'], msg: 'Field required', input: null },
    ]);
  });

  it('rejects infinity as not finite', () => {
    expect(problems(body({ AGE: Infinity }))).toEqual([
      {
        type: 'finite_number',
        loc: ['body', 'AGE'],
        msg: 'Input should be a finite number',
        input: Infinity,
      },
    ]);
  });
});

describe('laxInteger', () => {
  it.each([
    [true, 1],
    [false, 0],
    ['7', 7],
    ['-3', -3],
    ['7.000', 7],
    [7.5, 7.5],
    ['7.5', '7.5'],
    ['', ''],
    [null, null],
  ])('turns %j into %j', (input, output) => {
    expect(laxInteger(input)).toEqual(output);
  });
});

describe('validateBatch', () => {
  const refused = (input: unknown, maxRows = 3): ValidationDetail[] => {
    const result = validateBatch(input, maxRows);
    if (result.ok) {
      throw new Error('expected the batch to be refused');
    }
    return result.detail;
  };

  it('accepts 1 to maxRows rows, each coerced as a single body is', () => {
    expect(validateBatch({ instances: [body({ AGE: '65' })] }, 3)).toEqual({
      ok: true,
      rows: [{ ...EXAMPLE_REQUEST, AGE: 65 }],
    });
    const three = [body({ AGE: 30 }), body({ AGE: 40 }), body({ AGE: 50 })];
    const result = validateBatch({ instances: three }, 3);
    expect(result.ok && result.rows.map((r) => r.AGE)).toEqual([30, 40, 50]);
  });

  it.each([
    [
      [1, 2],
      [1, 2],
    ],
    ['text', 'text'],
    [null, null],
    [undefined, null],
  ])('refuses a body %j that is not an object, echoing %j', (input, echoed) => {
    expect(refused(input)).toEqual([
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: echoed,
      },
    ]);
  });

  it('asks for instances when they are missing, and for a list when they are not one', () => {
    expect(refused({ rows: [] })).toEqual([
      { type: 'missing', loc: ['body', 'instances'], msg: 'Field required', input: { rows: [] } },
    ]);
    expect(refused({ instances: { AGE: 1 } })).toEqual([
      {
        type: 'list_type',
        loc: ['body', 'instances'],
        msg: 'Input should be a valid list',
        input: { AGE: 1 },
      },
    ]);
  });

  it('refuses an empty batch and one over maxRows, saying the bound', () => {
    expect(refused({ instances: [] })).toEqual([
      {
        type: 'too_short',
        loc: ['body', 'instances'],
        msg: 'List should have at least 1 item after validation, not 0',
        input: [],
        ctx: { min_length: 1 },
      },
    ]);
    expect(refused({ instances: [body(), body(), body(), body()] })).toEqual([
      {
        type: 'too_long',
        loc: ['body', 'instances'],
        msg: 'List should have at most 3 items after validation, not 4',
        input: '4 items',
        ctx: { max_length: 3 },
      },
    ]);
  });

  it('reports every problem of every row, located in its row, and refuses the whole batch for one bad row', () => {
    const detail = refused(
      {
        instances: [body(), body({ AGE: 150 }), 'x', body({ SMOKING: 3, GENDER: 'M' })],
      },
      4,
    );
    expect(detail.map((d) => [d.loc, d.type])).toEqual([
      [['body', 'instances', 1, 'AGE'], 'less_than_equal'],
      [['body', 'instances', 2], 'model_attributes_type'],
      [['body', 'instances', 3, 'GENDER'], expect.any(String)],
      [['body', 'instances', 3, 'SMOKING'], 'less_than_equal'],
    ]);
  });
});
