import { resolve } from 'node:path';
import type { SurveyAnswers } from '../features/features';
import { DatasetError, loadSurveyDataset } from '../training/survey-dataset';

/**
 * What `--profile training` draws patients from: the de-duplicated rows of the survey the models were trained on,
 * whole (each patient's answers together, with their outcome), so that the answers keep the links between them
 * that drift monitoring and the model see in real traffic. Drawing each answer on its own by its share would break
 * those links: the model would then call ~96 % of patients positive instead of the ~90 % of its training data.
 */
export interface TrainingProfile {
  /** The CSV it was read from. */
  dataFile: string;
  patients: { answers: SurveyAnswers; label: 0 | 1 }[];
}

/** A data file that cannot be drawn from; the message names the file and what is wrong. */
export class ProfileError extends Error {
  override name = 'ProfileError';
}

/** Reads the survey CSV (`--data`, data/survey_lung_cancer.csv by default) as the training does. */
export function loadTrainingProfile(dataFile: string): TrainingProfile {
  try {
    const { file, rows } = loadSurveyDataset(resolve(dataFile));
    if (rows.length === 0) {
      throw new ProfileError(`${file}: no data rows to draw patients from`);
    }
    return { dataFile: file, patients: rows.map((r) => ({ answers: r.answers, label: r.label })) };
  } catch (error) {
    if (error instanceof DatasetError) {
      throw new ProfileError(`${error.message} (--data)`);
    }
    throw error;
  }
}
