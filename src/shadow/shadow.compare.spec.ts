import { predictionEntry, shadow } from '../../test/support/log-shipping/entries';
import type { LogEntry, ShadowOutcome } from '../log-store/log-entry';
import { compareShadow, LISTED_DISAGREEMENTS } from './shadow.compare';
import type { ShadowCounters } from './shadow.service';

const COUNTERS: ShadowCounters = { model: 'random_forest', ran: 40, dropped: 2, failed: 1, disagreed: 3 };

/** A served prediction (p1 `probability`, decision `prediction`) with its shadow outcome, at second `second`. */
function entry(
  second: number,
  served: { prediction: number | null; probability: number | null } | null,
  outcome: Partial<ShadowOutcome> | null,
): LogEntry {
  return predictionEntry({
    timestamp: new Date(Date.UTC(2026, 11, 1, 8, 0, second)).toISOString(),
    data: {
      transaction_id: `t${second}`,
      result: served === null ? { detail: 'refused' } : { ...served, risk_level: 'high' },
      shadow: outcome === null ? null : shadow(outcome),
    },
  });
}

describe(compareShadow.name, () => {
  it('compares the shadowed predictions of the window: agreement, mean probability gap, disagreements', () => {
    const newestFirst = [
      entry(9, { prediction: 1, probability: 0.9 }, { prediction: 1, probability: 0.8 }),
      entry(8, { prediction: 1, probability: 0.6 }, { prediction: 0, probability: 0.3 }),
      entry(7, { prediction: 0, probability: 0.2 }, { prediction: 0, probability: 0.2 }),
      entry(6, { prediction: 0, probability: 0.1 }, { prediction: 1, probability: 0.7 }),
    ];
    expect(compareShadow(newestFirst, 10, COUNTERS)).toEqual({
      shadow_model: 'random_forest',
      window: 10,
      compared: 4,
      dropped: 0,
      failed: 0,
      agreement_rate: 0.5,
      // (0.1 + 0.3 + 0 + 0.6) / 4
      mean_abs_probability_difference: 0.25,
      disagreement_count: 2,
      disagreements: [
        {
          timestamp: '2026-12-01T08:00:08.000Z',
          transaction_id: 't8',
          served: { model: 'logistic_regression@da1e024228f7', prediction: 1, probability: 0.6 },
          shadow: { model: 'random_forest@4c1f9a0e27d3', prediction: 0, probability: 0.3 },
        },
        {
          timestamp: '2026-12-01T08:00:06.000Z',
          transaction_id: 't6',
          served: { model: 'logistic_regression@da1e024228f7', prediction: 0, probability: 0.1 },
          shadow: { model: 'random_forest@4c1f9a0e27d3', prediction: 1, probability: 0.7 },
        },
      ],
      since_start: COUNTERS,
    });
  });

  it('takes the newest `window` shadowed entries, skipping the entries without a shadow outcome', () => {
    const newestFirst = [
      entry(9, { prediction: 1, probability: 0.9 }, null),
      entry(8, { prediction: 1, probability: 0.9 }, { prediction: 0, probability: 0.1 }),
      entry(7, { prediction: 1, probability: 0.9 }, { status: 'dropped', prediction: undefined }),
      entry(6, { prediction: 1, probability: 0.9 }, { prediction: 1, probability: 0.9 }),
      entry(5, { prediction: 1, probability: 0.9 }, { prediction: 0, probability: 0.1 }),
    ];
    const comparison = compareShadow(newestFirst, 3, COUNTERS);
    expect(comparison).toMatchObject({ compared: 2, dropped: 1, failed: 0, agreement_rate: 0.5 });
    expect(comparison.disagreements.map((d) => d.transaction_id)).toEqual(['t8']);
  });

  it('counts dropped and failed runs apart, and compares none of them', () => {
    const newestFirst = [
      entry(9, { prediction: 1, probability: 0.9 }, { status: 'dropped', prediction: undefined }),
      entry(8, { prediction: 1, probability: 0.9 }, { status: 'failed', prediction: undefined }),
      entry(7, { prediction: 1, probability: 0.9 }, { status: 'failed', probability: undefined }),
      // A run marked failed that still carries an answer is not compared either.
      entry(6, { prediction: 1, probability: 0.9 }, { status: 'failed', prediction: 0, probability: 0.1 }),
    ];
    expect(compareShadow(newestFirst, 10, COUNTERS)).toMatchObject({
      compared: 0,
      dropped: 1,
      failed: 3,
      agreement_rate: null,
      mean_abs_probability_difference: null,
      disagreement_count: 0,
      disagreements: [],
    });
  });

  it('leaves out an outcome without its decision or probability, and a served answer without either', () => {
    const newestFirst = [
      entry(9, { prediction: 1, probability: 0.9 }, { prediction: undefined }),
      entry(8, { prediction: 1, probability: 0.9 }, { probability: undefined }),
      entry(7, { prediction: null, probability: 0.9 }, { prediction: 0 }),
      entry(6, { prediction: 1, probability: null }, { prediction: 0 }),
      entry(5, null, { prediction: 0 }),
      entry(4, { prediction: 1, probability: 0.75 }, { prediction: 1, probability: 0.5 }),
    ];
    expect(compareShadow(newestFirst, 10, COUNTERS)).toMatchObject({
      compared: 1,
      agreement_rate: 1,
      mean_abs_probability_difference: 0.25,
      disagreement_count: 0,
    });
  });

  it('rounds the rates to 6 decimals', () => {
    const newestFirst = [
      entry(9, { prediction: 1, probability: 0.9 }, { prediction: 1, probability: 0.8 }),
      entry(8, { prediction: 1, probability: 0.9 }, { prediction: 1, probability: 0.9 }),
      entry(7, { prediction: 1, probability: 0.9 }, { prediction: 0, probability: 0.4 }),
    ];
    expect(compareShadow(newestFirst, 10, COUNTERS)).toMatchObject({
      agreement_rate: 0.666667,
      mean_abs_probability_difference: 0.2,
    });
  });

  it(`counts every disagreement but lists the newest ${LISTED_DISAGREEMENTS}`, () => {
    const newestFirst = Array.from({ length: LISTED_DISAGREEMENTS + 5 }, (_, i) =>
      entry(59 - i, { prediction: 1, probability: 0.9 }, { prediction: 0, probability: 0.1 }),
    );
    const comparison = compareShadow(newestFirst, 100, COUNTERS);
    expect(comparison.disagreement_count).toBe(LISTED_DISAGREEMENTS + 5);
    expect(comparison.disagreements).toHaveLength(LISTED_DISAGREEMENTS);
    expect(comparison.disagreements[0]!.transaction_id).toBe('t59');
    expect(comparison.disagreements.at(-1)!.transaction_id).toBe(`t${59 - LISTED_DISAGREEMENTS + 1}`);
  });

  it('says which shadow model it compared, none without SHADOW_MODEL', () => {
    const none = { model: null, ran: 0, dropped: 0, failed: 0, disagreed: 0 };
    expect(compareShadow([], 500, none)).toEqual({
      shadow_model: null,
      window: 500,
      compared: 0,
      dropped: 0,
      failed: 0,
      agreement_rate: null,
      mean_abs_probability_difference: null,
      disagreement_count: 0,
      disagreements: [],
      since_start: none,
    });
  });
});
