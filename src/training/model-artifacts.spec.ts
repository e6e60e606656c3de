import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
});
