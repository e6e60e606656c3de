import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SurveyAnswers } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import { EXAMPLE_REQUEST } from '../prediction/predict-request.dto';
import {
  BINARY_INPUTS,
  cardReference,
  parseReferenceChoice,
  ReferenceError,
  windowReference,
} from './drift.reference';
import type { WindowRow } from './drift.window';

const card = JSON.parse(
  readFileSync(join(__dirname, '../../model/logistic_regression.card.json'), 'utf8'),
) as ModelCard;

describe(cardReference.name, () => {
  it('is the training data of the card: every age with its count, the ones of each answer, the decisions', () => {
    const reference = cardReference(card);
    const dist = card.reference_distribution;
    const age = dist.inputs.AGE as { values: number[]; counts: number[]; bin_edges: number[] };
    expect(reference).toEqual({
      id: `card:logistic_regression@${card.version}`,
      kind: 'card',
      model: `logistic_regression@${card.version}`,
      rows: dist.rows,
      age: { values: age.values, counts: age.counts, bin_edges: age.bin_edges },
      ones: Object.fromEntries(BINARY_INPUTS.map((f) => [f, (dist.inputs[f] as { ones: number }).ones])),
      predictions: { rows: dist.rows, positive_rate: dist.predicted_positive_rate },
      created_at: card.created_at,
    });
    expect(BINARY_INPUTS).toHaveLength(14);
    expect(BINARY_INPUTS).not.toContain('AGE');
  });

  const edited = (edit: (inputs: Record<string, Record<string, unknown>>) => void): ModelCard => {
    const copy = JSON.parse(JSON.stringify(card)) as ModelCard;
    edit(copy.reference_distribution.inputs as unknown as Record<string, Record<string, unknown>>);
    return copy;
  };

  it.each([
    ['AGE as a binary input', (i: Record<string, Record<string, unknown>>) => (i.AGE!.kind = 'binary')],
    ['AGE without its values', (i: Record<string, Record<string, unknown>>) => delete i.AGE!.values],
    ['AGE without its counts', (i: Record<string, Record<string, unknown>>) => (i.AGE!.counts = 'many')],
  ])('refuses a card with %s, saying to retrain', (_what, edit) => {
    expect(() => cardReference(edited(edit))).toThrow(
      new ReferenceError(
        `the card of logistic_regression@${card.version} has no AGE counts (reference_distribution.inputs.AGE.values): retrain it with npm run train`,
      ),
    );
  });

  it.each([
    ['without its count of ones', (i: Record<string, Record<string, unknown>>) => delete i.SMOKING!.ones],
    ['as a histogram', (i: Record<string, Record<string, unknown>>) => (i.SMOKING!.kind = 'histogram')],
  ])('refuses a card with an answer %s, naming it', (_what, edit) => {
    const error = (() => {
      try {
        cardReference(edited(edit));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ReferenceError);
    expect(error?.name).toBe('ReferenceError');
    expect(error?.message).toBe(
      `the card of logistic_regression@${card.version} has no count of ones for SMOKING: retrain it with npm run train`,
    );
  });
});

describe(windowReference.name, () => {
  const row = (answers: Partial<SurveyAnswers>, prediction: 0 | 1, model: string | null): WindowRow => ({
    answers: { ...EXAMPLE_REQUEST, ...answers } as SurveyAnswers,
    prediction,
    model,
    timestamp: '2026-12-01T08:00:00.000Z',
  });
  const window = { from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' };

  it('counts the ages and the ones of the window, and the decisions of the model among its own rows', () => {
    const rows = [
      row({ AGE: 60, SMOKING: 0 }, 1, 'lr@1'),
      row({ AGE: 70 }, 0, 'lr@1'),
      row({ AGE: 60 }, 1, 'lr@1'),
      row({ AGE: 50, SMOKING: 0 }, 1, 'rf@2'),
    ];
    const reference = windowReference(
      rows,
      window,
      'lr@1',
      [0, 50, 100],
      3,
      new Date('2026-12-03T00:00:00Z'),
    );
    expect(reference).toEqual({
      id: 'window:2026-12-01T00:00:00.000Z/2026-12-02T00:00:00.000Z',
      kind: 'window',
      model: 'lr@1',
      rows: 4,
      age: { values: [50, 60, 70], counts: [1, 2, 1], bin_edges: [0, 50, 100] },
      ones: Object.fromEntries(
        BINARY_INPUTS.map((f) => [
          f,
          f === 'SMOKING' ? 2 : (EXAMPLE_REQUEST as Record<string, number>)[f]! * 4,
        ]),
      ),
      predictions: { rows: 3, positive_rate: 2 / 3 },
      window,
      created_at: '2026-12-03T00:00:00.000Z',
    });
  });

  it('has no decisions to compare below the minimum of the model’s rows', () => {
    const rows = [row({}, 1, 'lr@1'), row({}, 1, 'rf@2'), row({}, 1, 'rf@2')];
    expect(windowReference(rows, window, 'lr@1', [0, 100], 2).predictions).toBeNull();
    expect(windowReference(rows, window, 'rf@2', [0, 100], 2).predictions).toEqual({
      rows: 2,
      positive_rate: 1,
    });
  });

  it('is dated now by default, and copies the bin edges', () => {
    const edges = [0, 100];
    const reference = windowReference([row({}, 0, 'lr@1')], window, 'lr@1', edges, 1);
    expect(Math.abs(Date.parse(reference.created_at) - Date.now())).toBeLessThan(5000);
    expect(reference.age.bin_edges).not.toBe(edges);
    expect(reference.predictions).toEqual({ rows: 1, positive_rate: 0 });
  });
});

describe(parseReferenceChoice.name, () => {
  it.each(['card', 'default'])('takes {"reference": "%s"}', (kind) => {
    expect(parseReferenceChoice({ reference: kind, from: 'ignored' })).toEqual({
      ok: true,
      choice: { kind },
    });
  });

  it('takes a window, its times normalised to UTC', () => {
    expect(
      parseReferenceChoice({
        reference: 'window',
        from: '2026-12-01T08:00+01:00',
        to: '2026-12-01T09:30:15.5Z',
      }),
    ).toEqual({
      ok: true,
      choice: { kind: 'window', from: '2026-12-01T07:00:00.000Z', to: '2026-12-01T09:30:15.500Z' },
    });
  });

  it.each([
    [[1], { loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: [1] }],
    [null, { loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: null }],
    [{}, { loc: ['body', 'reference'], msg: 'Field required', type: 'missing' }],
    [
      { reference: 'yesterday' },
      {
        loc: ['body', 'reference'],
        msg: "Input should be 'card', 'window' or 'default'",
        type: 'literal_error',
        input: 'yesterday',
        ctx: { expected: "'card', 'window' or 'default'" },
      },
    ],
  ])('refuses %j', (body, detail) => {
    expect(parseReferenceChoice(body)).toEqual({ ok: false, detail: [detail] });
  });

  it('says which times of a window are missing or not date-times with a zone', () => {
    expect(parseReferenceChoice({ reference: 'window' })).toEqual({
      ok: false,
      detail: [
        { loc: ['body', 'from'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'to'], msg: 'Field required', type: 'missing' },
      ],
    });
    const invalid = (input: unknown) => ({
      loc: ['body', 'to'],
      msg: 'Input should be a valid datetime (ISO-8601 with a time zone)',
      type: 'datetime_parsing',
      input,
    });
    for (const to of [
      '2026-12-01T09:00:00',
      '2026-12-01',
      'x2026-12-01T09:00:00Z',
      '2026-12-01T09:00:00Zx',
      5,
    ]) {
      expect(parseReferenceChoice({ reference: 'window', from: '2026-12-01T08:00:00Z', to })).toEqual({
        ok: false,
        detail: [invalid(to)],
      });
    }
    expect(
      parseReferenceChoice({ reference: 'window', from: '2026-12-01T08:00:00Z', to: '2026-13-45T09:00:00Z' }),
    ).toMatchObject({ ok: false, detail: [{ type: 'datetime_parsing' }] });
  });

  it('refuses a window that does not end after it starts', () => {
    for (const to of ['2026-12-01T08:00:00Z', '2026-12-01T07:59:59Z']) {
      expect(parseReferenceChoice({ reference: 'window', from: '2026-12-01T08:00:00Z', to })).toEqual({
        ok: false,
        detail: [
          { loc: ['body', 'to'], msg: 'Value error, to must be after from', type: 'value_error', input: to },
        ],
      });
    }
  });
});
