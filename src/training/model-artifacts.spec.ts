import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { FEATURE_ORDER } from '../features/features';
import type { ModelCard } from '../model-pool/model-card';

/** The committed model directory meets the quality bar of issue 2. */
const MODEL_DIR = join(__dirname, '../../model');
const cards = readdirSync(MODEL_DIR)
  .filter((f) => f.endsWith('.card.json'))
  .map((f) => JSON.parse(readFileSync(join(MODEL_DIR, f), 'utf8')) as ModelCard);

describe('committed model artifacts', () => {
  it('has one card per ONNX file, each naming its file and content hash', () => {
    const onnxFiles = readdirSync(MODEL_DIR).filter((f) => f.endsWith('.onnx'));
    expect(cards.map((c) => c.onnx_file).sort()).toEqual(onnxFiles.sort());
    for (const card of cards) {
      const hash = createHash('sha256')
        .update(readFileSync(join(MODEL_DIR, card.onnx_file)))
        .digest('hex');
      expect(card.version).toBe(hash.slice(0, 12));
      expect(card.feature_order).toEqual(FEATURE_ORDER);
    }
  });

  it('marks exactly one default, trained with 5 × 5 CV, at ROC-AUC ≥ 0.93 and a Brier below a constant predictor', () => {
    const defaults = cards.filter((c) => c.default);
    expect(defaults).toHaveLength(1);
    const [card] = defaults;
    expect(card.cv).toMatchObject({ folds: 5, repeats: 5 });
    expect(card.cv.metrics.roc_auc.mean).toBeGreaterThanOrEqual(0.93);
    expect(card.cv.metrics.brier.mean).toBeLessThan(card.cv.baseline_brier);
  });

  it('says in each card whether a calibrator was kept and why, and the ONNX graph carries the one kept', () => {
    for (const card of cards) {
      const { calibrator, ece, brier } = card.calibration;
      const served = { ece, brier };
      expect(calibrator.reason.length).toBeGreaterThan(0);
      if (calibrator.before.ece <= calibrator.ece_limit) {
        expect(calibrator).toMatchObject({ method: 'none', candidates: null, after: null, parameters: null });
      }
      if (calibrator.method === 'none') {
        expect(served).toEqual(calibrator.before);
        expect(calibrator.after).toBeNull();
      } else {
        expect(calibrator.eligible_methods).toContain(calibrator.method);
        expect(calibrator.after).toEqual(calibrator.candidates?.[calibrator.method]);
        expect(served).toEqual(calibrator.after);
        expect(calibrator.after!.brier).toBeLessThan(calibrator.before.brier);
      }
      const graph = onnx.ModelProto.decode(readFileSync(join(MODEL_DIR, card.onnx_file))).graph!;
      const initializer = (name: string): number[] | undefined =>
        graph.initializer?.find((t) => t.name === name)?.floatData ?? undefined;
      const parameters = calibrator.parameters;
      if (calibrator.method === 'platt' && parameters && 'a' in parameters) {
        expect([initializer('platt_a'), initializer('platt_b')]).toEqual([
          [Math.fround(parameters.a)],
          [Math.fround(parameters.b)],
        ]);
        if (parameters.input === 'logit') {
          const ops = graph.node!.map((n) => n.opType);
          const from = ops.indexOf('MatMul');
          expect(ops.slice(from, ops.indexOf('Sigmoid') + 1)).toEqual([
            'MatMul',
            'Add',
            'Mul',
            'Add',
            'Sigmoid',
          ]);
        }
      } else if (calibrator.method === 'isotonic' && parameters && 'values' in parameters) {
        // (A calibrator without a step is exported with one unreachable step, its value twice.)
        const values =
          parameters.thresholds.length > 0 ? parameters.values : [...parameters.values, ...parameters.values];
        expect(initializer('isotonic_values')).toEqual(values.map(Math.fround));
      } else {
        expect(initializer('platt_a') ?? initializer('isotonic_values')).toBeUndefined();
      }
    }
  });
});
