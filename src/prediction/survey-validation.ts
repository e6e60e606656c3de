import { validateSync, ValidationError } from 'class-validator';
import type { ValidationDetail } from '../common/api-errors';
import { canonicalField, INPUT_FIELDS, InputField, SurveyAnswers } from '../features/features';
import { laxInteger, PredictRequestDto } from './predict-request.dto';
import { isPlainObject } from '../common/is-plain-object';

export type { ValidationDetail } from '../common/api-errors';

export type SurveyValidation =
  { ok: true; answers: SurveyAnswers } | { ok: false; detail: ValidationDetail[] };

interface RuleContext {
  type: string;
  ctx?: Record<string, unknown>;
}

/**
 * The answers under their canonical names, and the key each came under (for error locations). The canonical
 * spelling wins over an alternative one (`ALCOHOL_CONSUMING`) when a body has both; unknown keys are dropped.
 */
function canonicalise(body: Record<string, unknown>): {
  values: Partial<Record<InputField, unknown>>;
  keys: Map<InputField, string>;
} {
  const values: Partial<Record<InputField, unknown>> = {};
  const keys = new Map<InputField, string>();
  const entries = Object.entries(body);
  const exact = entries.filter(([key]) => (INPUT_FIELDS as readonly string[]).includes(key));
  const others = entries.filter(([key]) => !(INPUT_FIELDS as readonly string[]).includes(key));
  for (const [key, value] of [...exact, ...others]) {
    const field = canonicalField(key);
    if (field !== undefined && !keys.has(field)) {
      values[field] = value;
      keys.set(field, key);
    }
  }
  return { values, keys };
}

/** A body that is not a JSON object, as pydantic reports it. */
function notAnObject(body: unknown): ValidationDetail {
  return {
    type: 'model_attributes_type',
    loc: ['body'],
    msg: 'Input should be a valid dictionary or object to extract fields from',
    input: body,
  };
}

/** An integer-rule violation reported as pydantic would, from what was actually sent. */
function integerProblem(raw: unknown): Pick<ValidationDetail, 'type' | 'msg'> {
  if (typeof raw === 'number' && !Number.isFinite(raw)) {
    return { type: 'finite_number', msg: 'Input should be a finite number' };
  }
  if (typeof raw === 'number') {
    return {
      type: 'int_from_float',
      msg: 'Input should be a valid integer, got a number with a fractional part',
    };
  }
  if (typeof raw === 'string') {
    return {
      type: 'int_parsing',
      msg: 'Input should be a valid integer, unable to parse string as an integer',
    };
  }
  return { type: 'int_type', msg: 'Input should be a valid integer' };
}

function toDetail(
  error: ValidationError,
  body: Record<string, unknown>,
  values: Partial<Record<string, unknown>>,
  keys: Map<InputField, string>,
): ValidationDetail {
  const field = error.property as InputField;
  const raw = values[field];
  const loc = ['body', keys.get(field) ?? field];
  const failed = Object.keys(error.constraints ?? {});
  if (raw === undefined) {
    return { type: 'missing', loc, msg: 'Field required', input: body };
  }
  if (failed.includes('isInt')) {
    const { type, msg } = integerProblem(raw);
    return { type, loc, msg, input: raw };
  }
  const rule = failed.find((name) => name !== 'isDefined') ?? failed[0];
  const context = (error.contexts?.[rule] ?? { type: 'value_error' }) as RuleContext;
  return {
    type: context.type,
    loc,
    msg: error.constraints?.[rule] ?? 'Invalid value',
    input: raw,
    ...(context.ctx ? { ctx: context.ctx } : {}),
  };
}

/**
 * The one validation of the 15 survey answers (JSON API and HTML form): the reference's spellings and lax integer
 * coercion, the PredictRequestDto rules, and every problem at once in FastAPI's 422 `detail` shape.
 */
export function validateSurveyAnswers(body: unknown): SurveyValidation {
  if (body === undefined) {
    return { ok: false, detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] };
  }
  if (!isPlainObject(body)) {
    return { ok: false, detail: [notAnObject(body)] };
  }
  const { values, keys } = canonicalise(body);
  // The DTO is filled by hand, not by class-transformer: it would try to construct a nested object's `constructor`
  // key (`{"AGE":{"constructor":1}}` crashed it with a 500). Only the 15 answers are copied, coerced as pydantic does.
  const dto = new PredictRequestDto();
  for (const field of INPUT_FIELDS) {
    if (field in values) {
      Object.assign(dto, { [field]: laxInteger(values[field]) });
    }
  }
  const errors = validateSync(dto, { forbidUnknownValues: true });
  if (errors.length > 0) {
    return { ok: false, detail: errors.map((e) => toDetail(e, body, values, keys)) };
  }
  const answers = Object.fromEntries(INPUT_FIELDS.map((f) => [f, dto[f]])) as SurveyAnswers;
  return { ok: true, answers };
}

export type BatchValidation = { ok: true; rows: SurveyAnswers[] } | { ok: false; detail: ValidationDetail[] };

/**
 * `{"instances": [answers, …]}` with 1 to `maxRows` rows, each validated as a single prediction's body. Every problem
 * of every row is reported, located as `["body", "instances", i, field]`; one bad row refuses the whole batch.
 */
export function validateBatch(body: unknown, maxRows: number): BatchValidation {
  if (!isPlainObject(body)) {
    return { ok: false, detail: [notAnObject(body ?? null)] };
  }
  const instances = body.instances;
  const loc = ['body', 'instances'];
  if (instances === undefined) {
    return { ok: false, detail: [{ type: 'missing', loc, msg: 'Field required', input: body }] };
  }
  if (!Array.isArray(instances)) {
    return {
      ok: false,
      detail: [{ type: 'list_type', loc, msg: 'Input should be a valid list', input: instances }],
    };
  }
  if (instances.length === 0 || instances.length > maxRows) {
    const tooShort = instances.length === 0;
    return {
      ok: false,
      detail: [
        {
          type: tooShort ? 'too_short' : 'too_long',
          loc,
          msg: tooShort
            ? 'List should have at least 1 item after validation, not 0'
            : `List should have at most ${maxRows} items after validation, not ${instances.length}`,
          input: tooShort ? instances : `${instances.length} items`,
          ctx: tooShort ? { min_length: 1 } : { max_length: maxRows },
        },
      ],
    };
  }
  const rows: SurveyAnswers[] = [];
  const detail: ValidationDetail[] = [];
  instances.forEach((instance: unknown, i) => {
    const result = validateSurveyAnswers(instance);
    if (result.ok) {
      rows.push(result.answers);
    } else {
      detail.push(...result.detail.map((d) => ({ ...d, loc: [...loc, i, ...d.loc.slice(1)] })));
    }
  });
  return detail.length > 0 ? { ok: false, detail } : { ok: true, rows };
}
