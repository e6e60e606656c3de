import type { DriftReport, FeatureDrift } from './drift.engine';
import { barChart, Chart, COLOURS, lineChart } from './monitoring.charts';
import type { MonitoringSummary } from './monitoring.summary';

/** View models of the monitoring pages (views/monitoring.hbs, views/drift.hbs): numbers and charts, no answers. */

const percent = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : `${(value * 100).toFixed(1)} %`;
const number = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined ? '–' : String(Math.round(value * 10 ** digits) / 10 ** digits);

/** `HH:MM:SS` of an ISO time, UTC. */
const clock = (iso: string): string => iso.slice(11, 19);

function verdict(report: Pick<DriftReport, 'status' | 'dataset_drift' | 'drifted_features'>): {
  text: string;
  level: 'ok' | 'warning' | 'critical' | 'unknown';
} {
  if (report.status !== 'ok') {
    return { text: 'Not enough data', level: 'unknown' };
  }
  if (report.dataset_drift) {
    return { text: `Data drift (${report.drifted_features} inputs)`, level: 'critical' };
  }
  return report.drifted_features > 0
    ? { text: `Drift in ${report.drifted_features} input(s)`, level: 'warning' }
    : { text: 'No drift', level: 'ok' };
}

function featureChart(feature: FeatureDrift): Chart {
  const title = `${feature.feature}: reference vs current`;
  if (feature.kind === 'numeric' && feature.bin_edges) {
    const edges = feature.bin_edges;
    const labels = edges.slice(0, -1).map((edge, i) => `${edge}–${edges[i + 1]}`);
    return barChart(title, labels, [
      { name: 'reference', colour: COLOURS.reference, values: feature.reference.bin_shares ?? [] },
      { name: 'current', colour: COLOURS.current, values: feature.current.bin_shares ?? [] },
    ]);
  }
  const ref = feature.reference.share_of_ones ?? 0;
  const cur = feature.current.share_of_ones ?? 0;
  return barChart(title, feature.feature === 'prediction' ? ['negative', 'positive'] : ['0', '1'], [
    { name: 'reference', colour: COLOURS.reference, values: [1 - ref, ref] },
    { name: 'current', colour: COLOURS.current, values: [1 - cur, cur] },
  ]);
}

function featureRow(feature: FeatureDrift) {
  return {
    name: feature.feature,
    test: feature.test === 'ks' ? 'Kolmogorov–Smirnov' : 'chi-square',
    statistic: number(feature.statistic),
    pValue: number(feature.p_value, 4),
    psi: number(feature.psi),
    wasserstein: number(feature.wasserstein_normalised),
    level: feature.level,
    levelClass: feature.level.toLowerCase(),
    reference:
      feature.kind === 'numeric'
        ? `mean ${number(feature.reference.mean, 1)}, sd ${number(feature.reference.std, 1)}`
        : `${percent(feature.reference.share_of_ones)} yes`,
    current:
      feature.kind === 'numeric'
        ? `mean ${number(feature.current.mean, 1)}, sd ${number(feature.current.std, 1)}`
        : `${percent(feature.current.share_of_ones)} yes`,
    chart: featureChart(feature),
  };
}

export function driftPage(report: DriftReport, version: string) {
  const features = [...report.features].sort((a, b) => a.p_value - b.p_value);
  return {
    layout: 'monitoring-layout',
    title: 'lungcheck – drift report',
    version,
    refresh: false,
    verdict: verdict(report),
    report: {
      model: report.reference_model,
      size: report.window.size,
      maxSize: report.window.max_size,
      minSamples: report.window.min_samples,
      from: report.window.from ?? '–',
      to: report.window.to ?? '–',
      generatedAt: report.generated_at,
      share: percent(report.drift_share),
      thresholds: report.thresholds,
      enough: report.status === 'ok',
    },
    features: features.map(featureRow),
    prediction: report.prediction ? featureRow(report.prediction) : null,
  };
}

export function dashboardPage(summary: MonitoringSummary, version: string) {
  const labels = summary.timeline.map((p) => clock(p.at));
  return {
    layout: 'monitoring-layout',
    title: 'lungcheck – monitoring',
    version,
    refresh: true,
    generatedAt: summary.generated_at,
    window: summary.window,
    verdict: verdict(summary.drift),
    driftFeatures: summary.drift.features_in_drift.join(', '),
    cards: [
      { label: 'Predictions', value: String(summary.predictions.count) },
      { label: 'Positive rate', value: percent(summary.predictions.positive_rate) },
      { label: 'Error rate', value: percent(summary.requests.error_rate) },
      { label: 'Latency p95', value: `${number(summary.latency_ms.p95, 1)} ms` },
      {
        label: 'Unshipped entries',
        value: summary.shipping.pending === null ? '–' : String(summary.shipping.pending),
      },
    ],
    alerts: summary.alerts.map((a) => ({ ...a, levelClass: a.level.toLowerCase().replace('_', '-') })),
    charts: [
      lineChart('Predictions over time', labels, [
        { name: 'positive', colour: COLOURS.positive, values: summary.timeline.map((p) => p.positive) },
        {
          name: 'negative',
          colour: COLOURS.negative,
          values: summary.timeline.map((p) => p.predictions - p.positive),
        },
      ]),
      barChart(
        'Decisions and risk levels',
        ['negative', 'positive', 'low', 'moderate', 'high'],
        [
          {
            name: 'predictions',
            colour: COLOURS.current,
            values: [
              summary.predictions.negative,
              summary.predictions.positive,
              summary.risk_levels.low,
              summary.risk_levels.moderate,
              summary.risk_levels.high,
            ],
          },
        ],
      ),
      lineChart(
        'Latency over time',
        labels,
        [
          { name: 'p50', colour: COLOURS.p50, values: summary.timeline.map((p) => p.p50) },
          { name: 'p95', colour: COLOURS.p95, values: summary.timeline.map((p) => p.p95) },
          { name: 'p99', colour: COLOURS.p99, values: summary.timeline.map((p) => p.p99) },
        ],
        'ms',
      ),
      lineChart('Errors over time', labels, [
        { name: 'errors', colour: COLOURS.positive, values: summary.timeline.map((p) => p.errors) },
        { name: 'requests', colour: COLOURS.reference, values: summary.timeline.map((p) => p.requests) },
      ]),
      barChart(
        'Costliest stages (total ms)',
        summary.costliest_stages.map((s) => s.function),
        [
          {
            name: 'total ms',
            colour: COLOURS.p95,
            values: summary.costliest_stages.map((s) => s.total_time_ms),
          },
        ],
        'ms',
      ),
    ],
    shipping: {
      ...summary.shipping,
      lastRun: summary.shipping.last_run_at ?? 'never',
      lastOutcome: summary.shipping.last_outcome ?? '–',
      lag:
        summary.shipping.oldest_unshipped_age_seconds === null
          ? '–'
          : `${summary.shipping.oldest_unshipped_age_seconds} s`,
    },
  };
}
