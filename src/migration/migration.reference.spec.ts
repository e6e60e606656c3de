import type { ShipDocument } from '../log-shipping/log-shipping.documents';
import {
  convertReferenceExport,
  predictionOf,
  REFERENCE_MODEL,
  referenceEntryId,
  referenceField,
  referenceKind,
  referenceTime,
  type ReferenceExport,
} from './migration.reference';

const INDEXES = {
  logs: 'ml-api-logs',
  message: 'ml-api-message',
  perfs: 'ml-api-perfs',
  topFunc: 'ml-api-top-func',
  deadLetter: 'ml-api-deadletter',
  drift: 'ml-api-drift',
};

const TID = '0f8b1c2d-0000-4000-8000-00000000000a';

type Source = Record<string, unknown>;

const exported = (docs: Partial<Record<keyof ReferenceExport, Source[]>>): ReferenceExport => {
  const wrap = (kind: keyof ReferenceExport): ReferenceExport[typeof kind] =>
    (docs[kind] ?? []).map((source, i) => ({ where: `${kind}.ndjson:${i + 1}`, source }));
  return { logs: wrap('logs'), message: wrap('message'), perfs: wrap('perfs'), topFunc: wrap('topFunc') };
};

const convert = (docs: Partial<Record<keyof ReferenceExport, Source[]>>, timeZone = 'UTC') =>
  convertReferenceExport(exported(docs), { timeZone, indexes: INDEXES });

const byId = (documents: ShipDocument[], index: string): Record<string, Source> =>
  Object.fromEntries(documents.filter((d) => d.index === index).map((d) => [d.id, d.source]));

const apiLine = (overrides: Source = {}): Source => ({
  '@timestamp': '2025-07-01T10:00:00Z',
  level: 'INFO',
  message: `2025-07-01 10:00:00 - api - INFO - [${TID}] API Call - POST /api/predict - Status: 200 - Time: 40.00ms`,
  transaction_id: TID,
  http_method: 'POST',
  http_path: '/api/predict?model_type=onnx',
  status_code: 200,
  execution_time_ms: 40,
  input_data: { AGE: 61, ALCOHOL: 1, CHRONIC_DISEASE: 0, extra: 'x' },
  result: { prediction: 0, probability: 0.2 },
  ...overrides,
});

describe(referenceTime.name, () => {
  it("reads the wall clock in the reference host's zone, winter and summer, whether labelled Z or not", () => {
    expect(referenceTime('2025-01-21T15:30:00Z', 'Europe/Paris')).toBe('2025-01-21T14:30:00.000Z');
    expect(referenceTime('2025-07-01 10:00:00', 'Europe/Paris')).toBe('2025-07-01T08:00:00.000Z');
    expect(referenceTime('2025-07-01T10:00:00.25Z', 'UTC')).toBe('2025-07-01T10:00:00.250Z');
    expect(referenceTime('2025-07-01T10:00:00Z', 'America/New_York')).toBe('2025-07-01T14:00:00.000Z');
  });

  it('crosses the change to summer time at the right hour', () => {
    expect(referenceTime('2025-03-30T01:59:59Z', 'Europe/Paris')).toBe('2025-03-30T00:59:59.000Z');
    expect(referenceTime('2025-03-30T03:00:00Z', 'Europe/Paris')).toBe('2025-03-30T01:00:00.000Z');
  });

  it('takes an explicit offset other than Z as written', () => {
    expect(referenceTime('2025-01-21T15:30:00+05:30', 'Europe/Paris')).toBe('2025-01-21T10:00:00.000Z');
  });

  it('answers null for what is not a date', () => {
    expect(referenceTime('2025-02-30T10:00:00Z', 'UTC')).toBeNull();
    expect(referenceTime('yesterday', 'UTC')).toBeNull();
    expect(referenceTime(1737473400000, 'UTC')).toBeNull();
  });
});

describe(referenceEntryId.name, () => {
  it('derives the entry id from the transaction id, else from a hash of the time and message', () => {
    expect(referenceEntryId(TID, 'x', 'y')).toBe(`ref-${TID}`);
    const hashed = referenceEntryId(null, '2025-01-21T15:30:00Z', 'Model loaded');
    expect(hashed).toMatch(/^ref-[0-9a-f]{32}$/);
    expect(referenceEntryId(null, '2025-01-21T15:30:00Z', 'Model loaded')).toBe(hashed);
    expect(referenceEntryId(null, '2025-01-21T15:30:01Z', 'Model loaded')).not.toBe(hashed);
  });
});

describe(predictionOf.name, () => {
  it('reads 1/0, YES/NO and true/false, and nothing else', () => {
    expect([1, 'YES', 'yes', true, 'true', '1'].map(predictionOf)).toEqual([1, 1, 1, 1, 1, 1]);
    expect([0, 'NO', false, 'False', '0'].map(predictionOf)).toEqual([0, 0, 0, 0, 0]);
    expect([2, 'maybe', null, undefined, 0.5].map(predictionOf)).toEqual([null, null, null, null, null]);
  });
});

describe(referenceField.name, () => {
  it("maps the reference's renamed answers to the canonical names", () => {
    expect(referenceField('ALCOHOL')).toBe('ALCOHOL CONSUMING');
    expect(referenceField('SHORTNESS_OF_BREATH')).toBe('SHORTNESS OF BREATH');
    expect(referenceField('AGE')).toBe('AGE');
    expect(referenceField('HOST')).toBeUndefined();
  });
});

describe(referenceKind.name, () => {
  it('knows the four indexes by their names, renamed ones by their ending', () => {
    expect(
      ['ml-api-logs', 'ml-api-message', 'ml-api-perfs', 'ml-api-top-func', 'old-top_func'].map(referenceKind),
    ).toEqual(['logs', 'message', 'perfs', 'topFunc', 'topFunc']);
    expect(referenceKind('ml-api-deadletter')).toBeUndefined();
  });
});

describe(convertReferenceExport.name, () => {
  it('converts a logs document field by field, under ref-<transaction id>', () => {
    const result = convert({ logs: [apiLine()] }, 'Europe/Paris');
    expect(byId(result.documents, INDEXES.logs)).toEqual({
      [`ref-${TID}`]: {
        '@timestamp': '2025-07-01T08:00:00.000Z',
        entry_id: `ref-${TID}`,
        level: 'INFO',
        message: `[${TID}] API Call - POST /api/predict - Status: 200 - Time: 40.00ms`,
        transaction_id: TID,
        http_method: 'POST',
        http_path: '/predict',
        status_code: 200,
        execution_time_ms: 40,
        model: REFERENCE_MODEL,
        input_data: { AGE: 61, 'ALCOHOL CONSUMING': 1, 'CHRONIC DISEASE': 0, extra: 'x' },
        result: { prediction: 0, probability: 0.2 },
      },
    });
  });

  it('collapses copies of a line, gives no model to calls that ran none, and wraps bare results', () => {
    const result = convert({
      logs: [
        apiLine(),
        apiLine(),
        apiLine({ transaction_id: 'other', status_code: 422, result: 'refused' }),
        { '@timestamp': '2025-07-01T10:00:05Z', level: 'INFO', message: 'Model loaded' },
      ],
    });
    const logs = byId(result.documents, INDEXES.logs);
    expect(Object.keys(logs)).toHaveLength(3);
    expect(result.collapsed.logs).toBe(1);
    expect(logs['ref-other']).toMatchObject({ model: null, result: { value: 'refused' } });
    const plain = Object.values(logs).find((d) => d.message === 'Model loaded');
    expect(plain).toMatchObject({ transaction_id: null, http_method: null, status_code: null, model: null });
    expect(plain?.entry_id).toMatch(/^ref-[0-9a-f]{32}$/);
  });

  it('completes a message document from its logs document and normalises answers and prediction', () => {
    const result = convert({
      logs: [apiLine()],
      message: [
        {
          transaction_id: TID,
          input_data: { AGE: '61', ALCOHOL: true, SMOKING: 1, FATIGUE: 'abc', HOST: 'x' },
          result: { prediction: 'NO', probabilities: [0.8, 0.2], message: 'Prédiction négative' },
        },
      ],
    });
    const doc = byId(result.documents, INDEXES.message)[`ref-${TID}`];
    expect(doc).toMatchObject({
      '@timestamp': '2025-07-01T10:00:00.000Z',
      http_path: '/predict',
      status_code: 200,
      execution_time_ms: 40,
      model: REFERENCE_MODEL,
      result: { prediction: 0, probability: 0.2, risk_level: 'low' },
    });
    expect(doc?.input_data).toMatchObject({
      AGE: 61,
      'ALCOHOL CONSUMING': 1,
      SMOKING: 1,
      FATIGUE: null,
      GENDER: null,
    });
    expect(Object.keys(doc?.input_data as object)).toHaveLength(15);
    expect(result.droppedFields.map((t) => t.what).sort()).toEqual(
      [
        'input_data.FATIGUE (not an integer)',
        'input_data.HOST',
        'result.message',
        'result.probabilities',
      ].sort(),
    );
  });

  it('does not convert refused calls or results without a 0/1 prediction, and says where they are', () => {
    const result = convert({
      logs: [apiLine()],
      message: [
        {
          '@timestamp': '2025-07-01T10:00:00Z',
          transaction_id: 'a',
          status_code: 422,
          result: { prediction: 1 },
        },
        { '@timestamp': '2025-07-01T10:00:00Z', transaction_id: 'b', result: { detail: [] } },
        { transaction_id: 'c', result: { prediction: 1 } },
      ],
    });
    expect(byId(result.documents, INDEXES.message)).toEqual({});
    expect(result.notConverted.map((t) => [t.what, t.examples])).toEqual([
      ['status 422', ['message.ndjson:1']],
      ['result.prediction is not 0/1', ['message.ndjson:2']],
      ['no readable @timestamp, nor a logs document of its transaction', ['message.ndjson:3']],
    ]);
  });

  it('converts perfs documents, nested or not, with the logs latency and ranked top functions', () => {
    const result = convert({
      logs: [apiLine()],
      perfs: [
        {
          '@timestamp': '2025-07-01T10:00:00Z',
          performance_metrics: {
            transaction_id: TID,
            inference_time_ms: 20,
            latency_ms: 20,
            cpu_time_ms: 300,
            memory_mb: 200,
            memory_delta_mb: 0.1,
            function_calls: 31000,
            top_functions: [
              {
                function: 'a',
                file: 'a.py',
                line: 1,
                calls: 1,
                total_time_ms: 1,
                cumulative_time_ms: 2,
                extra: 1,
              },
              { function_name: 'b', file: 'b.py', line: 2, calls: 3, total_time_ms: 4, cumulative_time: 9 },
            ],
          },
        },
      ],
    });
    expect(byId(result.documents, INDEXES.perfs)[`ref-${TID}`]).toEqual({
      '@timestamp': '2025-07-01T10:00:00.000Z',
      entry_id: `ref-${TID}`,
      transaction_id: TID,
      http_path: '/predict',
      status_code: 200,
      model: REFERENCE_MODEL,
      inference_time_ms: 20,
      latency_ms: 40,
      cpu_time_ms: null,
      memory_mb: 200,
      memory_delta_mb: 0.1,
      function_calls: 31000,
      batch_size: 1,
      top_functions: [
        { function: 'b', file: 'b.py', line: 2, calls: 3, total_time_ms: 4, cumulative_time_ms: 9, rank: 1 },
        { function: 'a', file: 'a.py', line: 1, calls: 1, total_time_ms: 1, cumulative_time_ms: 2, rank: 2 },
      ],
    });
    expect(result.droppedFields.map((t) => [t.what, t.note !== undefined])).toEqual([
      ['top_functions.extra', false],
      ['performance_metrics.latency_ms', true],
      ['performance_metrics.cpu_time_ms', true],
    ]);
  });

  it('turns a performance line of ml-api-logs into the perfs document its transaction lacks, once', () => {
    const line = (tid: string): Source => ({
      '@timestamp': '2025-07-01T10:00:00Z',
      level: 'INFO',
      message: `2025-07-01 10:00:00 - api - INFO - {"performance_metrics": {"transaction_id": "${tid}", "inference_time_ms": 5}}`,
    });
    const result = convert({
      logs: [
        apiLine(),
        line(TID),
        line('lonely'),
        { ...line('broken'), message: '{"performance_metrics": {' },
      ],
      perfs: [{ '@timestamp': '2025-07-01T10:00:00Z', transaction_id: TID, inference_time_ms: 7 }],
    });
    const perfs = byId(result.documents, INDEXES.perfs);
    expect(Object.keys(perfs).sort()).toEqual([`ref-${TID}`, 'ref-lonely']);
    expect(perfs[`ref-${TID}`]?.inference_time_ms).toBe(7);
    expect(perfs['ref-lonely']).toMatchObject({ inference_time_ms: 5, http_path: null, latency_ms: null });
    expect(Object.keys(byId(result.documents, INDEXES.logs))).toEqual([`ref-${TID}`]);
    expect(result.performanceLines).toBe(3);
    expect(result.notConverted.map((t) => t.what)).toEqual(['performance line whose JSON cannot be read']);
  });

  it('ranks a transaction top functions by cumulative time, merging copies, under <entry id>-<rank>', () => {
    const fn = (name: string, cumulative: number, extra: Source = {}): Source => ({
      '@timestamp': '2025-07-01T10:00:00Z',
      transaction_id: TID,
      function: name,
      file: `${name}.py`,
      line: 1,
      calls: 1,
      total_time_ms: 1,
      cumulative_time_ms: cumulative,
      ...extra,
    });
    const result = convert({
      logs: [apiLine()],
      topFunc: [
        fn('small', 1),
        fn('big', 9),
        fn('small', 1),
        fn('mid', 5, { thread: 'main' }),
        { transaction_id: TID },
      ],
    });
    const top = byId(result.documents, INDEXES.topFunc);
    expect(
      Object.fromEntries(Object.entries(top).map(([id, d]) => [id, [d.function, d.rank, d.http_path]])),
    ).toEqual({
      [`ref-${TID}-1`]: ['big', 1, '/predict'],
      [`ref-${TID}-2`]: ['mid', 2, '/predict'],
      [`ref-${TID}-3`]: ['small', 3, '/predict'],
    });
    expect(result.collapsed.topFunc).toBe(1);
    expect(result.droppedFields.map((t) => t.what)).toEqual(['thread']);
    expect(result.notConverted.map((t) => [t.what, t.examples])).toEqual([
      ['no function name', ['topFunc.ndjson:5']],
    ]);
  });

  it('counts what it read per index', () => {
    const result = convert({ logs: [apiLine(), apiLine()], message: [], perfs: [{}] });
    expect(result.read).toEqual({ logs: 2, message: 0, perfs: 1, topFunc: 0 });
  });
});
