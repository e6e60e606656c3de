import type { InputField } from '../features/features';
import type { ModelSummary } from '../model-pool/model-registry';
import { AnswerContribution, strongestAnswers } from '../explanation/explanation.answers';
import type { Prediction } from '../prediction/prediction.decision';
import type { RiskLevel } from '../prediction/risk-level';
import { format, Language, LANGUAGES, LOCALES, Messages, MESSAGES } from './form.i18n';
import {
  BinaryField,
  FormProblem,
  FormValues,
  MIN_TICKED,
  MODEL_FIELD,
  ProblemTarget,
} from './form.submission';

/** The 13 boxes in the reference UI's groups and order. */
export const BOX_GROUPS: readonly {
  id: 'behaviour' | 'physical' | 'respiratory' | 'other';
  fields: BinaryField[];
}[] = [
  { id: 'behaviour', fields: ['SMOKING', 'ALCOHOL CONSUMING', 'PEER_PRESSURE'] },
  { id: 'physical', fields: ['YELLOW_FINGERS', 'ANXIETY', 'FATIGUE', 'ALLERGY'] },
  { id: 'respiratory', fields: ['WHEEZING', 'COUGHING', 'SHORTNESS OF BREATH'] },
  { id: 'other', fields: ['SWALLOWING DIFFICULTY', 'CHEST PAIN', 'CHRONIC DISEASE'] },
];

/** The reference UI's age slider range; the number input beside it takes any 0–120. */
export const AGE_SLIDER = { min: 20, max: 80 } as const;
export const AGE_RANGE = { min: 0, max: 120 } as const;
/**
 * Where the age slider starts while no age is given. The age itself starts empty and is required: a forgotten age
 * must be an error, not silently some default.
 */
const SLIDER_START = '50';

/** A service-side failure shown instead of a result (the answers were valid). */
export type FormFailure = { kind: 'busy' } | { kind: 'internal' };

export interface FormPageInput {
  lang: Language;
  models: ModelSummary[];
  values?: FormValues;
  problems?: FormProblem[];
  prediction?: Prediction;
  failure?: FormFailure;
  transactionId: string;
  version: string;
}

interface ErrorSlot {
  id: string;
  message: string | null;
}

interface Choice {
  id: string;
  value: string;
  label: string;
  checked: boolean;
}

export interface ResultView {
  level: RiskLevel;
  heading: string;
  probability: string;
  /** Marker position on the gauge, e.g. `87.3%` (an SVG attribute, so not subject to the page's style policy). */
  marker: string;
  gaugeLabel: string;
  model: string;
  modelId: string;
  threshold: string;
  decision: string;
  transactionId: string;
  /** The answers that raised and lowered the output most (up to DRIVERS each), worded; null without one. */
  drivers: DriversView | null;
}

export interface DriversView {
  raising: DriverView[];
  lowering: DriverView[];
  note: string;
}

export interface DriverView {
  /** `Toux persistante`, `Âge : 65 ans`, `Fumeur : non`. */
  text: string;
  /** The contribution, signed, on the explanation's scale (for the title attribute). */
  amount: string;
}

/** Answers shown on each side of the explanation. */
export const DRIVERS = 3;

/** Everything the templates show, already worded and formatted: the templates hold no logic but loops and ifs. */
export interface FormPageModel {
  lang: Language;
  t: Messages;
  title: string;
  version: string;
  action: string;
  languages: { code: Language; name: string; href: string; current: boolean }[];
  form: { error: ErrorSlot };
  age: {
    id: string;
    value: string;
    min: number;
    max: number;
    sliderMin: number;
    sliderMax: number;
    sliderValue: string;
    describedBy: string;
    error: ErrorSlot;
  };
  gender: { id: string; options: Choice[]; error: ErrorSlot };
  boxes: { ticked: string; error: ErrorSlot };
  groups: {
    id: string;
    legend: string;
    items: (Choice & { error: ErrorSlot; describedBy: string | null })[];
  }[];
  models: { options: (Choice & { detail: string; isDefault: boolean })[]; error: ErrorSlot };
  result: ResultView | null;
  errorSummary: { items: { href: string; text: string }[] } | null;
  failure: string | null;
}

/** An id usable in HTML and URLs for a field name (`CHRONIC DISEASE` → `f-chronic-disease`). */
export function fieldId(field: InputField | typeof MODEL_FIELD): string {
  return `f-${field.toLowerCase().replace(/[\s_]+/g, '-')}`;
}

const errorId = (target: ProblemTarget): string =>
  `${target === 'boxes' || target === 'form' ? target : fieldId(target)}-error`;

/** Where the error summary links to for a problem: the input itself, the first box, or the form. */
function anchorOf(target: ProblemTarget): string {
  if (target === 'boxes') {
    return `#${fieldId('SMOKING')}`;
  }
  if (target === 'form') {
    return '#survey';
  }
  if (target === 'GENDER') {
    return `#${fieldId('GENDER')}-0`;
  }
  if (target === MODEL_FIELD) {
    return '#group-model';
  }
  return `#${fieldId(target)}`;
}

function percent(lang: Language, value: number): string {
  return new Intl.NumberFormat(LOCALES[lang], {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(value);
}

function decimal(lang: Language, value: number): string {
  return new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 3 }).format(value);
}

function resultView(
  t: Messages,
  lang: Language,
  p: Prediction,
  transactionId: string,
  family: string,
): ResultView {
  const probability = percent(lang, p.probability);
  return {
    level: p.risk_level,
    heading: format(t.riskHeading, { level: t.levels[p.risk_level] }),
    probability,
    marker: `${(Math.min(Math.max(p.probability, 0), 1) * 100).toFixed(1)}%`,
    gaugeLabel: format(t.gaugeLabel, { probability }),
    model: family,
    modelId: p.model,
    threshold: percent(lang, p.threshold),
    decision: p.prediction === 1 ? t.decisions.positive : t.decisions.negative,
    transactionId,
    drivers: p.explanation ? driversView(t, lang, p.explanation) : null,
  };
}

/**
 * An answer in words: a ticked box by its label alone when it raised the risk (`Toux persistante`), otherwise with
 * its value (`Fumeur : non`); the age with its unit, the gender by name.
 */
function answerText(t: Messages, lang: Language, c: AnswerContribution): string {
  const label = t.fields[c.answer];
  const separator = lang === 'fr' ? ' : ' : ': ';
  if (c.answer === 'AGE') {
    return `${label}${separator}${c.value} ${t.ageUnit}`;
  }
  if (c.answer === 'GENDER') {
    return `${label}${separator}${c.value === 1 ? t.genders.male : t.genders.female}`;
  }
  if (c.value === 1 && c.contribution > 0) {
    return label;
  }
  return `${label}${separator}${c.value === 1 ? t.drivers.answered.yes : t.drivers.answered.no}`;
}

function driversView(t: Messages, lang: Language, e: NonNullable<Prediction['explanation']>): DriversView {
  const worded = (c: AnswerContribution): DriverView => ({
    text: answerText(t, lang, c),
    amount: `${c.contribution > 0 ? '+' : '−'}${decimal(lang, Math.abs(c.contribution))}`,
  });
  const { raising, lowering } = strongestAnswers(e.contributions, DRIVERS);
  return {
    raising: raising.map(worded),
    lowering: lowering.map(worded),
    note: format(t.drivers.note, { method: t.drivers.methods[e.output_scale] }),
  };
}

/** The view model of the form page: a blank form, the answers kept with their problems, or a result. */
export function buildFormPage(input: FormPageInput): FormPageModel {
  const { lang, models, prediction, failure, transactionId } = input;
  const t = MESSAGES[lang];
  const problems = input.problems ?? [];
  const values: FormValues = input.values ?? { age: '', ticked: [] };
  const messageFor = (target: ProblemTarget): string | null => {
    const problem = problems.find((p) => p.target === target);
    return problem ? format(t.errors[problem.key], problem.params) : null;
  };
  const slot = (target: ProblemTarget): ErrorSlot => ({ id: errorId(target), message: messageFor(target) });
  const describedBy = (...ids: (string | false)[]): string => ids.filter(Boolean).join(' ');

  const ageError = slot('AGE');
  const ageNumber = values.age.trim() === '' ? NaN : Number(values.age);
  const sliderValue = Number.isFinite(ageNumber)
    ? String(Math.min(Math.max(Math.round(ageNumber), AGE_SLIDER.min), AGE_SLIDER.max))
    : SLIDER_START;
  const modelNames = models.map((m) => m.name);
  const chosenModel =
    values.model !== undefined && modelNames.includes(values.model)
      ? values.model
      : (models.find((m) => m.default) ?? models[0])?.name;
  const answered = prediction ? models.find((m) => m.model === prediction.model) : undefined;

  const failureMessage = failure === undefined ? null : format(t.errors[failure.kind], { id: transactionId });
  const titleParts = [t.pageTitle, t.appName];
  if (problems.length > 0 || failureMessage) {
    titleParts.unshift(t.errorTitlePrefix);
  } else if (prediction) {
    titleParts.unshift(
      `${format(t.riskHeading, { level: t.levels[prediction.risk_level] })} (${percent(lang, prediction.probability)})`,
    );
  }

  return {
    lang,
    t,
    title: titleParts.join(' — '),
    version: input.version,
    action: `?lang=${lang}#result`,
    languages: LANGUAGES.map((code) => ({
      code,
      name: MESSAGES[code].languageName,
      href: `?lang=${code}`,
      current: code === lang,
    })),
    form: { error: slot('form') },
    age: {
      id: fieldId('AGE'),
      value: values.age,
      min: AGE_RANGE.min,
      max: AGE_RANGE.max,
      sliderMin: AGE_SLIDER.min,
      sliderMax: AGE_SLIDER.max,
      sliderValue,
      error: ageError,
      describedBy: describedBy(`${fieldId('AGE')}-hint`, ageError.message !== null && ageError.id),
    },
    gender: {
      id: fieldId('GENDER'),
      options: [
        { value: '0', label: t.genders.female },
        { value: '1', label: t.genders.male },
      ].map((o) => ({ ...o, id: `${fieldId('GENDER')}-${o.value}`, checked: values.gender === o.value })),
      error: slot('GENDER'),
    },
    boxes: {
      ticked: format(t.tickedCount, { count: values.ticked.length, min: MIN_TICKED }),
      error: slot('boxes'),
    },
    groups: BOX_GROUPS.map((group) => ({
      id: `group-${group.id}`,
      legend: t.groups[group.id],
      items: group.fields.map((field) => {
        const error = slot(field);
        return {
          id: fieldId(field),
          value: field,
          label: t.fields[field],
          checked: values.ticked.includes(field),
          error,
          describedBy: error.message === null ? null : error.id,
        };
      }),
    })),
    models: {
      options: models.map((m) => ({
        id: `${fieldId(MODEL_FIELD)}-${m.name.replace(/[^a-z0-9-]+/gi, '-')}`,
        value: m.name,
        label: t.families[m.family] ?? m.name,
        checked: m.name === chosenModel,
        isDefault: m.default,
        detail: format(t.modelDetail, {
          auc: m.cv_metrics.roc_auc === undefined ? '—' : decimal(lang, m.cv_metrics.roc_auc),
          threshold: percent(lang, m.threshold),
        }),
      })),
      error: slot(MODEL_FIELD),
    },
    result:
      prediction && problems.length === 0 && !failureMessage
        ? resultView(
            t,
            lang,
            prediction,
            transactionId,
            answered ? t.families[answered.family] : prediction.model_name,
          )
        : null,
    errorSummary:
      problems.length > 0
        ? {
            items: problems.map((p) => ({
              href: anchorOf(p.target),
              text: format(t.errors[p.key], p.params),
            })),
          }
        : null,
    failure: failureMessage,
  };
}
