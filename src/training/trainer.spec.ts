import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { engineerFeatures, FEATURE_ORDER, featureMatrix } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';
import { SURVEY_DATA } from '../../test/fixtures/survey-data';
import { DEFAULT_TRAIN_OPTIONS, trainModels, TrainingResult, writeModelDirectory } from './trainer';

const small = {
  ...DEFAULT_TRAIN_OPTIONS,
  dataFile: SURVEY_DATA,
  folds: 3,
  repeats: 1,
  trees: 15,
  lrGrid: [0.1],
};
/** Every model's ONNX file, run by onnxruntime on every row, gives its TypeScript model's probabilities (≤ 1e-5)
 * and the labels of the card's threshold. */
async function expectOnnxToMatch(result: TrainingResult): Promise<void> {
  const rows = result.dataset.rows.map((r) => r.answers);
  const input = new ort.Tensor('float32', featureMatrix(rows), [rows.length, 29]);
  for (const { onnx, model, card } of result.models) {
    const session = await ort.InferenceSession.create(Buffer.from(onnx));
    const out = await session.run({ [card.onnx.input]: input });
    const probabilities = out[card.onnx.probabilities_output];
    const labels = out[card.onnx.label_output];
    expect(probabilities.dims).toEqual([rows.length, 2]);
    expect(labels.dims).toEqual([rows.length]);
    const expected = model.predictProba(rows.map(engineerFeatures));
    const got = probabilities.data as Float32Array;
    const diffs = expected.map((p, i) =>
      Math.max(Math.abs(p - got[2 * i + 1]), Math.abs(1 - p - got[2 * i])),
    );
    expect(Math.max(...diffs)).toBeLessThanOrEqual(1e-5);
    const label = Array.from(labels.data as BigInt64Array, Number);
    expect(label).toEqual(
      Array.from({ length: rows.length }, (_, i) => (got[2 * i + 1] >= card.threshold.value ? 1 : 0)),
    );
    await session.release();
  }
}

describe(trainModels.name, () => {
  let result: TrainingResult;
  beforeAll(() => {
    result = trainModels(small);
  });

  it('trains a logistic regression and a random forest, exactly one of them the default', () => {
    expect(result.models.map((m) => m.card.family)).toEqual(['logistic_regression', 'random_forest']);
    expect(result.models.filter((m) => m.card.default)).toHaveLength(1);
    const best = Math.max(...result.models.map((m) => m.card.cv.metrics.roc_auc.mean));
    expect(result.models.find((m) => m.card.default)?.card.cv.metrics.roc_auc.mean).toBe(best);
  });

  it('fills the card: version hash, feature order, threshold, CV metrics, row counts, reference distribution', () => {
    for (const { card, onnx } of result.models) {
      expect(card.version).toBe(createHash('sha256').update(onnx).digest('hex').slice(0, 12));
      expect(card.feature_order).toEqual(FEATURE_ORDER);
      expect(card.threshold.rule).toBe('f2');
      expect(card.threshold.specificity).toBeGreaterThanOrEqual(small.minSpecificity);
      expect(card.cv).toMatchObject({ folds: 3, repeats: 1, seed: 42 });
      expect(Object.keys(card.cv.metrics).sort()).toEqual(
        ['balanced_accuracy', 'brier', 'pr_auc', 'recall', 'roc_auc', 'specificity'].sort(),
      );
      expect(card.training).toMatchObject({ rows_read: 309, rows_after_dedup: 276, duplicates_removed: 33 });
      expect(card.training.positives + card.training.negatives).toBe(276);
      const age = card.reference_distribution.inputs.AGE;
      expect(age.kind).toBe('histogram');
      expect(age.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(card.reference_distribution.rows).toBe(276);
      if (age.kind === 'histogram') {
        const ages = result.dataset.rows.map((r) => r.answers.AGE);
        // The exact distribution: every age once, increasing, with the rows that have it.
        expect(age.values).toEqual([...new Set(ages)].sort((a, b) => a - b));
        age.values.forEach((value, i) => expect(age.counts[i]).toBe(ages.filter((a) => a === value).length));
      }
      const smoking = card.reference_distribution.inputs.SMOKING;
      expect(smoking.kind).toBe('binary');
      if (smoking.kind === 'binary') {
        expect(smoking.ones).toBe(result.dataset.rows.filter((r) => r.answers.SMOKING === 1).length);
        expect(smoking.proportions[1]).toBeCloseTo(smoking.ones / 276, 6);
      }
      expect(card.reference_distribution.predicted_positive_rate).toBeGreaterThan(0);
      expect(card.reference_distribution.predicted_positive_rate).toBeLessThan(1);
    }
  });

  it('exports ONNX models that onnxruntime runs to the TypeScript model probabilities (≤ 1e-5) on every row', async () => {
    await expectOnnxToMatch(result);
  });

  it('is deterministic: same data, seed and code write byte-identical files but for created_at', () => {
    const first = join(mkdtempSync(join(tmpdir(), 'lungcheck-model-')), 'model');
    const second = join(mkdtempSync(join(tmpdir(), 'lungcheck-model-')), 'model');
    writeModelDirectory(first, result.models);
    writeModelDirectory(second, trainModels(small).models);
    const files = readdirSync(first).sort();
    expect(readdirSync(second).sort()).toEqual(files);
    const withoutCreatedAt = (file: string): Buffer =>
      file.endsWith('.json')
        ? Buffer.from(readFileSync(file, 'utf8').replace(/"created_at": "[^"]*"/, ''))
        : readFileSync(file);
    for (const file of files) {
      expect(withoutCreatedAt(join(second, file)).equals(withoutCreatedAt(join(first, file)))).toBe(true);
    }
    const card = files.find((f) => f.endsWith('.card.json')) as string;
    const createdAt = (JSON.parse(readFileSync(join(first, card), 'utf8')) as ModelCard).created_at;
    expect(new Date(createdAt).toISOString()).toBe(createdAt);
  });
});

describe(`${trainModels.name} with a calibrator`, () => {
  // An ECE limit of 0 makes every model try both calibrators.
  let result: TrainingResult;
  beforeAll(() => {
    result = trainModels({ ...small, calibrationEceLimit: 0 });
  });

  it('tries both methods, keeps the one with the lower out-of-fold Brier only if it beats the classifier, says so', () => {
    for (const { card } of result.models) {
      const c = card.calibration.calibrator;
      expect(c.ece_limit).toBe(0);
      const { platt, isotonic } = c.candidates!;
      const eligible = c.eligible_methods.map((m) => ({
        m,
        brier: m === 'platt' ? platt.brier : isotonic.brier,
      }));
      const best = eligible.reduce((a, b) => (b.brier < a.brier ? b : a));
      if (best.brier < c.before.brier) {
        expect(c.method).toBe(best.m);
        expect(c.after).toEqual({ ece: card.calibration.ece, brier: card.calibration.brier });
        expect(c.reason).toMatch(/: kept, refitted on all 276 out-of-fold predictions/);
      } else {
        expect(c).toMatchObject({ method: 'none', after: null, parameters: null });
        expect(c.before).toEqual({ ece: card.calibration.ece, brier: card.calibration.brier });
        expect(c.reason).toMatch(/: not kept/);
      }
    }
    // The logistic regression may only get Platt scaling (its explanation stays exact), the forest either.
    expect(result.models.map((m) => m.card.calibration.calibrator.eligible_methods)).toEqual([
      ['platt'],
      ['platt', 'isotonic'],
    ]);
  });

  it('builds the kept calibrators into the ONNX graphs, which onnxruntime runs to the TypeScript models (≤ 1e-5)', async () => {
    expect(result.models.some((m) => m.card.calibration.calibrator.method !== 'none')).toBe(true);
    await expectOnnxToMatch(result);
  });
});

describe(writeModelDirectory.name, () => {
  it('writes <name>.onnx and <name>.card.json', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lungcheck-model-')), 'model');
    writeModelDirectory(out, trainModels({ ...small, folds: 2, trees: 3 }).models);
    expect(readdirSync(out).sort()).toEqual([
      'logistic_regression.card.json',
      'logistic_regression.onnx',
      'random_forest.card.json',
      'random_forest.onnx',
    ]);
  });

  it('leaves the model directory untouched when the data file is malformed', () => {
    const root = mkdtempSync(join(tmpdir(), 'lungcheck-model-'));
    const out = join(root, 'model');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.onnx'), 'previous model');
    const bad = join(root, 'bad.csv');
    writeFileSync(bad, 'GENDER,AGE\nM,60\n');
    expect(() => writeModelDirectory(out, trainModels({ ...small, dataFile: bad }).models)).toThrow(
      /bad\.csv: line 1, column "SMOKING": missing column/,
    );
    expect(readdirSync(out)).toEqual(['keep.onnx']);
    expect(readFileSync(join(out, 'keep.onnx'), 'utf8')).toBe('previous model');
  });
});
