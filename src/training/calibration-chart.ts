import type { ModelCard } from '../model-pool/model-card';
import { Chart, COLOURS, lineChart } from '../monitoring/monitoring.charts';

const MODEL_COLOURS = [COLOURS.current, COLOURS.p95, COLOURS.positive, COLOURS.negative];

/**
 * The reliability diagram of the cards (model/calibration.svg, shown in model/README.md): for each bin of predicted
 * probability, the observed rate of each model, beside the diagonal of a perfectly calibrated one. An empty bin
 * breaks the model's line.
 */
export function calibrationChart(cards: readonly ModelCard[]): Chart {
  const bins = cards[0]?.calibration.bins ?? [];
  const midpoints = bins.map((b) => Math.round(((b.lower + b.upper) / 2) * 100) / 100);
  return lineChart(
    'Out-of-fold reliability: observed rate by predicted probability',
    midpoints.map((m) => m.toFixed(2)),
    [
      { name: 'perfect', colour: COLOURS.reference, values: midpoints },
      ...cards.map((card, i) => ({
        name: `${card.name} (ECE ${card.calibration.ece.toFixed(3)})`,
        colour: MODEL_COLOURS[i % MODEL_COLOURS.length]!,
        values: card.calibration.bins.map((b) => b.observed_rate),
      })),
    ],
  );
}
