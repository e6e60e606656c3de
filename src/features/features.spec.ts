import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ageGroup,
  canonicalField,
  engineerFeatures,
  FEATURE_COUNT,
  FEATURE_ORDER,
  featureMatrix,
  featuresByName,
  INPUT_FIELDS,
  SurveyAnswers,
} from './features';

interface GoldenFile {
  order: string[];
  rows: { input: SurveyAnswers; features: number[] }[];
}

const golden = JSON.parse(
  readFileSync(join(__dirname, '../../test/fixtures/feature_golden.json'), 'utf8'),
) as GoldenFile;

const answers = (overrides: Partial<SurveyAnswers> = {}): SurveyAnswers => ({
  ...(Object.fromEntries(INPUT_FIELDS.map((f) => [f, 0])) as SurveyAnswers),
  ...overrides,
});

describe('engineerFeatures', () => {
  it('uses the golden column order', () => {
    expect(FEATURE_ORDER).toEqual(golden.order);
    expect(FEATURE_COUNT).toBe(29);
  });

  it.each(golden.rows.map((row, i) => [i, row] as const))('gives golden row %i exactly', (_i, row) => {
    expect(engineerFeatures(row.input)).toEqual(row.features);
  });

  it('names each value after its column', () => {
    const row = golden.rows[1];
    const byName = featuresByName(row.input);
    expect(Object.keys(byName)).toEqual(golden.order);
    expect(Object.values(byName)).toEqual(row.features);
  });

  it('lays rows out row-major as float32', () => {
    const rows = golden.rows.map((r) => r.input);
    const matrix = featureMatrix(rows);
    expect(matrix).toHaveLength(rows.length * 29);
    expect(Array.from(matrix.subarray(29, 58))).toEqual(
      Array.from(Float32Array.from(golden.rows[1].features)),
    );
  });

  // Beside the reference's golden rows, which miss the boundary: a male smoker aged exactly 60 is not a high-risk
  // profile (AGE > 60), at 61 he is. Every other column is spelled out, as in the golden file.
  it.each([
    [60, 0, 1, 3600, 1 / 61],
    [61, 1, 2, 3721, 1 / 62],
  ])('gives a male smoker aged %i HIGH_RISK_PROFILE %i', (age, highRisk, group, squared, perAge) => {
    const row = answers({ AGE: age, GENDER: 1, SMOKING: 1, COUGHING: 1 });
    // prettier-ignore
    expect(engineerFeatures(row)).toEqual([
      1, age, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, // the 15 answers, in model order
      age, 0, 1, 1, 1, 0, group, highRisk, squared, 0, 1, 0, perAge, 0.5,
    ]);
  });

  it('counts symptoms and flags the triad', () => {
    const f = featuresByName(
      answers({ AGE: 70, COUGHING: 1, 'CHEST PAIN': 1, 'SHORTNESS OF BREATH': 1, SMOKING: 1, GENDER: 1 }),
    );
    expect(f.RESPIRATORY_SYMPTOMS).toBe(2);
    expect(f.TOTAL_SYMPTOMS).toBe(3);
    expect(f.CANCER_TRIAD).toBe(1);
    expect(f.HIGH_RISK_PROFILE).toBe(1);
    expect(f.SMOKER_WITH_RESP_SYMPTOMS).toBe(1);
    expect(f.SYMPTOMS_PER_AGE).toBeCloseTo(3 / 71, 12);
    expect(f.RESP_SYMPTOM_RATIO).toBe(0.5);
  });

  it.each([
    ['a female smoker aged 70', { GENDER: 0, SMOKING: 1, AGE: 70 }],
    ['a male non-smoker aged 70', { GENDER: 1, SMOKING: 0, AGE: 70 }],
  ])('gives %s no HIGH_RISK_PROFILE', (_who, overrides) => {
    expect(featuresByName(answers(overrides)).HIGH_RISK_PROFILE).toBe(0);
  });

  it.each([
    ['cough and chest pain without shortness of breath', { COUGHING: 1, 'CHEST PAIN': 1 }],
    ['chest pain and shortness of breath without cough', { 'CHEST PAIN': 1, 'SHORTNESS OF BREATH': 1 }],
    ['cough and shortness of breath without chest pain', { COUGHING: 1, 'SHORTNESS OF BREATH': 1 }],
  ])('flags no CANCER_TRIAD for %s', (_what, overrides) => {
    expect(featuresByName(answers(overrides)).CANCER_TRIAD).toBe(0);
  });

  it('flags no SMOKER_WITH_RESP_SYMPTOMS for a smoker without respiratory symptoms', () => {
    expect(featuresByName(answers({ SMOKING: 1, AGE: 50 })).SMOKER_WITH_RESP_SYMPTOMS).toBe(0);
  });

  it.each([
    [{ 'SWALLOWING DIFFICULTY': 1, 'CHEST PAIN': 1 }, 1],
    [{ 'SWALLOWING DIFFICULTY': 1 }, 0],
    [{ 'CHEST PAIN': 1 }, 0],
  ])('gives ADVANCED_SYMPTOMS for %j as %i', (overrides, flag) => {
    expect(featuresByName(answers(overrides)).ADVANCED_SYMPTOMS).toBe(flag);
  });
});

describe('ageGroup', () => {
  it.each([
    [0, 0],
    [1, 0],
    [50, 0],
    [51, 1],
    [60, 1],
    [61, 2],
    [70, 2],
    [71, 3],
    [100, 3],
    [101, 3],
    [120, 3],
  ])('puts AGE %i in band %i (right-closed, no NaN at 0 or above 100)', (age, band) => {
    expect(ageGroup(age)).toBe(band);
  });
});

describe('canonicalField', () => {
  it.each([
    ['ALCOHOL_CONSUMING', 'ALCOHOL CONSUMING'],
    ['ALCOHOL CONSUMING', 'ALCOHOL CONSUMING'],
    ['CHRONIC_DISEASE', 'CHRONIC DISEASE'],
    ['SHORTNESS_OF_BREATH', 'SHORTNESS OF BREATH'],
    ['FATIGUE ', 'FATIGUE'],
    ['age', 'AGE'],
    ['YELLOW FINGERS', 'YELLOW_FINGERS'],
    ['CHEST  PAIN', 'CHEST PAIN'],
    ['SHORTNESS _OF_BREATH', 'SHORTNESS OF BREATH'],
  ])('maps %j to %j', (key, canonical) => {
    expect(canonicalField(key)).toBe(canonical);
  });

  it('rejects unknown keys', () => {
    expect(canonicalField('LUNG_CANCER')).toBeUndefined();
    expect(canonicalField('')).toBeUndefined();
  });

  it('does not join words sent without a separator', () => {
    expect(canonicalField('CHESTPAIN')).toBeUndefined();
    expect(canonicalField('YELLOWFINGERS')).toBeUndefined();
  });
});
