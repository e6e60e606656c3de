import { BINARY_FIELDS } from '../features/features';
import { validateSurveyAnswers } from '../prediction/survey-validation';
import { answersBody, MIN_TICKED, readFormSubmission } from './form.submission';
import { EXAMPLE_REQUEST } from '../prediction/predict-request.dto';

const MODELS = ['logistic_regression', 'random_forest'];

/** The reference example as a browser posts it: ticked boxes as "on", unticked ones absent. */
const EXAMPLE_FORM = {
  AGE: '65',
  GENDER: '1',
  SMOKING: 'on',
  'ALCOHOL CONSUMING': 'on',
  YELLOW_FINGERS: 'on',
  FATIGUE: 'on',
  WHEEZING: 'on',
  COUGHING: 'on',
  'SHORTNESS OF BREATH': 'on',
  'CHEST PAIN': 'on',
};

const EXAMPLE_JSON = { ...EXAMPLE_REQUEST };

describe(answersBody.name, () => {
  it('turns ticked boxes into 1 and absent ones into 0', () => {
    const body = answersBody(EXAMPLE_FORM);
    expect(body).toEqual({ ...EXAMPLE_JSON, AGE: '65', GENDER: '1' });
  });

  it('treats an empty age or gender as missing and passes any other box value on to validation', () => {
    expect(answersBody({ AGE: ' ', GENDER: '', SMOKING: 'yes' })).toMatchObject({
      AGE: undefined,
      GENDER: undefined,
      SMOKING: 'yes',
    });
  });

  it('accepts the underscore spellings of the field names', () => {
    expect(answersBody({ CHRONIC_DISEASE: 'on', ALCOHOL_CONSUMING: 'on' })).toMatchObject({
      'CHRONIC DISEASE': 1,
      'ALCOHOL CONSUMING': 1,
    });
  });
});

describe(readFormSubmission.name, () => {
  it('gives the same answers as the JSON API for the same survey', () => {
    const submission = readFormSubmission(EXAMPLE_FORM, MODELS);
    const api = validateSurveyAnswers(EXAMPLE_JSON);
    expect(submission.ok && api.ok).toBe(true);
    expect(submission.ok && submission.answers).toEqual(api.ok && api.answers);
    expect(submission.ok && submission.model).toBeUndefined();
  });

  it('keeps the answers as posted, for the page to show them again', () => {
    const { values } = readFormSubmission({ ...EXAMPLE_FORM, AGE: '150', model: 'random_forest' }, MODELS);
    expect(values).toEqual({
      age: '150',
      gender: '1',
      ticked: BINARY_FIELDS.filter((f) => EXAMPLE_JSON[f] === 1),
      model: 'random_forest',
    });
  });

  it('reports an age out of range, a missing gender and too few boxes, all at once', () => {
    const submission = readFormSubmission({ AGE: '150', SMOKING: 'on', COUGHING: 'on' }, MODELS);
    expect(submission.ok).toBe(false);
    expect(!submission.ok && submission.problems).toEqual([
      { target: 'AGE', key: 'ageInvalid' },
      { target: 'GENDER', key: 'genderRequired' },
      { target: 'boxes', key: 'notEnoughBoxes', params: { min: MIN_TICKED, count: 2 } },
    ]);
  });

  it.each([
    ['', 'ageRequired'],
    ['-1', 'ageInvalid'],
    ['65.5', 'ageInvalid'],
    ['sixty', 'ageInvalid'],
  ])('words the age %p as %s', (age, key) => {
    const submission = readFormSubmission({ ...EXAMPLE_FORM, AGE: age }, MODELS);
    expect(!submission.ok && submission.problems).toEqual([{ target: 'AGE', key }]);
  });

  it('accepts exactly three ticked boxes and refuses two', () => {
    const three = { AGE: '40', GENDER: '0', ANXIETY: 'on', ALLERGY: 'on', 'CHRONIC DISEASE': 'on' };
    expect(readFormSubmission(three, MODELS).ok).toBe(true);
    const two = { ...three, ALLERGY: undefined };
    const refused = readFormSubmission(two, MODELS);
    expect(!refused.ok && refused.problems).toEqual([
      { target: 'boxes', key: 'notEnoughBoxes', params: { min: 3, count: 2 } },
    ]);
  });

  it('refuses a hand-crafted box value and an unknown gender, and does not count the box', () => {
    const submission = readFormSubmission({ ...EXAMPLE_FORM, GENDER: '2', SMOKING: '<b>yes</b>' }, MODELS);
    expect(!submission.ok && submission.problems).toEqual([
      { target: 'GENDER', key: 'genderInvalid' },
      { target: 'SMOKING', key: 'boxInvalid' },
    ]);
    expect(submission.values.ticked).not.toContain('SMOKING');
  });

  it('refuses a model that is not loaded, naming the loaded ones', () => {
    const submission = readFormSubmission({ ...EXAMPLE_FORM, model: 'xgboost' }, MODELS);
    expect(!submission.ok && submission.problems).toEqual([
      { target: 'model', key: 'modelUnknown', params: { name: 'xgboost', available: MODELS.join(', ') } },
    ]);
  });

  it.each([[['random_forest']], [{ name: 'random_forest' }]])(
    'refuses a model choice that is not one name (%j)',
    (model) => {
      const submission = readFormSubmission({ ...EXAMPLE_FORM, model }, MODELS);
      expect(!submission.ok && submission.problems).toEqual([
        {
          target: 'model',
          key: 'modelUnknown',
          params: { name: JSON.stringify(model), available: MODELS.join(', ') },
        },
      ]);
    },
  );

  it('passes a loaded model on', () => {
    const submission = readFormSubmission({ ...EXAMPLE_FORM, model: ' random_forest ' }, MODELS);
    expect(submission.ok && submission.model).toBe('random_forest');
  });

  it.each([undefined, null, 'AGE=65', ['AGE']])(
    'reports every field of a body that is not a form (%p)',
    (body) => {
      const submission = readFormSubmission(body, MODELS);
      expect(!submission.ok && submission.problems.map((p) => p.key)).toEqual([
        'ageRequired',
        'genderRequired',
        'notEnoughBoxes',
      ]);
    },
  );
});
