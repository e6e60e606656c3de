import { FEATURE_COUNT, FEATURE_ORDER, INPUT_FIELDS, InputField } from '../features/features';
import { loadSurveyDataset } from '../training/survey-dataset';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import { answerSplit, answersOfFeatures, assembleExplanation, splitByAnswer } from './explanation.answers';

const answersOf = answersOfFeatures(loadSurveyDataset(SURVEY_DATA).rows.map((r) => r.answers));
const names = (j: number): InputField[] => answersOf[j].map((a) => INPUT_FIELDS[a]);
const featureIndex = (name: string): number => FEATURE_ORDER.indexOf(name as (typeof FEATURE_ORDER)[number]);

describe(answersOfFeatures.name, () => {
  it('maps every one of the 29 inputs to at least one answer', () => {
    expect(answersOf).toHaveLength(FEATURE_COUNT);
    expect(FEATURE_ORDER.filter((_, j) => answersOf[j].length === 0)).toEqual([]);
  });

  it('maps each raw answer’s input to that answer alone', () => {
    INPUT_FIELDS.forEach((field, j) => expect(names(j)).toEqual([field]));
  });

  it('finds the answers each derived input is computed from in engineerFeatures', () => {
    const symptoms: InputField[] = [
      'YELLOW_FINGERS',
      'ANXIETY',
      'FATIGUE',
      'ALLERGY',
      'WHEEZING',
      'COUGHING',
      'SHORTNESS OF BREATH',
      'SWALLOWING DIFFICULTY',
      'CHEST PAIN',
    ];
    const expected: Record<string, InputField[]> = {
      SMOKING_x_AGE: ['AGE', 'SMOKING'],
      SMOKING_x_ALCOHOL: ['SMOKING', 'ALCOHOL CONSUMING'],
      RESPIRATORY_SYMPTOMS: ['WHEEZING', 'COUGHING', 'SHORTNESS OF BREATH'],
      TOTAL_SYMPTOMS: symptoms,
      BEHAVIORAL_RISK_SCORE: ['SMOKING', 'PEER_PRESSURE', 'ALCOHOL CONSUMING'],
      SEVERE_SYMPTOMS: ['SHORTNESS OF BREATH', 'SWALLOWING DIFFICULTY', 'CHEST PAIN'],
      AGE_GROUP: ['AGE'],
      HIGH_RISK_PROFILE: ['GENDER', 'AGE', 'SMOKING'],
      AGE_SQUARED: ['AGE'],
      CANCER_TRIAD: ['COUGHING', 'SHORTNESS OF BREATH', 'CHEST PAIN'],
      SMOKER_WITH_RESP_SYMPTOMS: ['SMOKING', 'WHEEZING', 'COUGHING', 'SHORTNESS OF BREATH'],
      ADVANCED_SYMPTOMS: ['SWALLOWING DIFFICULTY', 'CHEST PAIN'],
      SYMPTOMS_PER_AGE: ['AGE', ...symptoms],
      RESP_SYMPTOM_RATIO: symptoms,
    };
    const found = Object.fromEntries(
      FEATURE_ORDER.slice(INPUT_FIELDS.length).map((name) => [name, names(featureIndex(name))]),
    );
    expect(found).toEqual(expected);
  });
});

describe(splitByAnswer.name, () => {
  const split = answerSplit(answersOf);
  const only = (name: string, value: number): Float64Array => {
    const contributions = new Float64Array(FEATURE_COUNT);
    contributions[featureIndex(name)] = value;
    return contributions;
  };
  const byName = (values: Float64Array): Record<string, number> =>
    Object.fromEntries(INPUT_FIELDS.map((f, a) => [f, values[a]]).filter(([, v]) => v !== 0));

  it('gives a derived input’s contribution whole to its one answer', () => {
    expect(byName(splitByAnswer(split, only('AGE_GROUP', 0.3)))).toEqual({ AGE: 0.3 });
  });

  it('shares a derived input’s contribution equally among its answers', () => {
    expect(byName(splitByAnswer(split, only('SMOKING_x_AGE', -0.5)))).toEqual({ AGE: -0.25, SMOKING: -0.25 });
    const shares = byName(splitByAnswer(split, only('HIGH_RISK_PROFILE', 0.3)));
    expect(Object.keys(shares).sort()).toEqual(['AGE', 'GENDER', 'SMOKING']);
    Object.values(shares).forEach((share) => expect(share).toBeCloseTo(0.1, 15));
  });

  it('keeps the total: the answers’ contributions add up to the inputs’', () => {
    const contributions = Float64Array.from({ length: FEATURE_COUNT }, (_, j) => Math.sin(j + 1) * (j + 1));
    const total = contributions.reduce((a, b) => a + b, 0);
    expect(splitByAnswer(split, contributions).reduce((a, b) => a + b, 0)).toBeCloseTo(total, 12);
  });
});

describe(answerSplit.name, () => {
  it('refuses a mapping that leaves an input without an answer', () => {
    const broken = answersOf.map((answers, j) => (FEATURE_ORDER[j] === 'CANCER_TRIAD' ? [] : answers));
    expect(() => answerSplit(broken)).toThrow(/none found for CANCER_TRIAD/);
  });
});

describe(assembleExplanation.name, () => {
  it('lists the answers by decreasing |contribution|, in answer order among equals', () => {
    const split = answerSplit(answersOf);
    const contributions = new Float64Array(FEATURE_COUNT);
    contributions[featureIndex('SMOKING')] = -0.4;
    contributions[featureIndex('COUGHING')] = 0.7;
    contributions[featureIndex('GENDER')] = 0.4;
    const answers = Object.fromEntries(INPUT_FIELDS.map((f) => [f, f === 'AGE' ? 60 : 1])) as Record<
      InputField,
      number
    >;
    const features = FEATURE_ORDER.map((_, j) => j);
    const e = assembleExplanation(
      'tree-shap+equal-split',
      'probability',
      0.5,
      1.2,
      answers,
      features,
      contributions,
      split,
    );
    expect(e.contributions.slice(0, 4).map((c) => [c.answer, c.value, c.contribution])).toEqual([
      ['COUGHING', 1, 0.7],
      ['GENDER', 1, 0.4],
      ['SMOKING', 1, -0.4],
      ['AGE', 60, 0],
    ]);
    expect(e.features[featureIndex('COUGHING')]).toEqual({
      feature: 'COUGHING',
      value: 11,
      contribution: 0.7,
    });
    expect(e).toMatchObject({
      method: 'tree-shap+equal-split',
      output_scale: 'probability',
      base_value: 0.5,
      output: 1.2,
    });
  });
});
