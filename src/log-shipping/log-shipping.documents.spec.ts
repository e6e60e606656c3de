import {
  driftEvaluation,
  EXAMPLE_ANSWERS,
  explainedEntry,
  explanation,
  predictionEntry,
  shadow,
  validationErrorEntry,
} from '../../test/support/log-shipping/entries';
import { INPUT_FIELDS } from '../features/features';
import { buildLogEntry } from '../request-log/log-entry.factory';
import {
  canonicalAnswers,
  canonicalPath,
  deadLetterDocument,
  documentsForEntry,
  driftDocuments,
  logDocument,
  messageDocument,
  perfDocument,
  predictionResult,
  shippedExplanation,
  shippedShadow,
  topFunctionDocuments,
  utcTimestamp,
  type ShippingIndexes,
} from './log-shipping.documents';

const INDEXES: ShippingIndexes = {
  logs: 'ml-api-logs',
  message: 'ml-api-message',
  perfs: 'ml-api-perfs',
  topFunc: 'ml-api-top-func',
  deadLetter: 'ml-api-deadletter',
  drift: 'ml-api-drift',
};

const byIndex = (entry: Parameters<typeof documentsForEntry>[0]) => {
  const docs = documentsForEntry(entry, INDEXES);
  return (index: string) => docs.filter((d) => d.index === index);
};

describe('log-shipping documents', () => {
  describe(documentsForEntry.name, () => {
    it('gives a profiled successful prediction one document in logs, message and perfs, and one per top function', () => {
      const entry = predictionEntry();
      const docs = byIndex(entry);
      expect(docs(INDEXES.logs).map((d) => d.id)).toEqual([entry.id]);
      expect(docs(INDEXES.message).map((d) => d.id)).toEqual([entry.id]);
      expect(docs(INDEXES.perfs).map((d) => d.id)).toEqual([entry.id]);
      expect(docs(INDEXES.topFunc).map((d) => d.id)).toEqual(
        [1, 2, 3, 4, 5].map((rank) => `${entry.id}-${rank}`),
      );
      expect(documentsForEntry(entry, INDEXES).every((d) => d.entryId === entry.id)).toBe(true);
    });

    it('derives the same ids and sources every time, so re-shipping overwrites identically', () => {
      const entry = predictionEntry();
      expect(documentsForEntry(entry, INDEXES)).toEqual(documentsForEntry(structuredClone(entry), INDEXES));
    });

    it('keys documents by entry id, so two entries sharing a client-chosen transaction id stay two documents', () => {
      const a = predictionEntry({ data: { transaction_id: 'client-req-1' } });
      const b = predictionEntry({ data: { transaction_id: 'client-req-1' } });
      const ids = [...documentsForEntry(a, INDEXES), ...documentsForEntry(b, INDEXES)].map(
        (d) => `${d.index}/${d.id}`,
      );
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('keeps a 422 out of the message index (the reference let it in) but in the logs index', () => {
      const docs = byIndex(validationErrorEntry());
      expect(docs(INDEXES.logs)).toHaveLength(1);
      expect(docs(INDEXES.message)).toHaveLength(0);
      expect(docs(INDEXES.perfs)).toHaveLength(0);
    });

    it.each([
      ['/predict', 200, 1],
      ['/predict_proba', 200, 1],
      ['/api/predict', 200, 1],
      ['/predict?model_type=random_forest', 200, 1],
      ['/predict', 503, 0],
      ['/features', 200, 0],
      ['/predictions', 200, 0],
    ])('puts %s answered %i in the message index %i time(s)', (path, status, expected) => {
      expect(byIndex(predictionEntry({ data: { path, status_code: status } }))(INDEXES.message)).toHaveLength(
        expected,
      );
    });

    it('gives an entry without performance metrics no perfs or top-func documents', () => {
      const docs = byIndex(predictionEntry({ data: { performance_metrics: null } }));
      expect(docs(INDEXES.perfs)).toHaveLength(0);
      expect(docs(INDEXES.topFunc)).toHaveLength(0);
      expect(docs(INDEXES.message)).toHaveLength(1);
    });

    it('fills the logs document with the entry fields under the reference names', () => {
      const entry = predictionEntry();
      const [log] = byIndex(entry)(INDEXES.logs);
      expect(log?.source).toEqual({
        '@timestamp': entry.timestamp,
        entry_id: entry.id,
        level: 'INFO',
        message: entry.message,
        transaction_id: entry.data.transaction_id,
        http_method: 'POST',
        http_path: '/predict',
        status_code: 200,
        execution_time_ms: entry.data.latency_ms,
        model: entry.data.model,
        input_data: entry.data.input_data,
        result: entry.data.result,
      });
    });

    it('fills the message document with the 15 canonical answers as integers and the decision', () => {
      const entry = predictionEntry({
        data: {
          input_data: { ...EXAMPLE_ANSWERS, AGE: '65', CHRONIC_DISEASE: true, 'CHRONIC DISEASE': undefined },
        },
      });
      const [message] = byIndex(entry)(INDEXES.message);
      const input = message?.source.input_data as Record<string, unknown>;
      expect(Object.keys(input).sort()).toEqual([...INPUT_FIELDS].sort());
      expect(input.AGE).toBe(65);
      expect(input['CHRONIC DISEASE']).toBe(1);
      expect(Object.values(input).every((v) => Number.isInteger(v))).toBe(true);
      expect(message?.source.result).toEqual({ prediction: 1, probability: 0.900887, risk_level: 'high' });
      expect(message?.source).toMatchObject({
        transaction_id: entry.data.transaction_id,
        http_path: '/predict',
        status_code: 200,
        model: entry.data.model,
      });
    });

    it('ranks top functions from 1 and copies only the mapped fields', () => {
      const entry = predictionEntry();
      const extra = { ...entry.data.performance_metrics!.top_functions[0]!, self_time_ms: 1 };
      entry.data.performance_metrics!.top_functions[0] = extra;
      const docs = byIndex(entry);
      const top = docs(INDEXES.topFunc).map((d) => d.source);
      expect(top.map((t) => t.rank)).toEqual([1, 2, 3, 4, 5]);
      expect(top[0]).not.toHaveProperty('self_time_ms');
      expect(top[1]).toMatchObject({ function: 'feature_engineering', calls: 1, line: 41 });
      const perf = docs(INDEXES.perfs)[0]?.source;
      expect(perf).toMatchObject({ inference_time_ms: 0.42, latency_ms: 1.9, function_calls: 6 });
      expect((perf?.top_functions as unknown[]).length).toBe(5);
    });
  });

  describe(driftDocuments.name, () => {
    it('gives one document per input and one for the decisions, each with the verdict, under stable ids', () => {
      const evaluation = driftEvaluation();
      const docs = driftDocuments(evaluation, INDEXES.drift);
      expect(docs).toHaveLength(16);
      expect(new Set(docs.map((d) => d.id)).size).toBe(16);
      expect(docs.every((d) => d.entryId === evaluation.id && d.index === INDEXES.drift)).toBe(true);
      expect(docs.find((d) => d.source.feature === 'CHRONIC DISEASE')!.id).toBe(
        `${evaluation.id}-CHRONIC_DISEASE`,
      );
      expect(docs.find((d) => d.source.feature === 'AGE')!.source).toEqual({
        '@timestamp': evaluation.timestamp,
        entry_id: evaluation.id,
        period_start: evaluation.period_start,
        reference_id: evaluation.reference.id,
        reference_kind: 'card',
        model: evaluation.reference.model,
        status: 'ok',
        verdict: evaluation.verdict,
        window_size: 500,
        window_from: evaluation.window.from,
        window_to: evaluation.window.to,
        dataset_drift: false,
        drifted_features: 1,
        feature: 'AGE',
        test: 'ks',
        statistic: 0.42,
        p_value: 2.3e-19,
        p_value_adjusted: 3.45e-18,
        psi: 0.01,
        level: 'DRIFT',
        drifted: true,
        current: 75.1,
        reference: 62.9,
      });
      expect(driftDocuments(evaluation, INDEXES.drift).map((d) => d.id)).toEqual(docs.map((d) => d.id));
    });

    it('gives one document without a feature for an evaluation without a verdict', () => {
      const docs = driftDocuments(
        driftEvaluation({ status: 'not_enough_data', features: [], prediction: null, dataset_drift: null }),
        INDEXES.drift,
      );
      expect(docs).toHaveLength(1);
      expect(docs[0]!.source).toMatchObject({
        status: 'not_enough_data',
        feature: null,
        level: null,
        drifted: null,
      });
    });
  });

  describe(messageDocument.name, () => {
    it('gives a prediction neither explained nor shadowed a null explanation and a null shadow', () => {
      const source = messageDocument(predictionEntry(), INDEXES.message).source;
      expect(source).toMatchObject({ explanation: null, shadow: null });
      const nulls = predictionEntry({ data: { explanation: null, shadow: null } });
      expect(messageDocument(nulls, INDEXES.message).source).toMatchObject({
        explanation: null,
        shadow: null,
      });
    });

    it('copies the explanation the entry keeps and the shadow model answer', () => {
      const source = messageDocument(explainedEntry(), INDEXES.message).source;
      expect(source.explanation).toEqual(explanation());
      expect(source.shadow).toEqual(shadow());
    });

    it("ships what the request log keeps of a response's explanation, with the shadow's answer", () => {
      const contribution = (answer: string, value: number, c: number) => ({ answer, value, contribution: c });
      const entry = buildLogEntry({
        transactionId: 'tx-1',
        method: 'POST',
        path: '/predict',
        statusCode: 200,
        latencyNs: 2_000_000n,
        body: { ...EXAMPLE_ANSWERS },
        result: {
          prediction: 1,
          probability: 0.9,
          risk_level: 'high',
          explanation: {
            method: 'tree-shap+equal-split',
            output_scale: 'probability',
            base_value: 0.5,
            output: 0.9,
            features: [{ feature: 'AGE', value: 65, contribution: 0.1 }],
            contributions: [
              contribution('AGE', 65, 0.25),
              contribution('SMOKING', 1, 0.1),
              contribution('FATIGUE', 1, 0.05),
              contribution('COUGHING', 1, 0.02),
              contribution('ANXIETY', 0, -0.03),
              contribution('GENDER', 1, 0),
            ],
          },
        },
        model: 'random_forest@4c1f9a0e27d3',
        metrics: null,
        shadow: shadow({ model: 'logistic_regression@da1e024228f7', probability: 0.95 }),
        at: new Date('2025-03-14T09:26:53.589Z'),
      });
      const source = messageDocument(entry, INDEXES.message).source;
      expect(source.explanation).toEqual({
        method: 'tree-shap+equal-split',
        output_scale: 'probability',
        base_value: 0.5,
        output: 0.9,
        raising: [
          contribution('AGE', 65, 0.25),
          contribution('SMOKING', 1, 0.1),
          contribution('FATIGUE', 1, 0.05),
        ],
        lowering: [contribution('ANXIETY', 0, -0.03)],
      });
      expect(source.shadow).toEqual(shadow({ model: 'logistic_regression@da1e024228f7', probability: 0.95 }));
      expect(source.result).toEqual({ prediction: 1, probability: 0.9, risk_level: 'high' });
    });

    it('gives a shadow that did not run (dropped, failed) null prediction, probability and agreement', () => {
      const entry = predictionEntry({ data: { shadow: { model: 'random_forest', status: 'dropped' } } });
      expect(messageDocument(entry, INDEXES.message).source.shadow).toEqual({
        model: 'random_forest',
        status: 'dropped',
        prediction: null,
        probability: null,
        agrees: null,
      });
    });
  });

  describe(shippedExplanation.name, () => {
    it('copies only the mapped fields, so a field the strict mapping does not know cannot get the document refused', () => {
      const shipped = shippedExplanation({
        ...explanation(),
        features: [{ feature: 'AGE', value: 65, contribution: 0.1 }],
        contributions: [],
        raising: [{ answer: 'AGE', value: 65, contribution: 0.7, share: 0.5 }],
        lowering: [],
      });
      expect(shipped).toEqual({
        ...explanation(),
        raising: [{ answer: 'AGE', value: 65, contribution: 0.7 }],
        lowering: [],
      });
    });

    it('nulls values of the wrong type and leaves out answers without a name or a finite contribution', () => {
      expect(
        shippedExplanation({
          method: 3,
          output_scale: null,
          base_value: Number.NaN,
          output: '2.2',
          raising: [
            { answer: 'AGE', value: 65.5, contribution: 0.7 },
            { answer: 'SMOKING', value: 2 ** 40, contribution: 0.6 },
            { answer: 7, value: 1, contribution: 0.5 },
            { answer: 'COUGHING', value: 1, contribution: Number.POSITIVE_INFINITY },
            { answer: 'FATIGUE', value: 1, contribution: '0.4' },
            'ANXIETY',
            null,
          ],
          lowering: { answer: 'ANXIETY', value: 0, contribution: -0.4 },
        }),
      ).toEqual({
        method: null,
        output_scale: null,
        base_value: null,
        output: null,
        raising: [
          { answer: 'AGE', value: null, contribution: 0.7 },
          { answer: 'SMOKING', value: null, contribution: 0.6 },
        ],
        lowering: [],
      });
    });

    it.each([[undefined], [null], ['explained'], [[explanation()]]])(
      'reads %j as no explanation',
      (value) => {
        expect(shippedExplanation(value)).toBeNull();
      },
    );
  });

  describe(shippedShadow.name, () => {
    it('copies only the mapped fields, null where a value has the wrong type', () => {
      expect(shippedShadow({ ...shadow(), threshold: 0.5, latency_ms: 3 })).toEqual(shadow());
      expect(
        shippedShadow({ model: 42, status: ['ok'], prediction: '1', probability: Number.NaN, agrees: 'yes' }),
      ).toEqual({ model: null, status: null, prediction: null, probability: null, agrees: null });
      expect(shippedShadow({ ...shadow(), prediction: 0.5 })?.prediction).toBeNull();
    });

    it.each([[undefined], [null], ['random_forest'], [[shadow()]]])('reads %j as no shadow', (value) => {
      expect(shippedShadow(value)).toBeNull();
    });
  });

  describe(logDocument.name, () => {
    it('leaves the explanation and the shadow to the message index (the logs mapping has neither)', () => {
      const source = logDocument(explainedEntry(), INDEXES.logs).source;
      expect(source).not.toHaveProperty('explanation');
      expect(source).not.toHaveProperty('shadow');
    });

    it('keeps a missing input or result as null', () => {
      const entry = predictionEntry({ data: { input_data: null } });
      delete (entry.data as Partial<typeof entry.data>).result;
      expect(logDocument(entry, INDEXES.logs).source).toMatchObject({ input_data: null, result: null });
    });

    it('wraps a result that is not an object, so the flattened field takes it', () => {
      const text = predictionEntry({ data: { result: 'Internal Server Error' } });
      const list = predictionEntry({ data: { result: [1, 2] } });
      expect(logDocument(text, INDEXES.logs).source.result).toEqual({ value: 'Internal Server Error' });
      expect(logDocument(list, INDEXES.logs).source.result).toEqual({ value: [1, 2] });
    });
  });

  describe(perfDocument.name, () => {
    it('copies every metric of a profiled entry', () => {
      const entry = predictionEntry();
      const { top_functions: top, ...metrics } = perfDocument(entry, INDEXES.perfs).source;
      expect(metrics).toMatchObject({
        inference_time_ms: 0.42,
        latency_ms: 1.9,
        cpu_time_ms: 1.1,
        memory_mb: 142.5,
        memory_delta_mb: 0.02,
        function_calls: 6,
      });
      expect(top).toHaveLength(5);
    });

    it('gives an entry without metrics null figures and no top functions', () => {
      const entry = predictionEntry({ data: { performance_metrics: null } });
      expect(perfDocument(entry, INDEXES.perfs).source).toMatchObject({
        inference_time_ms: null,
        latency_ms: null,
        cpu_time_ms: null,
        memory_mb: null,
        memory_delta_mb: null,
        function_calls: null,
        top_functions: [],
      });
    });
  });

  describe(topFunctionDocuments.name, () => {
    it('gives an entry without metrics no top-function document', () => {
      expect(
        topFunctionDocuments(predictionEntry({ data: { performance_metrics: null } }), INDEXES.topFunc),
      ).toEqual([]);
    });
  });

  describe(canonicalPath.name, () => {
    it.each([
      ['/predict', '/predict'],
      ['/api/predict', '/predict'],
      ['/predict/', '/predict'],
      ['/predict//', '/predict'],
      ['/predict_proba?model=x', '/predict_proba'],
      ['/api', '/'],
      ['/apis/predict', '/apis/predict'],
    ])('%s → %s', (path, expected) => {
      expect(canonicalPath(path)).toBe(expected);
    });
  });

  describe(canonicalAnswers.name, () => {
    it('leaves null where the entry holds no integer value, rather than inventing one', () => {
      const answers = canonicalAnswers({ AGE: 65.5, SMOKING: 'yes', GENDER: 1 });
      expect(answers.AGE).toBeNull();
      expect(answers.SMOKING).toBeNull();
      expect(answers.GENDER).toBe(1);
      expect(answers.COUGHING).toBeNull();
    });

    it.each([[null], [''], ['  '], [[65]], [{}]])('reads %j as no answer, not as 0', (value) => {
      expect(canonicalAnswers({ AGE: value }).AGE).toBeNull();
    });

    it('ignores keys that are not survey fields', () => {
      expect(Object.keys(canonicalAnswers({ AGE: 65, FAVOURITE_COLOUR: 3 })).sort()).toEqual(
        [...INPUT_FIELDS].sort(),
      );
    });

    it('keeps the first usable value of a field given under two spellings', () => {
      expect(canonicalAnswers({ 'CHRONIC DISEASE': 2, CHRONIC_DISEASE: 1 })['CHRONIC DISEASE']).toBe(2);
      expect(canonicalAnswers({ 'CHRONIC DISEASE': 'x', CHRONIC_DISEASE: 1 })['CHRONIC DISEASE']).toBe(1);
    });
  });

  describe(predictionResult.name, () => {
    it('takes p1 as the probability of a /predict_proba answer', () => {
      expect(predictionResult({ prediction: 0, probabilities: [0.8, 0.2], risk_level: 'low' })).toEqual({
        prediction: 0,
        probability: 0.2,
        risk_level: 'low',
      });
    });

    it('keeps only finite numbers and a string risk level, null otherwise', () => {
      expect(
        predictionResult({ prediction: '1', probability: Number.POSITIVE_INFINITY, risk_level: 3 }),
      ).toEqual({ prediction: null, probability: null, risk_level: null });
    });
  });

  describe(utcTimestamp.name, () => {
    it('normalises to ISO-8601 UTC and passes an unparsable value through for Elasticsearch to refuse', () => {
      expect(utcTimestamp('2025-03-14T10:26:53.589+01:00')).toBe('2025-03-14T09:26:53.589Z');
      expect(utcTimestamp('yesterday-ish')).toBe('yesterday-ish');
    });
  });

  describe(deadLetterDocument.name, () => {
    it('records the target, the reason and the original, under an id that re-dead-lettering overwrites', () => {
      const entry = predictionEntry();
      const [doc] = byIndex(entry)(INDEXES.message);
      const reason = {
        status: 400,
        type: 'document_parsing_exception',
        reason: 'failed to parse field [AGE]',
      };
      const at = new Date('2025-03-14T10:00:00Z');
      const letter = deadLetterDocument(doc!, reason, INDEXES.deadLetter, at);
      expect(letter).toEqual({
        index: INDEXES.deadLetter,
        id: `${INDEXES.message}:${entry.id}`,
        entryId: entry.id,
        source: {
          '@timestamp': at.toISOString(),
          entry_id: entry.id,
          transaction_id: entry.data.transaction_id,
          target_index: INDEXES.message,
          document_id: entry.id,
          error: reason,
          document: doc!.source,
        },
      });
    });

    it('records a null transaction id for a document without one', () => {
      const doc = { index: INDEXES.logs, id: 'e1', entryId: 'e1', source: { entry: { id: 'e1' } } };
      const reason = { status: 0, type: 'invalid_entry', reason: 'corrupt' };
      const letter = deadLetterDocument(doc, reason, INDEXES.deadLetter, new Date('2025-03-14T10:00:00Z'));
      expect(letter.source.transaction_id).toBeNull();
    });
  });
});
