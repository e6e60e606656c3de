import { EXAMPLE_REQUEST } from '../prediction/predict-request.dto';
import {
  buildLogEntry,
  canonicalInput,
  levelFor,
  LOGGED_JSON_MAX_CHARS,
  LOGGED_PREVIEW_CHARS,
  pythonJson,
  RecordedCall,
  splitExplanation,
} from './log-entry.factory';

describe(levelFor.name, () => {
  it.each([
    [200, 'INFO'],
    [304, 'INFO'],
    [400, 'WARNING'],
    [422, 'WARNING'],
    [499, 'WARNING'],
    [500, 'ERROR'],
    [503, 'ERROR'],
  ])('gives status %i the level %s', (status, level) => {
    expect(levelFor(status)).toBe(level);
  });
});

describe(canonicalInput.name, () => {
  it('renames survey fields to their canonical spelling, keeping the order and other keys', () => {
    expect(canonicalInput({ age: 65, ALCOHOL_CONSUMING: 1, 'chest  pain': 0, note: 'x' })).toEqual({
      AGE: 65,
      'ALCOHOL CONSUMING': 1,
      'CHEST PAIN': 0,
      note: 'x',
    });
  });

  it('takes the value validation takes when a field comes twice: the canonical spelling, else the first', () => {
    expect(canonicalInput({ ALCOHOL_CONSUMING: 1, 'ALCOHOL CONSUMING': 0 })).toEqual({
      'ALCOHOL CONSUMING': 0,
    });
    expect(canonicalInput({ 'ALCOHOL CONSUMING': 0, ALCOHOL_CONSUMING: 1 })).toEqual({
      'ALCOHOL CONSUMING': 0,
    });
    expect(canonicalInput({ chest_pain: 1, 'Chest Pain': 0 })).toEqual({ 'CHEST PAIN': 1 });
  });

  it('has no input for a missing or non-object body', () => {
    expect(canonicalInput(undefined)).toBeNull();
    expect(canonicalInput([1, 2])).toBeNull();
    expect(canonicalInput('text')).toBeNull();
  });
});

describe(pythonJson.name, () => {
  it("writes JSON as Python's json.dumps does by default", () => {
    expect(pythonJson({ a: [1, 2.5, { b: null }], 'c d': true, message: 'Prédiction positive' })).toBe(
      '{"a": [1, 2.5, {"b": null}], "c d": true, "message": "Pr\\u00e9diction positive"}',
    );
    expect(pythonJson('naïve, "quoted": ok 🙂')).toBe('"na\\u00efve, \\"quoted\\": ok \\ud83d\\ude42"');
    expect(pythonJson(undefined)).toBe('null');
    expect(pythonJson({})).toBe('{}');
  });
});

describe(buildLogEntry.name, () => {
  const call: RecordedCall = {
    transactionId: 'tx-1',
    method: 'POST',
    path: '/predict',
    statusCode: 200,
    latencyNs: 1_236_567n,
    body: { AGE: 65, chest_pain: 1 },
    result: { prediction: 1, message: 'Prédiction positive' },
    model: 'logistic_regression@abc',
    metrics: null,
    at: new Date('2025-03-14T09:26:53.589Z'),
  };

  it('builds the entry with the reference message line and a new, later UUIDv7 each time', () => {
    const entry = buildLogEntry(call);
    const next = buildLogEntry(call);
    expect(next.id > entry.id).toBe(true);
    expect(entry).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      timestamp: '2025-03-14T09:26:53.589Z',
      level: 'INFO',
      message:
        '[tx-1] API Call - POST /predict - Status: 200 - Time: 1.24ms - Input: {"AGE": 65, "CHEST PAIN": 1} - ' +
        'Result: {"prediction": 1, "message": "Pr\\u00e9diction positive"}',
      data: {
        transaction_id: 'tx-1',
        method: 'POST',
        path: '/predict',
        status_code: 200,
        latency_ms: 1.237,
        execution_time_ms: 1.237,
        input_data: { AGE: 65, 'CHEST PAIN': 1 },
        result: { prediction: 1, message: 'Prédiction positive' },
        model: 'logistic_regression@abc',
        performance_metrics: null,
      },
    });
  });

  it("writes the message's time as latency_ms to two decimals, even on a rounding boundary", () => {
    const entry = buildLogEntry({ ...call, latencyNs: 16_764_600n });
    expect(entry.data.latency_ms).toBe(16.765);
    expect(entry.message).toContain(`Time: ${(16.765).toFixed(2)}ms`);
  });

  it('records a call without a body or result with nulls', () => {
    const entry = buildLogEntry({
      ...call,
      method: 'GET',
      statusCode: 503,
      body: undefined,
      result: undefined,
    });
    expect(entry.level).toBe('ERROR');
    expect(entry.data).toMatchObject({ input_data: null, result: null });
    expect(entry.message).toContain('- Input: null - Result: null');
  });

  it('keeps a long input as its survey answers only, and says how long it was', () => {
    const body = { ...EXAMPLE_REQUEST, AGE: 'x'.repeat(100), notes: 'n'.repeat(LOGGED_JSON_MAX_CHARS) };
    const entry = buildLogEntry({ ...call, body });
    const chars = pythonJson(canonicalInput(body)).length;
    const { AGE: _age, ...sane } = EXAMPLE_REQUEST;
    expect(entry.data.input_data).toEqual({ ...sane, _truncated: { json_chars: chars } });
    expect(entry.message).toContain(`- Input: ${pythonJson(entry.data.input_data)} - `);
  });

  it('keeps of a long input the answers given, up to 32 characters of JSON each', () => {
    const body = { AGE: 'a'.repeat(30), GENDER: 'g'.repeat(31), notes: 'n'.repeat(LOGGED_JSON_MAX_CHARS) };
    const entry = buildLogEntry({ ...call, body });
    expect(entry.data.input_data).toEqual({
      AGE: 'a'.repeat(30),
      _truncated: { json_chars: pythonJson(body).length },
    });
  });

  it('keeps the start of a long result, and says how long it was', () => {
    const result = {
      detail: Array.from({ length: 200 }, (_, i) => ({ loc: ['body', `field_${i}`], msg: 'missing' })),
    };
    const json = pythonJson(result);
    expect(json.length).toBeGreaterThan(LOGGED_JSON_MAX_CHARS);
    const entry = buildLogEntry({ ...call, statusCode: 422, result });
    expect(entry.data.result).toEqual({
      _truncated: { json_chars: json.length, preview: json.slice(0, LOGGED_PREVIEW_CHARS) },
    });
    expect(entry.message).toContain(`- Result: ${pythonJson(entry.data.result)}`);
  });

  it('keeps an input and a result at the limit whole', () => {
    const padding = 'p'.repeat(LOGGED_JSON_MAX_CHARS - pythonJson({ k: '' }).length);
    const entry = buildLogEntry({ ...call, body: { k: padding }, result: { k: padding } });
    expect(entry.data.input_data).toEqual({ k: padding });
    expect(entry.data.result).toEqual({ k: padding });
  });
});

describe(splitExplanation.name, () => {
  const c = (answer: string, contribution: number) => ({ answer, value: 1, contribution });
  const explanation = {
    method: 'linear-exact+equal-split',
    output_scale: 'log_odds',
    base_value: 1.5,
    output: 2.25,
    contributions: [
      c('COUGHING', 0.9),
      c('AGE', -0.5),
      c('SMOKING', 0.4),
      c('GENDER', -0.3),
      c('FATIGUE', 0.2),
      c('ANXIETY', 0.1),
      c('ALLERGY', -0.05),
      c('WHEEZING', -0.01),
      c('PEER_PRESSURE', 0),
    ],
  };

  it('keeps the three answers that raised and the three that lowered the output most, largest first', () => {
    const { result, explanation: kept } = splitExplanation({ prediction: 1, explanation });
    expect(result).toEqual({ prediction: 1 });
    expect(kept).toEqual({
      method: 'linear-exact+equal-split',
      output_scale: 'log_odds',
      base_value: 1.5,
      output: 2.25,
      raising: [c('COUGHING', 0.9), c('SMOKING', 0.4), c('FATIGUE', 0.2)],
      lowering: [c('AGE', -0.5), c('GENDER', -0.3), c('ALLERGY', -0.05)],
    });
  });

  it('leaves a result without an explanation as it is', () => {
    const result = { prediction: 0, explanation: 'not an object' };
    expect(splitExplanation(result)).toEqual({ result, explanation: null });
    expect(splitExplanation(null)).toEqual({ result: null, explanation: null });
  });

  it('puts it into the entry instead of the result, and keeps it out of the message', () => {
    const entry = buildLogEntry({
      transactionId: 'tx',
      method: 'POST',
      path: '/predict',
      statusCode: 200,
      latencyNs: 1_000_000n,
      body: EXAMPLE_REQUEST,
      result: { prediction: 1, explanation },
      model: 'm@1',
      metrics: null,
      shadow: { model: 'rf@2', status: 'ok', prediction: 0, probability: 0.4, agrees: false },
      at: new Date(),
    });
    expect(entry.data.result).toEqual({ prediction: 1 });
    expect(entry.data.explanation?.raising).toHaveLength(3);
    expect(entry.data.shadow).toEqual({
      model: 'rf@2',
      status: 'ok',
      prediction: 0,
      probability: 0.4,
      agrees: false,
    });
    expect(entry.message).toMatch(/ - Result: {"prediction": 1}$/);
  });
});
