import { INPUT_FIELDS, type SurveyAnswers } from '../features/features';
import { seededRandom } from '../training/random';
import { AGE_MAX, AGE_MIN, type AgeDrift } from './simulator.options';
import type { TrainingProfile } from './simulator.profile';

/**
 * The patients the simulator sends, drawn from a seeded PRNG so that a seed gives the same sequence of patients
 * whatever the concurrency. Each patient of a profile takes the same draws (uniform: the age, the drifted age's
 * offset, then GENDER and the 13 yes/no answers in INPUT_FIELDS order; training: the row, then the offset), so that
 * with one seed a drifted run differs from a plain one in AGE only.
 */

/** Step drift draws each drifted age uniformly within this many years of the target (clamped to 20-90). */
export const STEP_DRIFT_SPREAD = 5;

export interface PatientOptions {
  seed: number;
  /** Patients in the run: positions in it (for the drift window) are index / total. */
  total: number;
  /** Absent: the uniform profile. Present: whole training patients, drawn with replacement. */
  training?: TrainingProfile;
  drift?: AgeDrift;
}

/** Returns the run's patients one after the other: the i-th call gives patient i (0-based). */
export function patientSequence(options: PatientOptions): () => SurveyAnswers {
  const random = seededRandom(options.seed);
  let index = 0;
  const { training } = options;
  return () => {
    const drawn = training
      ? training.patients[Math.floor(random() * training.patients.length)]!.answers
      : undefined;
    const normalAge = drawn ? drawn.AGE : AGE_MIN + Math.floor(random() * (AGE_MAX - AGE_MIN + 1));
    const stepOffset = Math.floor(random() * (2 * STEP_DRIFT_SPREAD + 1)) - STEP_DRIFT_SPREAD;
    const percent = (100 * index) / options.total;
    index += 1;
    const age = driftedAge(normalAge, stepOffset, percent, options.drift);
    if (drawn) {
      return { ...drawn, AGE: age };
    }
    const patient = {} as SurveyAnswers;
    for (const field of INPUT_FIELDS) {
      patient[field] = field === 'AGE' ? age : random() < 0.5 ? 1 : 0;
    }
    return patient;
  };
}

/**
 * The age of a patient at `percent` of the run. Outside the window [start, end) it is the normal draw. Inside:
 * - ramp: normal + w × (target − normal), rounded, where w = (percent − start) / (end − start) goes linearly from 0
 *   at the window's start towards 1 at its end;
 * - step: target + offset (offset uniform in −5…+5), clamped to 20-90.
 */
export function driftedAge(normalAge: number, stepOffset: number, percent: number, drift?: AgeDrift): number {
  if (!drift || percent < drift.startPercent || percent >= drift.endPercent) {
    return normalAge;
  }
  if (drift.mode === 'step') {
    return Math.min(AGE_MAX, Math.max(AGE_MIN, drift.target + stepOffset));
  }
  const weight = (percent - drift.startPercent) / (drift.endPercent - drift.startPercent);
  return Math.round(normalAge + weight * (drift.target - normalAge));
}
