/**
 * Feature engineering shared by training (src/training) and serving (src/prediction): the 15 survey answers
 * become the 29 model inputs, in the fixed order of test/fixtures/feature_golden.json. Pure functions, no Nest.
 */

/** The 15 survey answers, with the reference API's canonical JSON names (spaces, not underscores). */
export const INPUT_FIELDS = [
  'GENDER',
  'AGE',
  'SMOKING',
  'YELLOW_FINGERS',
  'ANXIETY',
  'PEER_PRESSURE',
  'CHRONIC DISEASE',
  'FATIGUE',
  'ALLERGY',
  'WHEEZING',
  'ALCOHOL CONSUMING',
  'COUGHING',
  'SHORTNESS OF BREATH',
  'SWALLOWING DIFFICULTY',
  'CHEST PAIN',
] as const;

export type InputField = (typeof INPUT_FIELDS)[number];

/** The 13 yes/no answers (0 = no, 1 = yes): every input but AGE and GENDER. */
export const BINARY_FIELDS = INPUT_FIELDS.filter(
  (f): f is Exclude<InputField, 'AGE' | 'GENDER'> => f !== 'AGE' && f !== 'GENDER',
);

export type SurveyAnswers = Record<InputField, number>;

export const DERIVED_FEATURES = [
  'SMOKING_x_AGE',
  'SMOKING_x_ALCOHOL',
  'RESPIRATORY_SYMPTOMS',
  'TOTAL_SYMPTOMS',
  'BEHAVIORAL_RISK_SCORE',
  'SEVERE_SYMPTOMS',
  'AGE_GROUP',
  'HIGH_RISK_PROFILE',
  'AGE_SQUARED',
  'CANCER_TRIAD',
  'SMOKER_WITH_RESP_SYMPTOMS',
  'ADVANCED_SYMPTOMS',
  'SYMPTOMS_PER_AGE',
  'RESP_SYMPTOM_RATIO',
] as const;

export type DerivedFeature = (typeof DERIVED_FEATURES)[number];

/** The 29 model inputs in model order. */
export const FEATURE_ORDER: readonly (InputField | DerivedFeature)[] = [...INPUT_FIELDS, ...DERIVED_FEATURES];

export const FEATURE_COUNT = FEATURE_ORDER.length;

const CANONICAL_BY_KEY = new Map<string, InputField>(INPUT_FIELDS.map((f) => [normaliseKey(f), f]));

function normaliseKey(key: string): string {
  return key
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '_');
}

/**
 * The canonical name of an input field in any of its spellings in circulation: `ALCOHOL_CONSUMING`,
 * `ALCOHOL CONSUMING`, `FATIGUE ` (trailing space), lower case. `undefined` for anything else.
 */
export function canonicalField(key: string): InputField | undefined {
  return CANONICAL_BY_KEY.get(normaliseKey(key));
}

/**
 * Age bands, right-closed: (0,50] → 0, (50,60] → 1, (60,70] → 2, (70,100] → 3. Unlike the reference (NaN outside
 * (0,100]), AGE ≤ 50 including 0 maps to 0 and AGE > 100 maps to 3.
 */
export function ageGroup(age: number): number {
  if (age <= 50) {
    return 0;
  }
  if (age <= 60) {
    return 1;
  }
  if (age <= 70) {
    return 2;
  }
  return 3;
}

const flag = (condition: boolean): number => (condition ? 1 : 0);

/** The 29 model inputs of one set of answers, in FEATURE_ORDER. */
export function engineerFeatures(a: SurveyAnswers): number[] {
  const age = a.AGE;
  const smoking = a.SMOKING;
  const respiratory = a.WHEEZING + a.COUGHING + a['SHORTNESS OF BREATH'];
  const total =
    a.YELLOW_FINGERS +
    a.ANXIETY +
    a.FATIGUE +
    a.ALLERGY +
    a.WHEEZING +
    a.COUGHING +
    a['SHORTNESS OF BREATH'] +
    a['SWALLOWING DIFFICULTY'] +
    a['CHEST PAIN'];
  const derived: Record<DerivedFeature, number> = {
    SMOKING_x_AGE: smoking * age,
    SMOKING_x_ALCOHOL: flag(smoking === 1 && a['ALCOHOL CONSUMING'] === 1),
    RESPIRATORY_SYMPTOMS: respiratory,
    TOTAL_SYMPTOMS: total,
    BEHAVIORAL_RISK_SCORE: smoking + a['ALCOHOL CONSUMING'] + a.PEER_PRESSURE,
    SEVERE_SYMPTOMS: a['CHEST PAIN'] + a['SWALLOWING DIFFICULTY'] + a['SHORTNESS OF BREATH'],
    AGE_GROUP: ageGroup(age),
    HIGH_RISK_PROFILE: flag(a.GENDER === 1 && smoking === 1 && age > 60),
    AGE_SQUARED: age * age,
    CANCER_TRIAD: flag(a.COUGHING === 1 && a['CHEST PAIN'] === 1 && a['SHORTNESS OF BREATH'] === 1),
    SMOKER_WITH_RESP_SYMPTOMS: flag(smoking === 1 && respiratory > 0),
    ADVANCED_SYMPTOMS: flag(a['SWALLOWING DIFFICULTY'] === 1 && a['CHEST PAIN'] === 1),
    SYMPTOMS_PER_AGE: total / (age + 1),
    RESP_SYMPTOM_RATIO: respiratory / (total + 1),
  };
  return [...INPUT_FIELDS.map((f) => a[f]), ...DERIVED_FEATURES.map((f) => derived[f])];
}

/** The 29 model inputs by name, in model order (what `/features` answers). */
export function featuresByName(a: SurveyAnswers): Record<string, number> {
  const values = engineerFeatures(a);
  return Object.fromEntries(FEATURE_ORDER.map((name, i) => [name, values[i]]));
}

/** Row-major float32 matrix [rows.length, 29], the ONNX models' input. */
export function featureMatrix(rows: readonly SurveyAnswers[]): Float32Array {
  const out = new Float32Array(rows.length * FEATURE_COUNT);
  rows.forEach((row, i) => out.set(engineerFeatures(row), i * FEATURE_COUNT));
  return out;
}

/**
 * The reference's example answers: Swagger's example body, and the row every model must answer before it serves
 * (the model registry's load check).
 */
export const EXAMPLE_ANSWERS: SurveyAnswers = {
  AGE: 65,
  GENDER: 1,
  SMOKING: 1,
  'ALCOHOL CONSUMING': 1,
  PEER_PRESSURE: 0,
  YELLOW_FINGERS: 1,
  ANXIETY: 0,
  FATIGUE: 1,
  ALLERGY: 0,
  WHEEZING: 1,
  COUGHING: 1,
  'SHORTNESS OF BREATH': 1,
  'SWALLOWING DIFFICULTY': 0,
  'CHEST PAIN': 1,
  'CHRONIC DISEASE': 0,
};
