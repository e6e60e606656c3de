import { BINARY_FIELDS } from '../features/features';
import { MODELS, predictionOf as prediction } from '../../test/fixtures/form-page';
import { BOX_GROUPS, buildFormPage, FormPageInput } from './form.view-model';

const page = (input: Partial<FormPageInput>) =>
  buildFormPage({ lang: 'fr', models: MODELS, transactionId: 'tx-1', version: '1.0.0', ...input });

describe('BOX_GROUPS', () => {
  it('holds each of the 13 boxes exactly once', () => {
    const fields = BOX_GROUPS.flatMap((g) => g.fields);
    expect(fields).toHaveLength(BINARY_FIELDS.length);
    expect([...fields].sort()).toEqual([...BINARY_FIELDS].sort());
  });
});

describe(buildFormPage.name, () => {
  it('shows a probability with one decimal, in the reading of each language', () => {
    expect(page({ prediction: prediction(0.873449) }).result?.probability).toMatch(/^87,3\s%$/);
    expect(page({ lang: 'en', prediction: prediction(0.873449) }).result?.probability).toBe('87.3%');
    expect(page({ prediction: prediction(0.05) }).result?.probability).toMatch(/^5,0\s%$/);
  });

  it.each([
    [0.1, 'low', 'Risque de cancer du poumon : FAIBLE', 'Lung cancer risk: LOW'],
    [0.33, 'moderate', 'Risque de cancer du poumon : MODÉRÉ', 'Lung cancer risk: MODERATE'],
    [0.66, 'high', 'Risque de cancer du poumon : ÉLEVÉ', 'Lung cancer risk: HIGH'],
  ])('words a probability of %p as the %s level', (p, level, fr, en) => {
    const french = page({ prediction: prediction(p) }).result;
    expect(french?.level).toBe(level);
    expect(french?.heading).toBe(fr);
    expect(page({ lang: 'en', prediction: prediction(p) }).result?.heading).toBe(en);
  });

  it('places the gauge marker at the probability, within the bar', () => {
    expect(page({ prediction: prediction(0.87345) }).result?.marker).toBe('87.3%');
    expect(page({ prediction: prediction(0) }).result?.marker).toBe('0.0%');
    expect(page({ prediction: prediction(1) }).result?.marker).toBe('100.0%');
  });

  it('names the model and threshold that answered, and the transaction id', () => {
    const result = page({ prediction: prediction(0.7, MODELS[1]), transactionId: 'abc' }).result;
    expect(result).toMatchObject({
      model: 'Forêt aléatoire',
      modelId: 'random_forest@ba9876543210',
      decision: 'Positive (probabilité ≥ seuil)',
      transactionId: 'abc',
    });
    expect(result?.threshold).toMatch(/^59,4\s%$/);
    expect(page({ prediction: prediction(0.5, MODELS[1]) }).result?.decision).toBe(
      'Négative (probabilité < seuil)',
    );
  });

  it('preselects the default model on a blank form and keeps the chosen one after a post', () => {
    const checked = (input: Partial<FormPageInput>) =>
      page(input)
        .models.options.filter((o) => o.checked)
        .map((o) => o.value);
    expect(checked({})).toEqual(['logistic_regression']);
    expect(checked({ values: { age: '50', ticked: [], model: 'random_forest' } })).toEqual(['random_forest']);
    expect(checked({ values: { age: '50', ticked: [], model: 'unknown' } })).toEqual(['logistic_regression']);
  });

  it('puts each problem next to its field and in the summary, and shows no result', () => {
    const model = page({
      prediction: prediction(0.9),
      values: { age: '150', ticked: ['SMOKING'] },
      problems: [
        { target: 'AGE', key: 'ageInvalid' },
        { target: 'boxes', key: 'notEnoughBoxes', params: { min: 3, count: 1 } },
      ],
    });
    expect(model.result).toBeNull();
    expect(model.age.error).toEqual({
      id: 'f-age-error',
      message: "L'âge doit être un nombre entier de 0 à 120 ans.",
    });
    expect(model.age.describedBy).toBe('f-age-hint f-age-error');
    expect(model.boxes.error.message).toContain('Actuellement : 1 symptôme(s) coché(s)');
    expect(model.gender.error.message).toBeNull();
    expect(model.errorSummary?.items.map((i) => i.href)).toEqual(['#f-age', '#f-smoking']);
    expect(model.title).toMatch(/^Erreur — /);
  });

  it('keeps the slider within its range whatever age was typed', () => {
    expect(page({ values: { age: '95', ticked: [] } }).age.sliderValue).toBe('80');
    expect(page({ values: { age: 'abc', ticked: [] } }).age.sliderValue).toBe('50');
    expect(page({}).age).toMatchObject({ value: '', sliderValue: '50' });
    expect(page({ values: { age: '12', ticked: [] } }).age.sliderValue).toBe('20');
  });

  it('announces the result in the document title', () => {
    expect(page({ lang: 'en', prediction: prediction(0.8734) }).title).toBe(
      'Lung cancer risk: HIGH (87.3%) — Lung cancer risk assessment — LungCheck',
    );
  });
});
