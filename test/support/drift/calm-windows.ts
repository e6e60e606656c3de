import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { DriftSettings } from '../../../src/config/app-config';
import {
  featureMatrix,
  FEATURE_ORDER,
  INPUT_FIELDS,
  type SurveyAnswers,
} from '../../../src/features/features';
import type { ModelCard } from '../../../src/model-pool/model-card';
import { detectDrift } from '../../../src/monitoring/drift.engine';
import type { DriftReference } from '../../../src/monitoring/drift.reference';
import type { WindowRow } from '../../../src/monitoring/drift.window';
import { loadSurveyDataset } from '../../../src/training/survey-dataset';
import { seededRandom } from '../../../src/training/random';

/**
 * Calm and drifted traffic for judging the drift engine by its rates: each window is drawn as real traffic would be,
 * from a population that is not the reference sample itself (a bootstrap population of the training rows, drawn
 * anew for each window), then the window from that population. The model's decisions are its own (onnxruntime).
 */

const ROOT = join(__dirname, '../../..');

export interface Patient {
  answers: SurveyAnswers;
  label: 0 | 1;
  prediction: 0 | 1;
}

/** The de-duplicated training rows with the named model's decision on each. */
export async function trainingPatients(model: string): Promise<{ patients: Patient[]; card: ModelCard }> {
  const card = JSON.parse(readFileSync(join(ROOT, 'model', `${model}.card.json`), 'utf8')) as ModelCard;
  const { rows } = loadSurveyDataset(join(ROOT, 'data', 'survey_lung_cancer.csv'));
  const session = await InferenceSession.create(join(ROOT, 'model', card.onnx_file));
  try {
    const input = new Tensor('float32', featureMatrix(rows.map((r) => r.answers)), [
      rows.length,
      FEATURE_ORDER.length,
    ]);
    const outputs = await session.run({ [card.onnx.input]: input });
    const probabilities = outputs[card.onnx.probabilities_output].data as Float32Array;
    return {
      card,
      patients: rows.map((r, i) => ({
        answers: r.answers,
        label: r.label,
        prediction: probabilities[2 * i + 1]! >= card.threshold.value ? 1 : 0,
      })),
    };
  } finally {
    await session.release();
  }
}

export interface WindowOptions {
  size: number;
  /** Years added to every age (a drifted population). */
  ageShift?: number;
}

/** One window: a bootstrap population of the patients, then `size` patients drawn from it. */
export function calmWindow(
  patients: readonly Patient[],
  random: () => number,
  model: string,
  { size, ageShift = 0 }: WindowOptions,
): WindowRow[] {
  const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
  const population = patients.map(() => pick(patients));
  return Array.from({ length: size }, (_, i) => {
    const patient = pick(population);
    return {
      answers: { ...patient.answers, AGE: patient.answers.AGE + ageShift },
      prediction: patient.prediction,
      model,
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    };
  });
}

export interface Rates {
  windows: number;
  /** Share of windows in which each input is in DRIFT. */
  perInput: Record<string, number>;
  /** Share of windows with at least one input in DRIFT. */
  anyInput: number;
  dataset: number;
  prediction: number;
}

/** The engine's rates over `windows` windows drawn with `seed`. */
export function driftRates(
  reference: DriftReference,
  patients: readonly Patient[],
  settings: DriftSettings,
  { windows, seed, ...window }: WindowOptions & { windows: number; seed: number },
): Rates {
  const random = seededRandom(seed);
  const flagged: Record<string, number> = Object.fromEntries(INPUT_FIELDS.map((f) => [f, 0]));
  let anyInput = 0;
  let dataset = 0;
  let prediction = 0;
  for (let w = 0; w < windows; w++) {
    const report = detectDrift(reference, calmWindow(patients, random, reference.model, window), settings);
    const drifted = report.features.filter((f) => f.level === 'DRIFT');
    drifted.forEach((f) => (flagged[f.feature]! += 1));
    anyInput += drifted.length > 0 ? 1 : 0;
    dataset += report.dataset_drift ? 1 : 0;
    prediction += report.prediction?.level === 'DRIFT' ? 1 : 0;
  }
  return {
    windows,
    perInput: Object.fromEntries(Object.entries(flagged).map(([f, n]) => [f, n / windows])),
    anyInput: anyInput / windows,
    dataset: dataset / windows,
    prediction: prediction / windows,
  };
}
