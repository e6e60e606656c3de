import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineerFeatures, FEATURE_ORDER, INPUT_FIELDS } from '../features/features';
import { loadSurveyDataset } from '../training/survey-dataset';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import { answerSplit, answersOfFeatures } from './explanation.answers';
import { explainLinear, inputMeans, LinearExplainer, linearExplainer } from './explanation.linear';
import { readLinearParameters } from './explanation.onnx';

const bytes = readFileSync(join(__dirname, '../../model/logistic_regression.onnx'));
const rows = loadSurveyDataset(SURVEY_DATA).rows.map((r) => r.answers);

describe(explainLinear.name, () => {
  let explainer: LinearExplainer;
  beforeAll(() => {
    explainer = linearExplainer(
      readLinearParameters(bytes),
      inputMeans(rows),
      answerSplit(answersOfFeatures(rows)),
    );
  });

  it('says what it is: exact linear attribution on the log-odds scale, shared equally among answers', () => {
    expect(explainLinear(explainer, rows[0])).toMatchObject({
      method: 'linear-exact+equal-split',
      output_scale: 'log_odds',
    });
  });

  it('takes the logit at the mean training input as the base value', () => {
    const mean = FEATURE_ORDER.map(
      (_, j) => rows.reduce((s, r) => s + Math.fround(engineerFeatures(r)[j]), 0) / rows.length,
    );
    const { weights, factor, offset, bias } = explainer.parameters;
    const logitAtMean = mean.reduce((s, m, j) => s + weights[j] * (factor[j] * m + offset[j]), bias);
    expect(explainer.baseValue).toBeCloseTo(logitAtMean, 12);
  });

  it('gives each raw answer’s input the sign of its coefficient times its deviation from the mean', () => {
    const wrongSign = rows.flatMap((answers) => {
      const e = explainLinear(explainer, answers);
      return INPUT_FIELDS.filter((field, j) => {
        const expected = Math.sign(explainer.coefficients[j] * (answers[field] - explainer.background[j]));
        return Math.sign(e.features[j].contribution) !== expected || expected === 0;
      }).map((field) => `${field}=${answers[field]}`);
    });
    expect(wrongSign).toEqual([]);
  });

  it('raises the log-odds through SMOKING for a smoker, by its weight over its scale times (1 − share of smokers)', () => {
    const j = FEATURE_ORDER.indexOf('SMOKING');
    const smokers = rows.filter((r) => r.SMOKING === 1).length / rows.length;
    const { weights, factor } = explainer.parameters;
    expect(weights[j] * factor[j]).toBeGreaterThan(0);
    const e = explainLinear(explainer, { ...rows[0], SMOKING: 1 });
    expect(e.features[j].contribution).toBeGreaterThan(0);
    expect(e.features[j].contribution).toBeCloseTo(weights[j] * factor[j] * (1 - smokers), 12);
    const nonSmoker = explainLinear(explainer, { ...rows[0], SMOKING: 0 });
    expect(nonSmoker.features[j].contribution).toBeCloseTo(-weights[j] * factor[j] * smokers, 12);
  });
});
