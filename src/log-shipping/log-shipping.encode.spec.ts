import {
  driftEvaluation,
  predictionEntry,
  validationErrorEntry,
} from '../../test/support/log-shipping/entries';
import { storedEntry } from '../log-store/log-entry';
import { documentsForEntry, driftDocuments, type ShippingIndexes } from './log-shipping.documents';
import { decodeDoc, encodeBatch, encodeDocs } from './log-shipping.encode';

const INDEXES: ShippingIndexes = {
  logs: 'ml-api-logs',
  message: 'ml-api-message',
  perfs: 'ml-api-perfs',
  topFunc: 'ml-api-top-func',
  deadLetter: 'ml-api-deadletter',
  drift: 'ml-api-drift',
};

const queued = (json: string, queueId = '1', redelivered = false) => ({ queueId, json, redelivered });

describe(encodeDocs.name, () => {
  it('writes each document as an index action and its source, grouped by index and day, in order within', () => {
    const early = predictionEntry({ timestamp: '2025-03-14T23:00:00.000Z' });
    const late = predictionEntry({ timestamp: '2025-03-15T01:00:00.000Z' });
    const docs = [late, early].flatMap((e) => documentsForEntry(e, INDEXES));
    const { body, docs: encoded } = encodeDocs(docs);
    expect(encoded.map((d) => `${d.index} ${String(d.timestamp).slice(0, 10)}`)).toEqual(
      [...encoded.map((d) => `${d.index} ${String(d.timestamp).slice(0, 10)}`)].sort(),
    );
    // Every slice is one document's action and source lines; the slices tile the body.
    encoded.forEach((d, i) => {
      const [action, source, rest] = body.slice(d.start, d.end).split('\n');
      expect(JSON.parse(action!)).toEqual({ index: { _index: d.index, _id: d.id } });
      expect(JSON.parse(source!)).toEqual(
        docs.find((doc) => doc.id === d.id && doc.index === d.index)!.source,
      );
      expect(rest).toBe('');
      expect(d.start).toBe(i === 0 ? 0 : encoded[i - 1]!.end);
    });
    expect(encoded.at(-1)!.end).toBe(body.length);
    expect(encodeDocs([])).toEqual({ body: '', docs: [] });
  });

  it('gives back each document from its slice (decodeDoc)', () => {
    const docs = documentsForEntry(predictionEntry(), INDEXES);
    const { body, docs: encoded } = encodeDocs(docs);
    for (const d of encoded) {
      expect(decodeDoc(d, body)).toEqual(docs.find((doc) => doc.id === d.id && doc.index === d.index));
    }
  });
});

describe(encodeBatch.name, () => {
  it('encodes log entries and drift evaluations, carrying each one’s entry id and redelivery', () => {
    const entry = predictionEntry();
    const evaluation = driftEvaluation();
    const batch = encodeBatch(
      [queued(storedEntry(entry).json, 'q1', true), queued(JSON.stringify(evaluation), 'q2')],
      INDEXES,
    );
    expect(batch.entryIds).toEqual([entry.id, evaluation.id]);
    expect(batch.refused).toEqual([]);
    const expected = [...documentsForEntry(entry, INDEXES), ...driftDocuments(evaluation, INDEXES.drift)];
    expect(batch.docs).toHaveLength(expected.length);
    expect(new Set(batch.docs.map((d) => `${d.index}/${d.id}`))).toEqual(
      new Set(expected.map((d) => `${d.index}/${d.id}`)),
    );
    expect(batch.docs.filter((d) => d.redelivered).map((d) => d.entryId)).toEqual(
      documentsForEntry(entry, INDEXES).map(() => entry.id),
    );
  });

  it('refuses, to be dead-lettered as it is, what is not JSON or not an entry, keeping the rest', () => {
    const good = validationErrorEntry();
    const batch = encodeBatch(
      [
        queued('{"id":"broken"', 'q1'),
        queued('{"id":"odd","level":"INFO"}', 'q2'),
        queued(storedEntry(good).json, 'q3'),
      ],
      INDEXES,
    );
    expect(batch.entryIds).toEqual(['q1', 'odd', good.id]);
    expect(batch.refused.map((r) => [r.doc.id, r.doc.index, r.reason.type])).toEqual([
      ['q1', INDEXES.logs, 'invalid_entry'],
      ['odd', INDEXES.logs, 'invalid_entry'],
    ]);
    expect(batch.refused[0]!.doc.source).toEqual({ entry: '{"id":"broken"' });
    expect(batch.refused[1]!.doc.source).toEqual({ entry: { id: 'odd', level: 'INFO' } });
    expect(batch.docs.map((d) => d.entryId)).toEqual([good.id]);
  });
});
