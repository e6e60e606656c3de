import { BINARY_FIELDS, canonicalField, InputField, SurveyAnswers } from '../features/features';
import { laxInteger } from '../prediction/predict-request.dto';
import { validateSurveyAnswers, ValidationDetail } from '../prediction/survey-validation';
import type { ErrorKey } from './form.i18n';
import { isPlainObject } from '../common/is-plain-object';

export type BinaryField = (typeof BINARY_FIELDS)[number];

/** The reference UI refused to predict with fewer ticked boxes than this (of the 13). */
export const MIN_TICKED = 3;

/** Name of the model choice in the form body. */
export const MODEL_FIELD = 'model';

/** Where a problem is shown: next to an input, beside the boxes (the ticked-boxes rule), or for the whole form. */
export type ProblemTarget = InputField | typeof MODEL_FIELD | 'boxes' | 'form';

export interface FormProblem {
  target: ProblemTarget;
  key: ErrorKey;
  params?: Record<string, string | number>;
}

/** What was posted, as the page shows it again (answers kept). */
export interface FormValues {
  age: string;
  gender?: string;
  ticked: BinaryField[];
  model?: string;
}

export type FormSubmission =
  | { ok: true; answers: SurveyAnswers; model?: string; values: FormValues }
  | { ok: false; problems: FormProblem[]; values: FormValues };

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * A form body under the API's field names, as `validateSurveyAnswers` takes it: a box absent is 0 and a ticked one
 * ("on") is 1; any other value is passed on for validation to reject; empty age or gender is missing.
 */
export function answersBody(form: Record<string, unknown>): Record<string, unknown> {
  const byField = new Map<InputField, unknown>();
  for (const [key, value] of Object.entries(form)) {
    const field = canonicalField(key);
    if (field !== undefined && !byField.has(field)) {
      byField.set(field, value);
    }
  }
  const body: Record<string, unknown> = {
    AGE: blankToUndefined(byField.get('AGE')),
    GENDER: blankToUndefined(byField.get('GENDER')),
  };
  for (const field of BINARY_FIELDS) {
    const value = byField.get(field);
    body[field] = value === undefined ? 0 : value === 'on' ? 1 : value;
  }
  return body;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The model asked for; a value that is not one name (a hand-crafted `model[]=…`) is kept as JSON, to be refused. */
function modelChoice(value: unknown): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  return (typeof value === 'string' ? value : JSON.stringify(value)).trim() || undefined;
}

function valuesOf(form: Record<string, unknown>, body: Record<string, unknown>): FormValues {
  return {
    age: text(body.AGE) ?? '',
    gender: text(body.GENDER),
    ticked: BINARY_FIELDS.filter((f) => laxInteger(body[f]) === 1),
    model: modelChoice(form[MODEL_FIELD]),
  };
}

/** One validation problem as the form words it: per field, whatever pydantic-style type it came with. */
function problemOf(detail: ValidationDetail): FormProblem {
  const field = typeof detail.loc[1] === 'string' ? canonicalField(detail.loc[1]) : undefined;
  const missing = detail.type === 'missing';
  switch (field) {
    case undefined:
      return { target: 'form', key: 'formInvalid' };
    case 'AGE':
      return { target: field, key: missing ? 'ageRequired' : 'ageInvalid' };
    case 'GENDER':
      return { target: field, key: missing ? 'genderRequired' : 'genderInvalid' };
    default:
      return { target: field, key: 'boxInvalid' };
  }
}

/**
 * Reads a posted form: the answers through the API's own validation, the reference UI's ticked-boxes rule, and the
 * model choice among `modelNames`. Every problem is reported at once.
 */
export function readFormSubmission(form: unknown, modelNames: readonly string[]): FormSubmission {
  const fields = isPlainObject(form) ? form : {};
  const body = answersBody(fields);
  const values = valuesOf(fields, body);
  const validation = validateSurveyAnswers(body);
  const problems: FormProblem[] = validation.ok ? [] : validation.detail.map(problemOf);
  if (values.ticked.length < MIN_TICKED) {
    problems.push({
      target: 'boxes',
      key: 'notEnoughBoxes',
      params: { min: MIN_TICKED, count: values.ticked.length },
    });
  }
  if (values.model !== undefined && !modelNames.includes(values.model)) {
    problems.push({
      target: MODEL_FIELD,
      key: 'modelUnknown',
      params: { name: values.model, available: modelNames.join(', ') },
    });
  }
  if (!validation.ok || problems.length > 0) {
    return { ok: false, problems, values };
  }
  return { ok: true, answers: validation.answers, model: values.model, values };
}
