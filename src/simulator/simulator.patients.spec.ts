import { join } from 'node:path';
import { INPUT_FIELDS, type SurveyAnswers } from '../features/features';
import type { AgeDrift } from './simulator.options';
import { driftedAge, patientSequence, type PatientOptions } from './simulator.patients';
import { loadTrainingProfile } from './simulator.profile';

const draw = (count: number, options: Omit<PatientOptions, 'total'>): SurveyAnswers[] => {
  const next = patientSequence({ ...options, total: count });
  return Array.from({ length: count }, () => next());
};

const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
const ages = (patients: readonly SurveyAnswers[]): number[] => patients.map((p) => p.AGE);

const drift = (mode: AgeDrift['mode'], target: number, startPercent = 0, endPercent = 100): AgeDrift => ({
  mode,
  target,
  startPercent,
  endPercent,
});

describe(patientSequence.name, () => {
  it('draws the 15 answers in canonical order: AGE an integer 20-90, the others 0 or 1, each value seen', () => {
    const patients = draw(5000, { seed: 1 });
    for (const p of patients) {
      expect(Object.keys(p)).toEqual([...INPUT_FIELDS]);
      expect(Number.isInteger(p.AGE) && p.AGE >= 20 && p.AGE <= 90).toBe(true);
      for (const field of INPUT_FIELDS.filter((f) => f !== 'AGE')) {
        expect([0, 1]).toContain(p[field]);
      }
    }
    expect(new Set(ages(patients)).size).toBe(71);
    for (const field of INPUT_FIELDS.filter((f) => f !== 'AGE')) {
      expect(mean(patients.map((p) => p[field]))).toBeCloseTo(0.5, 1);
    }
  });

  it('gives the same patients for the same seed and other patients for another seed', () => {
    const first = draw(200, { seed: 42 });
    expect(draw(200, { seed: 42 })).toEqual(first);
    const other = draw(200, { seed: 43 });
    expect(other).not.toEqual(first);
    expect(other.filter((p, i) => JSON.stringify(p) === JSON.stringify(first[i])).length).toBeLessThan(5);
  });

  it('changes only AGE when the same seed drifts', () => {
    const plain = draw(300, { seed: 9 });
    const drifted = draw(300, { seed: 9, drift: drift('step', 80) });
    expect(drifted.map(({ AGE: _, ...rest }) => rest)).toEqual(plain.map(({ AGE: _, ...rest }) => rest));
    expect(ages(drifted)).not.toEqual(ages(plain));
  });

  it('step drift: before the window the normal draw, from its start every age within 5 years of the target', () => {
    const patients = draw(1000, { seed: 3, drift: drift('step', 75, 40) });
    const before = ages(patients.slice(0, 400));
    const within = ages(patients.slice(400));
    expect(before).toEqual(ages(draw(1000, { seed: 3 }).slice(0, 400)));
    expect(Math.min(...before)).toBeLessThan(40);
    expect(Math.min(...within)).toBe(70);
    expect(Math.max(...within)).toBe(80);
    expect(mean(within)).toBeCloseTo(75, 0);
  });

  it('step drift ends with its window and stays within 20-90 near the bounds', () => {
    const patients = draw(1000, { seed: 4, drift: drift('step', 90, 0, 50) });
    expect(Math.min(...ages(patients.slice(0, 500)))).toBe(85);
    expect(Math.max(...ages(patients.slice(0, 500)))).toBe(90);
    expect(Math.min(...ages(patients.slice(500)))).toBeLessThan(40);
  });

  it('ramp drift: the mean age rises across the window towards the target', () => {
    const patients = draw(20_000, { seed: 5, drift: drift('ramp', 85, 50, 100) });
    const quarterMeans = [0, 1, 2, 3].map((q) => mean(ages(patients.slice(q * 5000, (q + 1) * 5000))));
    // Uniform 20-90 has mean 55; half-way through the ramp window the mean is half-way to 85.
    expect(quarterMeans[0]).toBeCloseTo(55, 0);
    expect(quarterMeans[1]).toBeCloseTo(55, 0);
    expect(quarterMeans[2]).toBeGreaterThan(quarterMeans[1] + 2);
    expect(quarterMeans[3]).toBeGreaterThan(quarterMeans[2] + 5);
    expect(mean(ages(patients.slice(19_000)))).toBeGreaterThan(83);
  });

  it('training profile: whole training patients, each answer set one of the rows, drawn evenly', () => {
    const training = loadTrainingProfile(join(__dirname, '../../data/survey_lung_cancer.csv'));
    const rows = new Set(training.patients.map((p) => JSON.stringify(p.answers)));
    const patients = draw(20_000, { seed: 11, training });
    expect(patients.every((p) => rows.has(JSON.stringify(p)))).toBe(true);
    // Every share of 1 and the mean age as in the training rows (276 of them, each drawn ~72 times).
    for (const field of INPUT_FIELDS) {
      const expected = mean(training.patients.map((p) => p.answers[field]));
      expect(Math.abs(mean(patients.map((p) => p[field])) - expected)).toBeLessThan(
        field === 'AGE' ? 0.3 : 0.015,
      );
    }
  });

  it('training profile with drift: the same patients but for AGE', () => {
    const training = loadTrainingProfile(join(__dirname, '../../data/survey_lung_cancer.csv'));
    const plain = draw(200, { seed: 12, training });
    const drifted = draw(200, { seed: 12, training, drift: drift('step', 80) });
    expect(drifted.map(({ AGE: _age, ...rest }) => rest)).toEqual(
      plain.map(({ AGE: _age, ...rest }) => rest),
    );
    expect(mean(ages(drifted))).toBeGreaterThan(75);
  });
});

describe(driftedAge.name, () => {
  it('ramp: the normal age at the window start, a linear blend inside, the normal age again from its end', () => {
    const ramp = drift('ramp', 80, 20, 60);
    expect(driftedAge(40, 3, 10, ramp)).toBe(40);
    expect(driftedAge(40, 3, 20, ramp)).toBe(40);
    expect(driftedAge(40, 3, 40, ramp)).toBe(60);
    expect(driftedAge(40, 3, 50, ramp)).toBe(70);
    expect(driftedAge(40, 3, 60, ramp)).toBe(40);
  });

  it('step: target plus the offset, clamped to 20-90, inside the window only', () => {
    expect(driftedAge(40, -5, 0, drift('step', 22))).toBe(20);
    expect(driftedAge(40, 4, 99.9, drift('step', 88))).toBe(90);
    expect(driftedAge(40, -2, 5, drift('step', 70, 10, 90))).toBe(40);
    expect(driftedAge(40, -2, 10, drift('step', 70, 10, 90))).toBe(68);
  });
});
