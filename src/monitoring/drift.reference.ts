import type { ValidationDetail } from '../common/api-errors';
import { isPlainObject } from '../common/is-plain-object';
import { INPUT_FIELDS, type InputField } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import { valueCounts, type ValueCounts } from './drift.statistics';
import type { WindowRow } from './drift.window';

/** GENDER and the 13 yes/no answers. */
export type BinaryInput = Exclude<InputField, 'AGE'>;
export const BINARY_INPUTS = INPUT_FIELDS.filter((f): f is BinaryInput => f !== 'AGE');

/**
 * What drift is judged against, as a sample: the default model's training data (its card) or a stored window of
 * production traffic. Counts, not shares, so that every test accounts for the reference's own size.
 */
export interface DriftReference {
  /** `card:<name>@<version>`, or `window:<from>/<to>` (ISO-8601 times). */
  id: string;
  kind: 'card' | 'window';
  /** The model (`<name>@<version>`) whose decisions prediction drift compares. */
  model: string;
  /** Rows (patients) the reference holds. */
  rows: number;
  /** AGE: every distinct value with its count, and the bins PSI and the charts use. */
  age: ValueCounts & { bin_edges: number[] };
  /** Rows answering 1, per 0/1 input. */
  ones: Record<BinaryInput, number>;
  /** The share of positive decisions of `model`, out of `rows` patients; null when the window had too few. */
  predictions: { rows: number; positive_rate: number } | null;
  /** A window reference: the time span it was read from. */
  window?: { from: string; to: string };
  created_at: string;
}

/** A card whose reference distribution lacks what the tests need (a card older than this version). */
export class ReferenceError extends Error {
  override name = 'ReferenceError';
}

/** The training data of a model card as a drift reference. */
export function cardReference(card: ModelCard): DriftReference {
  const reference = card.reference_distribution;
  const age = reference.inputs.AGE;
  if (age.kind !== 'histogram' || !Array.isArray(age.values) || !Array.isArray(age.counts)) {
    throw new ReferenceError(
      `the card of ${card.name}@${card.version} has no AGE counts (reference_distribution.inputs.AGE.values): retrain it with npm run train`,
    );
  }
  const ones = {} as Record<BinaryInput, number>;
  for (const field of BINARY_INPUTS) {
    const input = reference.inputs[field];
    if (input.kind !== 'binary' || typeof input.ones !== 'number') {
      throw new ReferenceError(
        `the card of ${card.name}@${card.version} has no count of ones for ${field}: retrain it with npm run train`,
      );
    }
    ones[field] = input.ones;
  }
  return {
    id: `card:${card.name}@${card.version}`,
    kind: 'card',
    model: `${card.name}@${card.version}`,
    rows: reference.rows,
    age: { values: age.values, counts: age.counts, bin_edges: age.bin_edges },
    ones,
    predictions: { rows: reference.rows, positive_rate: reference.predicted_positive_rate },
    created_at: card.created_at,
  };
}

/**
 * A window of production predictions as a drift reference: their answers, and the share of positive decisions of
 * `model` among the rows that model answered (null below `minRows` of them).
 */
export function windowReference(
  rows: readonly WindowRow[],
  window: { from: string; to: string },
  model: string,
  binEdges: readonly number[],
  minRows: number,
  now: Date = new Date(),
): DriftReference {
  const ones = Object.fromEntries(
    BINARY_INPUTS.map((f) => [f, rows.filter((r) => r.answers[f] === 1).length]),
  ) as Record<BinaryInput, number>;
  const byModel = rows.filter((r) => r.model === model);
  return {
    id: `window:${window.from}/${window.to}`,
    kind: 'window',
    model,
    rows: rows.length,
    age: { ...valueCounts(rows.map((r) => r.answers.AGE)), bin_edges: [...binEdges] },
    ones,
    predictions:
      byModel.length >= minRows
        ? {
            rows: byModel.length,
            positive_rate: byModel.filter((r) => r.prediction === 1).length / byModel.length,
          }
        : null,
    window,
    created_at: now.toISOString(),
  };
}

/** What POST /drift/reference asks for. */
export type ReferenceChoiceRequest =
  { kind: 'card' } | { kind: 'default' } | { kind: 'window'; from: string; to: string };

const CHOICES = ['card', 'window', 'default'] as const;

/** The body of POST /drift/reference, checked; every problem located as FastAPI would. */
export function parseReferenceChoice(
  body: unknown,
): { ok: true; choice: ReferenceChoiceRequest } | { ok: false; detail: ValidationDetail[] } {
  if (!isPlainObject(body)) {
    return {
      ok: false,
      detail: [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: body }],
    };
  }
  const kind = body.reference;
  if (kind === undefined) {
    return { ok: false, detail: [{ loc: ['body', 'reference'], msg: 'Field required', type: 'missing' }] };
  }
  if (!CHOICES.includes(kind as (typeof CHOICES)[number])) {
    return {
      ok: false,
      detail: [
        {
          loc: ['body', 'reference'],
          msg: "Input should be 'card', 'window' or 'default'",
          type: 'literal_error',
          input: kind,
          ctx: { expected: "'card', 'window' or 'default'" },
        },
      ],
    };
  }
  if (kind !== 'window') {
    return { ok: true, choice: { kind: kind as 'card' | 'default' } };
  }
  const detail: ValidationDetail[] = [];
  const times: Record<'from' | 'to', string> = { from: '', to: '' };
  for (const field of ['from', 'to'] as const) {
    const value = body[field];
    const ms = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
    if (value === undefined) {
      detail.push({ loc: ['body', field], msg: 'Field required', type: 'missing' });
    } else if (Number.isNaN(ms)) {
      detail.push({
        loc: ['body', field],
        msg: 'Input should be a valid datetime (ISO-8601 with a time zone)',
        type: 'datetime_parsing',
        input: value,
      });
    } else {
      times[field] = new Date(ms).toISOString();
    }
  }
  if (detail.length === 0 && times.from >= times.to) {
    detail.push({
      loc: ['body', 'to'],
      msg: 'Value error, to must be after from',
      type: 'value_error',
      input: body.to,
    });
  }
  return detail.length > 0 ? { ok: false, detail } : { ok: true, choice: { kind: 'window', ...times } };
}

/** A date-time with a zone (Z or ±hh:mm), so that the window means the same on every replica. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
