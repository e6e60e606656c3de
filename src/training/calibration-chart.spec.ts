import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCard } from '../model-pool/model-card';
import { calibrationChart } from './calibration-chart';

const MODEL_DIR = join(__dirname, '../../model');
const cards = ['logistic_regression', 'random_forest'].map(
  (name) => JSON.parse(readFileSync(join(MODEL_DIR, `${name}.card.json`), 'utf8')) as ModelCard,
);

describe(calibrationChart.name, () => {
  it('draws the diagonal and one line per model, named with its ECE', () => {
    const { svg } = calibrationChart(cards);
    expect(svg.match(/data-series="[^"]*"/g)).toEqual([
      'data-series="perfect"',
      `data-series="logistic_regression (ECE ${cards[0]!.calibration.ece.toFixed(3)})"`,
      `data-series="random_forest (ECE ${cards[1]!.calibration.ece.toFixed(3)})"`,
    ]);
  });

  it('is what model/calibration.svg holds (npm run train writes both from the same cards)', () => {
    expect(readFileSync(join(MODEL_DIR, 'calibration.svg'), 'utf8')).toBe(`${calibrationChart(cards).svg}\n`);
  });

  it("matches each card's figures: bins cover every out-of-fold prediction and give its ECE", () => {
    for (const { calibration, training, cv } of cards) {
      const predictions = calibration.bins.reduce((n, b) => n + b.count, 0);
      expect(predictions).toBe(training.rows_after_dedup * cv.repeats);
      const ece = calibration.bins.reduce(
        (sum, b) =>
          sum +
          (b.count === 0 ? 0 : (b.count / predictions) * Math.abs(b.observed_rate! - b.mean_predicted!)),
        0,
      );
      expect(ece).toBeCloseTo(calibration.ece, 5);
    }
  });
});
