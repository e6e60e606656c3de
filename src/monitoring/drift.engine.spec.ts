import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { INPUT_FIELDS, SurveyAnswers } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import { seededRandom } from '../training/random';
import { detectDrift, driftLevel, WindowRow } from './drift.engine';

const card = JSON.parse(
  readFileSync(join(__dirname, '../../model/logistic_regression.card.json'), 'utf8'),
) as ModelCard;
const settings = new AppConfig(validateEnv({})).drift;
const ref = card.reference_distribution;
const modelId = `${card.name}@${card.version}`;

/** Patients drawn from the card's reference (AGE by its percentiles, the 0/1 answers by their shares). */
function trainingLike(n: number, seed: number, age?: (random: () => number) => number): WindowRow[] {
  const random = seededRandom(seed);
  const ageRef = ref.inputs.AGE;
  if (ageRef.kind !== 'histogram') {
    throw new Error('AGE has a histogram');
  }
  return Array.from({ length: n }, (_, i) => {
    const u = random() * 100;
    const low = Math.floor(u);
    const q = ageRef.quantiles;
    const drawnAge = Math.round(q[low]! + (q[Math.min(100, low + 1)]! - q[low]!) * (u - low));
    const answers = Object.fromEntries(
      INPUT_FIELDS.map((f) => {
        const dist = ref.inputs[f];
        return [f, dist.kind === 'binary' ? (random() < dist.proportions[1] ? 1 : 0) : 0];
      }),
    ) as SurveyAnswers;
    answers.AGE = age ? age(random) : drawnAge;
    return {
      answers,
      prediction: random() < ref.predicted_positive_rate ? 1 : 0,
      model: modelId,
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    } as WindowRow;
  });
}

describe(driftLevel.name, () => {
  it.each([
    [0.04, 0, 'DRIFT'],
    [0.5, 0.25, 'DRIFT'],
    [0.05, 0.24, 'POSSIBLE'],
    [0.149, 0, 'POSSIBLE'],
    [0.5, 0.1, 'POSSIBLE'],
    [0.15, 0.099, 'NO'],
  ] as const)('p = %f and PSI = %f give %s with the default thresholds', (p, psi, level) => {
    expect(driftLevel(p, psi, settings)).toBe(level);
  });
});

describe(detectDrift.name, () => {
  it('answers "not enough data" below DRIFT_MIN_SAMPLES, with no verdict', () => {
    const report = detectDrift(card, trainingLike(99, 1), settings);
    expect(report).toMatchObject({
      status: 'not_enough_data',
      dataset_drift: null,
      features: [],
      prediction: null,
      window: { size: 99, min_samples: 100, max_size: 500 },
    });
  });

  it.each([1, 2, 3])('finds no data drift in patients like the training data (seed %i)', (seed) => {
    const report = detectDrift(card, trainingLike(500, seed), settings);
    expect(report.status).toBe('ok');
    expect(report.dataset_drift).toBe(false);
    expect(report.features).toHaveLength(15);
    expect(report.features.find((f) => f.feature === 'AGE')!.level).not.toBe('DRIFT');
    expect(report.drifted_features).toBeLessThanOrEqual(2);
    expect(report.prediction!.level).not.toBe('DRIFT');
  });

  it('flags AGE when the patients are older, and only AGE', () => {
    const report = detectDrift(
      card,
      trainingLike(300, 7, (r) => 72 + Math.floor(r() * 8)),
      settings,
    );
    const age = report.features.find((f) => f.feature === 'AGE')!;
    expect(age).toMatchObject({ level: 'DRIFT', test: 'ks', kind: 'numeric' });
    expect(age.p_value).toBeLessThan(1e-6);
    expect(age.psi).toBeGreaterThan(0.25);
    expect(age.wasserstein_normalised).toBeGreaterThan(1);
    expect(age.current.mean).toBeGreaterThan(72);
    expect(age.current.bin_shares!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(report.dataset_drift).toBe(false);
    expect(report.drifted_features).toBeLessThan(4);
  });

  it('counts the data set as drifted when at least DRIFT_SHARE of the inputs drift', () => {
    const rows = trainingLike(200, 11).map((row) => ({
      ...row,
      answers: Object.fromEntries(INPUT_FIELDS.map((f) => [f, f === 'AGE' ? 85 : 1])) as SurveyAnswers,
    }));
    const report = detectDrift(card, rows, settings);
    expect(report.dataset_drift).toBe(true);
    expect(report.drifted_features).toBe(15);
    expect(report.drift_share).toBe(1);
    const lenient = detectDrift(card, rows, { ...settings, share: 1 });
    expect(lenient.dataset_drift).toBe(true);
    const stricter = detectDrift(card, trainingLike(200, 11), { ...settings, share: 0.01 });
    expect(stricter.dataset_drift).toBe(stricter.drifted_features > 0);
  });

  it("judges the predicted positive rate on the reference model's predictions only", () => {
    const rows = trainingLike(150, 5).map((row) => ({ ...row, prediction: 1 as const }));
    expect(detectDrift(card, rows, settings).prediction).toMatchObject({
      feature: 'prediction',
      level: 'DRIFT',
      current: { count: 150, share_of_ones: 1 },
      reference: { share_of_ones: ref.predicted_positive_rate },
    });
    const otherModel = rows.map((row, i) => ({ ...row, model: i < 60 ? 'random_forest@x' : modelId }));
    expect(detectDrift(card, otherModel, settings).prediction).toBeNull();
  });

  it('reports the window it judged', () => {
    const rows = trainingLike(120, 3).reverse();
    const report = detectDrift(card, rows, settings, new Date('2026-02-01T00:00:00Z'));
    expect(report.window).toEqual({
      size: 120,
      max_size: 500,
      min_samples: 100,
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T00:01:59.000Z',
    });
    expect(report.reference_model).toBe(modelId);
    expect(report.generated_at).toBe('2026-02-01T00:00:00.000Z');
  });
});
