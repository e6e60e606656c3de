import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { INPUT_FIELDS, type SurveyAnswers } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import { seededRandom } from '../training/random';
import {
  calmWindow,
  driftRates,
  type Patient,
  trainingPatients,
} from '../../test/support/drift/calm-windows';
import { detectDrift, driftLevel, driftVerdict, formatP } from './drift.engine';
import { cardReference, type DriftReference } from './drift.reference';
import type { WindowRow } from './drift.window';

const settings = new AppConfig(validateEnv({})).drift;
let card: ModelCard;
let reference: DriftReference;
let patients: Patient[];

beforeAll(async () => {
  ({ card, patients } = await trainingPatients('logistic_regression'));
  reference = cardReference(card);
});

const window = (size: number, seed: number, ageShift = 0): WindowRow[] =>
  calmWindow(patients, seededRandom(seed), reference.model, { size, ageShift });

describe(driftLevel.name, () => {
  it.each([
    [0.049, 'DRIFT'],
    [0.05, 'POSSIBLE'],
    [0.149, 'POSSIBLE'],
    [0.15, 'NO'],
  ] as const)('an adjusted p-value of %f is %s with the default thresholds', (p, level) => {
    expect(driftLevel(p, settings)).toBe(level);
  });
});

/**
 * The verdicts judged by their rates, as an operator lives with them: 1 000 calm windows of 500 predictions, each
 * drawn from its own bootstrap population of the training patients (traffic from the same population as the
 * training sample, not the sample itself). The design aims at the nominal 5 %; the bounds leave room for any seed.
 */
describe('drift verdicts over 1 000 seeded windows of 500', () => {
  it('on calm traffic: each input ≤ 6 %, any input ≤ 10 %, the data set ≤ 1 %, the decisions ≤ 7 %', () => {
    const rates = driftRates(reference, patients, settings, { windows: 1000, seed: 20_261_207, size: 500 });
    expect(Object.entries(rates.perInput).filter(([, rate]) => rate > 0.06)).toEqual([]);
    expect(rates.anyInput).toBeLessThanOrEqual(0.1);
    expect(rates.dataset).toBeLessThanOrEqual(0.01);
    expect(rates.prediction).toBeLessThanOrEqual(0.07);
  });

  it('with AGE 4 years older: AGE in DRIFT in ≥ 95 % of windows, no other input more than on calm traffic', () => {
    const rates = driftRates(reference, patients, settings, {
      windows: 1000,
      seed: 20_261_208,
      size: 500,
      ageShift: 4,
    });
    expect(rates.perInput.AGE).toBeGreaterThanOrEqual(0.95);
    expect(Object.entries(rates.perInput).filter(([f, rate]) => f !== 'AGE' && rate > 0.06)).toEqual([]);
  });
});

describe(detectDrift.name, () => {
  it('answers "not enough data" below DRIFT_MIN_SAMPLES, with no verdict but a sentence saying so', () => {
    const report = detectDrift(reference, window(99, 1), settings);
    expect(report).toMatchObject({
      status: 'not_enough_data',
      dataset_drift: null,
      features: [],
      prediction: null,
      window: { size: 99, min_samples: 100, max_size: 500 },
      verdict: 'Not enough data: 99 predictions in the window, 100 needed.',
    });
  });

  it('tests AGE with KS against the exact reference, each 0/1 input with a z-test, in the service’s order', () => {
    const report = detectDrift(reference, window(500, 2), settings);
    expect(report.features.map((f) => f.feature)).toEqual(INPUT_FIELDS);
    expect(report.features.map((f) => f.test)).toEqual(
      INPUT_FIELDS.map((f) => (f === 'AGE' ? 'ks' : 'z_test')),
    );
    const age = report.features[INPUT_FIELDS.indexOf('AGE')]!;
    expect(age.reference).toMatchObject({ count: 276, mean: expect.closeTo(62.909, 3) });
    expect(age.current.bin_shares!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('sets each level from Holm’s adjustment of the 15 p-values, never from PSI alone', () => {
    const report = detectDrift(reference, window(500, 3, 4), settings);
    const sorted = [...report.features].sort((a, b) => a.p_value - b.p_value);
    sorted.forEach((f, k) => {
      expect(f.p_value_adjusted).toBeGreaterThanOrEqual(Math.min(1, (15 - k) * f.p_value) - 1e-15);
      expect(f.level).toBe(driftLevel(f.p_value_adjusted, settings));
    });
  });

  it('reports PSI as the size of a shift but never sets a level on it alone', () => {
    // 5 of 100 patients aged 95, a bin the training data never had: PSI 0.31 (the old rule's DRIFT), KS p ≈ 1.
    const rows = window(100, 4).map((row, i) =>
      i < 5 ? { ...row, answers: { ...row.answers, AGE: 95 } } : row,
    );
    const age = detectDrift(reference, rows, settings).features.find((f) => f.feature === 'AGE')!;
    expect(age.psi).toBeGreaterThan(0.25);
    expect(age.p_value_adjusted).toBeGreaterThan(0.15);
    expect(age.level).toBe('NO');
  });

  it('flags AGE when the patients are older, and says so in words that match the numbers', () => {
    const report = detectDrift(reference, window(500, 5, 12), settings);
    const age = report.features.find((f) => f.feature === 'AGE')!;
    expect(age).toMatchObject({ level: 'DRIFT', test: 'ks', kind: 'numeric' });
    expect(age.p_value).toBeLessThan(1e-6);
    expect(age.p_value).toBeGreaterThan(0);
    expect(age.wasserstein_normalised).toBeGreaterThan(1);
    expect(report.dataset_drift).toBe(false);
    expect(report.verdict).toMatch(
      /^AGE has drifted \(KS adjusted p < 1e-6\); 1 of 15 inputs, below the data-set threshold of 50 %\./,
    );
  });

  it('counts the data set as drifted when at least DRIFT_SHARE of the inputs drift', () => {
    const rows = window(200, 11).map((row) => ({
      ...row,
      answers: Object.fromEntries(INPUT_FIELDS.map((f) => [f, f === 'AGE' ? 85 : 1])) as SurveyAnswers,
    }));
    const report = detectDrift(reference, rows, settings);
    expect(report.dataset_drift).toBe(true);
    expect(report.drifted_features).toBe(15);
    expect(report.drift_share).toBe(1);
    expect(report.verdict).toMatch(
      /^\w[\w ]* \((KS|z-test) adjusted p < 1e-6\), .+ and 12 more have drifted; 15 of 15 inputs, at or above the data-set threshold of 50 %: the data set has drifted\./,
    );
    const calm = detectDrift(reference, window(200, 11), { ...settings, share: 0.01 });
    expect(calm.dataset_drift).toBe(calm.drifted_features > 0);
  });

  it("judges the decisions on the reference model's rows only, with a z-test against the card's rate", () => {
    const rows = window(150, 6).map((row) => ({ ...row, prediction: 1 as const }));
    const report = detectDrift(reference, rows, settings);
    expect(report.prediction).toMatchObject({
      feature: 'prediction',
      test: 'z_test',
      level: 'DRIFT',
      current: { count: 150, share_of_ones: 1 },
      reference: { count: 276, share_of_ones: card.reference_distribution.predicted_positive_rate },
    });
    expect(report.prediction!.p_value_adjusted).toBe(report.prediction!.p_value);
    expect(report.verdict).toMatch(/Predictions have drifted: 100 % positive against 90.4 % \(z-test p = /);
    const otherModel = rows.map((row, i) => ({
      ...row,
      model: i < 60 ? 'random_forest@x' : reference.model,
    }));
    expect(detectDrift(reference, otherModel, settings).prediction).toBeNull();
  });

  it('reports the window and the reference it judged', () => {
    const rows = window(120, 7).reverse();
    const report = detectDrift(reference, rows, settings, new Date('2026-02-01T00:00:00Z'));
    expect(report.window).toEqual({
      size: 120,
      max_size: 500,
      min_samples: 100,
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T00:01:59.000Z',
    });
    expect(report.reference).toEqual({ id: reference.id, kind: 'card', model: reference.model, rows: 276 });
    expect(report.generated_at).toBe('2026-02-01T00:00:00.000Z');
  });
});

describe(formatP.name, () => {
  it.each([
    [2.3e-6, 'p = 2.3e-6'],
    [4e-7, 'p < 1e-6'],
    [0, 'p < 1e-6'],
    [0.00042, 'p = 4.2e-4'],
    [0.0123, 'p = 0.012'],
    [0.5, 'p = 0.5'],
    [1, 'p = 1'],
  ])('%f → %s', (p, text) => {
    expect(formatP(p)).toBe(text);
  });
});

describe(driftVerdict.name, () => {
  it('names the closest input when none has drifted', () => {
    const report = detectDrift(reference, window(500, 10), settings);
    const closest = [...report.features].sort((a, b) => a.p_value_adjusted - b.p_value_adjusted)[0]!;
    expect(report.drifted_features).toBe(0);
    expect(report.verdict).toMatch(
      new RegExp(
        `^No input has drifted: 0 of 15 \\(closest: ${closest.feature}, adjusted ${formatP(closest.p_value_adjusted)}\\)\\.`,
      ),
    );
  });

  it('names several drifted inputs with the evidence of each', () => {
    const rows = window(500, 9, 12).map((row) => ({ ...row, answers: { ...row.answers, SMOKING: 1 } }));
    const report = detectDrift(reference, rows, settings);
    expect(report.verdict).toMatch(
      /^(AGE \(KS adjusted p < 1e-6\) and SMOKING \(z-test adjusted p < 1e-6\)|SMOKING \(z-test adjusted p < 1e-6\) and AGE \(KS adjusted p < 1e-6\)) have drifted; 2 of 15 inputs, below/,
    );
  });
});
