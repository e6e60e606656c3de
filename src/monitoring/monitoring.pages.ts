import { INPUT_FIELDS } from '../features/features';
import type { DriftEvaluation, EvaluatedFeature } from '../log-store/drift-evaluation';
import type { Alert } from './alerts.service';
import { type DriftLevel, type DriftReport, type FeatureDrift, formatP } from './drift.engine';
import {
  barChart,
  COLOURS,
  type DrawnChart,
  formatNumber,
  histogramChart,
  type Series,
  timeChart,
} from './monitoring.charts';
import type { DriftHistoryPoint, MonitoringSummary } from './monitoring.summary';

/**
 * View models of the monitoring pages (views/monitoring.hbs, views/drift.hbs): sentences, figures and charts, no
 * answers. Every chart comes with a table of its numbers; every figure is rounded here, when it is written.
 */

/** A table cell with the name of its column, which narrow screens write before the value. */
export interface Cell {
  label: string;
  value: string;
}

export interface DataTable {
  columns: string[];
  /** The first cell of each row names the row. */
  rows: Cell[][];
}

/** A chart (or two sharing a time axis), its caption, what a point is, and its numbers; or why there is none. */
export interface Figure {
  id: string;
  title: string;
  /** What a point stands for, or how to read the chart; empty when the title says it. */
  note: string;
  charts: DrawnChart[];
  table: DataTable | null;
  /** Instead of the chart: "No data yet…". */
  empty: string | null;
}

export type PageLevel = 'ok' | 'warning' | 'critical' | 'unknown';

const NAV = [
  { key: 'dashboard', href: '/monitoring', label: 'Dashboard' },
  { key: 'drift', href: '/monitoring/drift', label: 'Drift report' },
  { key: 'summary', href: '/monitoring/summary', label: 'Summary (JSON)' },
  { key: 'alerts', href: '/monitoring/alerts', label: 'Alerts (JSON)' },
  { key: 'form', href: '/', label: 'Form' },
];

const nav = (current: string) =>
  NAV.map(({ key, href, label }) => ({ href, label, current: key === current }));

// ---------------------------------------------------------------------------------------------------------------
// Words and numbers

/** `1 input`, `2 inputs`, `0 inputs`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

const percent = (share: number | null | undefined): string =>
  share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)} %`;

const decimals = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

/** Units that count things, and their singular. */
const SINGULAR: Record<string, string> = { inputs: 'input' };

/** A number (three significant digits) with its unit, `–` without a value. */
function withUnit(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) {
    return '–';
  }
  const shown = formatNumber(Number(value.toPrecision(3)));
  const word = shown === '1' ? (SINGULAR[unit] ?? unit) : unit;
  return word ? `${shown} ${word}` : shown;
}

/** `HH:MM:SS` of an ISO time, UTC. */
const clock = (iso: string): string => new Date(iso).toISOString().slice(11, 19);

/** `YYYY-MM-DD HH:MM:SS UTC`. */
const dateTime = (iso: string): string => `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** A span of `from` to `to`: the second one without its day when it is the first one's. */
function span(from: string, to: string): { from: string; to: string } {
  const sameDay = new Date(from).toISOString().slice(0, 10) === new Date(to).toISOString().slice(0, 10);
  return { from: dateTime(from), to: sameDay ? clock(to) : dateTime(to) };
}

/** What one point of a time chart stands for: `per 10 s`, `per minute`, `per 3 h`. */
export function perPeriod(seconds: number): string {
  const units: [number, string, string][] = [
    [86_400, 'day', 'days'],
    [3600, 'hour', 'h'],
    [60, 'minute', 'min'],
  ];
  for (const [size, one, many] of units) {
    if (seconds >= size && seconds % size === 0) {
      return seconds === size ? `per ${one}` : `per ${seconds / size} ${many}`;
    }
  }
  return `per ${formatNumber(Number(seconds.toPrecision(3)))} s`;
}

/** A row's time in a table: the time of day, with the day when the rows span more than one. */
function rowTime(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs >= 86_400_000 ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(11, 19);
}

const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

const row = (columns: readonly string[], values: readonly string[]): Cell[] =>
  values.map((value, i) => ({ label: columns[i] ?? '', value }));

function table(columns: string[], rows: readonly (readonly string[])[]): DataTable {
  return { columns, rows: rows.map((values) => row(columns, values)) };
}

const emptyFigure = (id: string, title: string, empty: string): Figure => ({
  id,
  title,
  note: '',
  charts: [],
  table: null,
  empty,
});

// ---------------------------------------------------------------------------------------------------------------
// Drift levels and sentences

const LEVEL_LABELS: Record<PageLevel, string> = {
  ok: 'no drift',
  warning: 'drift',
  critical: 'data-set drift',
  unknown: 'not judged',
};

/** The page's level and its label: from the data-set verdict, the inputs in DRIFT and the decisions. */
export function driftState(report: {
  status: DriftReport['status'];
  dataset_drift: boolean | null;
  drifted_features: number;
  prediction: DriftLevel | null;
}): { level: PageLevel; label: string } {
  if (report.status !== 'ok') {
    return { level: 'unknown', label: LEVEL_LABELS.unknown };
  }
  const parts: string[] = [];
  if (report.drifted_features > 0) {
    parts.push(`${plural(report.drifted_features, 'input')} in DRIFT`);
  }
  if (report.prediction === 'DRIFT') {
    parts.push('predictions in DRIFT');
  }
  if (report.dataset_drift) {
    return { level: 'critical', label: [LEVEL_LABELS.critical, ...parts].join(': ') };
  }
  return parts.length > 0
    ? { level: 'warning', label: parts.join(', ') }
    : { level: 'ok', label: LEVEL_LABELS.ok };
}

const TESTS = { ks: 'Kolmogorov–Smirnov', z_test: 'two-proportion z-test' } as const;
const STATISTICS = { ks: 'D', z_test: 'z' } as const;

const statistic = (test: 'ks' | 'z_test', value: number): string =>
  `${STATISTICS[test]} = ${value < 0 ? '−' : ''}${Math.abs(value).toFixed(3)}`;

/** The smallest number of inputs in DRIFT for which the engine calls the data set drifted (k / n ≥ share). */
export function datasetDriftCount(share: number, inputs: number): number {
  for (let k = 0; k <= inputs; k++) {
    if (k / inputs >= share) {
      return k;
    }
  }
  return inputs;
}

// ---------------------------------------------------------------------------------------------------------------
// Drift history: every kept evaluation, or the worst one of each period when there are too many to draw

/** The most points a history chart draws; beyond, evaluations are grouped by period. */
export const HISTORY_POINTS = 60;
const PERIODS_SECONDS = [10, 30, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86_400];

interface Slot {
  at: number;
  /** Indexes of the evaluations in this slot; none: a gap (no evaluation then). */
  members: number[];
}

interface Slots {
  slots: Slot[];
  stepSeconds: number;
  /** `per evaluation` or `per 5 min`. */
  per: string;
  grouped: boolean;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/**
 * The points of a history chart from the evaluations' times (oldest first): one per evaluation, with a gap where
 * evaluations stopped for more than 2.5 of their usual intervals; past HISTORY_POINTS, one per period (a gap where a
 * period has none), the period at least twice the usual interval so that timing jitter never empties one.
 */
export function historySlots(times: readonly number[]): Slots {
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const usual = median(gaps.filter((g) => g > 0));
  if (times.length <= HISTORY_POINTS) {
    const slots: Slot[] = [];
    times.forEach((t, i) => {
      if (i > 0 && usual > 0 && t - times[i - 1]! > 2.5 * usual) {
        slots.push({ at: times[i - 1]! + usual, members: [] });
      }
      slots.push({ at: t, members: [i] });
    });
    return { slots, stepSeconds: usual / 1000, per: 'per evaluation', grouped: false };
  }
  const spanMs = times[times.length - 1]! - times[0]!;
  const period =
    PERIODS_SECONDS.find((s) => spanMs / (s * 1000) <= HISTORY_POINTS && s * 1000 >= 2 * usual) ??
    PERIODS_SECONDS[PERIODS_SECONDS.length - 1]!;
  const periodMs = period * 1000;
  const first = Math.floor(times[0]! / periodMs);
  const slots: Slot[] = Array.from(
    { length: Math.floor(times[times.length - 1]! / periodMs) - first + 1 },
    (_, i) => ({ at: (first + i) * periodMs, members: [] as number[] }),
  );
  times.forEach((t, i) => slots[Math.floor(t / periodMs) - first]!.members.push(i));
  return { slots, stepSeconds: period, per: perPeriod(period), grouped: true };
}

/** The member a slot shows: the first of the worst ones (by `worse`), or null. */
function worstOf<T>(
  members: readonly number[],
  value: (i: number) => T | null,
  worse: (a: T, b: T) => boolean,
) {
  let chosen: T | null = null;
  for (const i of members) {
    const candidate = value(i);
    if (candidate !== null && (chosen === null || worse(candidate, chosen))) {
      chosen = candidate;
    }
  }
  return chosen;
}

const EVALUATIONS_NOTE =
  'Drift is evaluated and kept every DRIFT_EVALUATE_SECONDS (never when it is 0); the last day of evaluations is shown.';
const NO_HISTORY = `No evaluation kept yet. ${EVALUATIONS_NOTE}`;
const noneJudged = (kept: number): string =>
  `No data yet: ${kept === 1 ? 'the one evaluation' : `the ${kept} evaluations`} kept had too few predictions to ` +
  'judge (DRIFT_MIN_SAMPLES).';

// ---------------------------------------------------------------------------------------------------------------
// The dashboard

function windowSentence(window: MonitoringSummary['window']): string {
  if (window.from === null || window.to === null) {
    return (
      `No request logged yet. The figures will describe the newest ${window.max_predictions} predictions ` +
      '(DRIFT_WINDOW_SIZE) and every request since the oldest of them.'
    );
  }
  const { from, to } = span(window.from, window.to);
  const requests = `${window.requests === 1 ? 'the one request' : `the ${window.requests} requests`} since ${from}, to ${to}`;
  if (window.predictions >= window.max_predictions) {
    return `The newest ${window.max_predictions} predictions (DRIFT_WINDOW_SIZE) and ${requests}.`;
  }
  const predictions =
    window.predictions === 0
      ? 'No prediction yet'
      : `All ${plural(window.predictions, 'prediction')} logged so far`;
  return `${predictions} (the window holds the newest ${window.max_predictions}, DRIFT_WINDOW_SIZE) and ${requests}.`;
}

const ALERT_LEVELS: Record<Alert['level'], { label: string; css: string }> = {
  OK: { label: 'OK', css: 'ok' },
  WARNING: { label: 'WARNING', css: 'warning' },
  CRITICAL: { label: 'CRITICAL', css: 'critical' },
  NO_DATA: { label: 'NO DATA', css: 'no-data' },
};

function alertRow(alert: Alert) {
  return {
    name: alert.name,
    quantity: alert.quantity,
    value: alert.value === null ? 'no data' : withUnit(alert.value, alert.unit),
    level: ALERT_LEVELS[alert.level].label,
    levelClass: ALERT_LEVELS[alert.level].css,
    warning: withUnit(alert.warning, alert.unit),
    critical: withUnit(alert.critical, alert.unit),
  };
}

/** Predictions of the window counted by decision or by risk level: a bar each, and each one's share. */
function countsFigure(
  { id, title, column, total }: { id: string; title: string; column: string; total: number },
  labels: string[],
  counts: number[],
  colours: string[],
): Figure {
  if (total === 0) {
    return emptyFigure(id, title, 'No data yet: no prediction in the window.');
  }
  const series = [{ name: 'predictions', colour: COLOURS.current, values: counts }];
  return {
    id,
    title,
    note: 'predictions in the window',
    charts: [barChart({ title: `${title} in the window`, labels, series, colours })],
    table: table(
      [column, 'Predictions', 'Share'],
      labels.map((label, i) => [label, String(counts[i]), percent(counts[i]! / total)]),
    ),
    empty: null,
  };
}

function trafficFigures(summary: MonitoringSummary): Figure[] {
  const { timeline } = summary;
  const times = timeline.map((p) => Date.parse(p.at));
  const step = summary.window.bucket_seconds;
  const per = perPeriod(step);
  const spanMs = times.length > 0 ? times[times.length - 1]! - times[0]! : 0;
  const xNote = `time (UTC), ${per}`;
  const timeFigure = (
    id: string,
    title: string,
    series: Series[],
    unit: string,
    integer: boolean,
  ): Figure => {
    const columns = ['Time (UTC)', ...series.map((s) => (unit ? `${s.name} (${unit})` : s.name))];
    return {
      id,
      title,
      note: `${per}; ${integer ? 'an empty period counts 0' : 'a gap: no request then'}`,
      charts: [
        timeChart({ title: `${title}, ${per}`, times, series, stepSeconds: step, unit, integer, xNote }),
      ],
      table: table(
        columns,
        timeline.map((_, i) => [
          rowTime(times[i]!, spanMs),
          ...series.map((s) => {
            const value = s.values[i] ?? null;
            return value === null ? '–' : integer ? String(value) : decimals(value, 1);
          }),
        ]),
      ),
      empty: null,
    };
  };
  const { predictions, risk_levels: risk } = summary;
  const decisions = countsFigure(
    { id: 'decisions', title: 'Decisions', column: 'Decision', total: predictions.count },
    ['positive', 'negative'],
    [predictions.positive, predictions.negative],
    [COLOURS.positive, COLOURS.negative],
  );
  const riskLevels = countsFigure(
    { id: 'risk-levels', title: 'Risk levels', column: 'Risk level', total: predictions.count },
    ['low', 'moderate', 'high'],
    [risk.low, risk.moderate, risk.high],
    [COLOURS.low, COLOURS.moderate, COLOURS.high],
  );
  const stages = summary.costliest_stages;
  const costliest: Figure =
    stages.length === 0
      ? emptyFigure('stages', 'Costliest stages', 'No data yet: no profiled prediction in the window.')
      : {
          id: 'stages',
          title: 'Costliest stages',
          note: 'total time over the profiled predictions of the window',
          charts: [
            barChart({
              title: 'Costliest stages, total time in ms',
              labels: stages.map((s) => s.function),
              series: [
                { name: 'total ms', colour: COLOURS.stage, values: stages.map((s) => s.total_time_ms) },
              ],
              colours: stages.map(() => COLOURS.stage),
              format: (v) => `${formatNumber(Number(v.toPrecision(3)))} ms`,
            }),
          ],
          table: table(
            ['Stage', 'Calls', 'Total (ms)'],
            stages.map((s) => [s.function, String(s.calls), decimals(s.total_time_ms, 1)]),
          ),
          empty: null,
        };
  if (timeline.length === 0) {
    return [
      emptyFigure('requests', 'Requests and errors', 'No data yet: no request in the window.'),
      decisions,
      riskLevels,
      costliest,
    ];
  }
  return [
    timeFigure(
      'requests',
      'Requests and errors',
      [
        { name: 'requests', colour: COLOURS.requests, values: timeline.map((p) => p.requests) },
        { name: 'errors', colour: COLOURS.errors, values: timeline.map((p) => p.errors), dash: 'dashed' },
      ],
      '',
      true,
    ),
    timeFigure(
      'decisions-over-time',
      'Decisions over time',
      [
        { name: 'positive', colour: COLOURS.positive, values: timeline.map((p) => p.positive) },
        {
          name: 'negative',
          colour: COLOURS.negative,
          values: timeline.map((p) => p.predictions - p.positive),
          dash: 'dashed',
        },
      ],
      '',
      true,
    ),
    timeFigure(
      'latency',
      'Latency (server side)',
      [
        { name: 'p50', colour: COLOURS.p50, values: timeline.map((p) => p.p50) },
        { name: 'p95', colour: COLOURS.p95, values: timeline.map((p) => p.p95), dash: 'dashed' },
        { name: 'p99', colour: COLOURS.p99, values: timeline.map((p) => p.p99), dash: 'dotted' },
      ],
      'ms',
      false,
    ),
    decisions,
    riskLevels,
    costliest,
  ];
}

function driftHistoryFigure(history: readonly DriftHistoryPoint[]): Figure | null {
  const title = 'Inputs in DRIFT over the last day';
  if (history.length === 0) {
    return null;
  }
  if (history.every((h) => h.status !== 'ok')) {
    return emptyFigure('drift-history', title, noneJudged(history.length));
  }
  const times = history.map((h) => Date.parse(h.at));
  const { slots, stepSeconds, per, grouped } = historySlots(times);
  const judged = (i: number): number | null => (history[i]!.status === 'ok' ? i : null);
  const shown = slots.map((slot) =>
    worstOf(slot.members, judged, (a, b) => history[a]!.drifted_features > history[b]!.drifted_features),
  );
  const spanMs = times[times.length - 1]! - times[0]!;
  const columns = ['Time (UTC)', 'Inputs in DRIFT', 'Data set drifted', 'Predictions'];
  return {
    id: 'drift-history',
    title,
    note: grouped
      ? `${per}: the evaluation with the most inputs in DRIFT; a gap: none judged`
      : `${per}; a gap: none judged`,
    charts: [
      timeChart({
        title: `${title}, ${per}`,
        times: slots.map((s) => s.at),
        series: [
          {
            name: 'inputs in DRIFT',
            colour: COLOURS.drift,
            values: shown.map((i) => (i === null ? null : history[i]!.drifted_features)),
          },
        ],
        stepSeconds,
        integer: true,
        xNote: `time (UTC), ${per}`,
      }),
    ],
    table: table(
      columns,
      slots
        .filter((slot) => slot.members.length > 0)
        .map((slot) => {
          const i = worstOf(
            slot.members,
            judged,
            (a, b) => history[a]!.drifted_features > history[b]!.drifted_features,
          );
          const e = i === null ? null : history[i]!;
          return [
            rowTime(slot.at, spanMs),
            e === null ? 'not judged' : String(e.drifted_features),
            e === null || e.dataset_drift === null ? '–' : e.dataset_drift ? 'yes' : 'no',
            e?.prediction ?? '–',
          ];
        }),
    ),
    empty: null,
  };
}

function shadowPanel(shadow: MonitoringSummary['shadow']) {
  if (shadow === null) {
    return null;
  }
  const decision = (prediction: number | null): string =>
    prediction === null ? '–' : prediction === 1 ? 'positive' : 'negative';
  const served = [...new Set(shadow.disagreements.map((d) => d.served.model ?? '–'))];
  const columns = [
    'Time (UTC)',
    'Served decision',
    'Served probability',
    'Shadow decision',
    'Shadow probability',
  ];
  return {
    model: shadow.shadow_model ?? '–',
    facts: [
      { label: 'Compared', value: plural(shadow.compared, 'prediction') },
      { label: 'Agreement', value: percent(shadow.agreement_rate) },
      {
        label: 'Mean |Δp| (probability difference)',
        value: decimals(shadow.mean_abs_probability_difference, 3),
      },
      { label: 'Disagreements', value: String(shadow.disagreement_count) },
      { label: 'Dropped under load', value: String(shadow.dropped) },
      { label: 'Failed', value: String(shadow.failed) },
    ],
    disagreements:
      shadow.disagreements.length === 0
        ? null
        : {
            caption:
              `The newest ${plural(shadow.disagreements.length, 'disagreement')}: served by ${served.join(', ')}, ` +
              `shadowed by ${shadow.shadow_model ?? '–'}.`,
            table: table(
              columns,
              shadow.disagreements.map((d) => [
                dateTime(d.timestamp),
                decision(d.served.prediction),
                decimals(d.served.probability, 3),
                decision(d.shadow.prediction),
                decimals(d.shadow.probability, 3),
              ]),
            ),
          },
    none: shadow.compared === 0 ? 'No prediction compared yet.' : 'No disagreement in the window.',
  };
}

export function dashboardPage(summary: MonitoringSummary, version: string) {
  const { drift } = summary;
  const state = driftState({ ...drift, prediction: drift.prediction?.level ?? null });
  const prediction = drift.prediction;
  const minutes = summary.alerts_window_minutes;
  const history = driftHistoryFigure(summary.drift_history);
  return {
    layout: 'monitoring-layout',
    title: 'lungcheck – monitoring',
    version,
    nav: nav('dashboard'),
    refresh: true,
    updated: dateTime(summary.generated_at),
    window: windowSentence(summary.window),
    drift: {
      ...state,
      verdict: drift.verdict,
      inDrift: drift.features_in_drift.length > 0 ? drift.features_in_drift.join(', ') : null,
      reference: drift.reference.id,
    },
    prediction: prediction
      ? {
          level: prediction.level,
          levelClass: prediction.level.toLowerCase(),
          current: percent(prediction.current),
          reference: percent(prediction.reference),
          p: formatP(prediction.p_value),
        }
      : null,
    predictionNote:
      `Not judged yet: prediction drift needs at least DRIFT_MIN_SAMPLES predictions by the reference model ` +
      `(${drift.reference.model}) in the window.`,
    cards: [
      { label: 'Predictions', value: String(summary.predictions.count) },
      { label: 'Positive decisions', value: percent(summary.predictions.positive_rate) },
      { label: 'Requests', value: String(summary.requests.count) },
      {
        label: 'Errors',
        value: `${percent(summary.requests.error_rate)}`,
        detail: `${plural(summary.requests.errors, 'error')}, ${summary.requests.server_errors} from the server`,
      },
      { label: 'Latency p95', value: withUnit(summary.latency_ms.p95, 'ms') },
      {
        label: 'Unshipped entries',
        value: summary.shipping.pending === null ? '–' : String(summary.shipping.pending),
      },
    ].map((card) => ({ detail: '', ...card })),
    alerts: {
      intro:
        `Judged over the last ${minutes === 1 ? 'minute' : `${minutes} minutes`}, every replica together: the ` +
        'same quantities and thresholds as the Prometheus alert rules.',
      rows: summary.alerts.map(alertRow),
    },
    traffic: trafficFigures(summary),
    history: { figure: history, empty: history === null ? NO_HISTORY : null, note: EVALUATIONS_NOTE },
    shadow: shadowPanel(summary.shadow),
    noShadow:
      'No shadow model: set SHADOW_MODEL to have a second model answer the same requests unseen, and compare ' +
      'its decisions with the served ones here.',
    shipping: {
      sink: summary.shipping.sink,
      pending: summary.shipping.pending === null ? '–' : String(summary.shipping.pending),
      lag:
        summary.shipping.oldest_unshipped_age_seconds === null
          ? '–'
          : `${summary.shipping.oldest_unshipped_age_seconds} s`,
      lastRun: summary.shipping.last_run_at === null ? 'never' : dateTime(summary.shipping.last_run_at),
      lastOutcome: summary.shipping.last_outcome ?? '–',
      deadLettered: String(summary.shipping.dead_lettered),
      dropped: String(summary.shipping.dropped),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The drift report

function summaryOf(feature: FeatureDrift, side: 'reference' | 'current'): string {
  const s = feature[side];
  if (feature.kind === 'numeric') {
    return `mean ${decimals(s.mean, 1)}, sd ${decimals(s.std, 1)} (n = ${s.count})`;
  }
  const one = feature.feature === 'prediction' ? 'positive' : feature.feature === 'GENDER' ? 'male' : 'yes';
  return `${percent(s.share_of_ones)} ${one} (n = ${s.count})`;
}

function featureRow(feature: FeatureDrift) {
  return {
    name: feature.feature,
    level: feature.level,
    levelClass: feature.level.toLowerCase(),
    test: TESTS[feature.test],
    statistic: statistic(feature.test, feature.statistic),
    p: formatP(feature.p_value),
    pAdjusted: formatP(feature.p_value_adjusted),
    psi: decimals(feature.psi, 3),
    wasserstein: decimals(feature.wasserstein_normalised, 3),
    reference: summaryOf(feature, 'reference'),
    current: summaryOf(feature, 'current'),
  };
}

function referenceSentence(reference: DriftReport['reference']): string {
  if (reference.kind === 'window' && reference.window) {
    const { from, to } = span(reference.window.from, reference.window.to);
    return `the ${plural(reference.rows, 'prediction')} logged from ${from} to ${to}, decided by ${reference.model}`;
  }
  return `the training data of ${reference.model} (${plural(reference.rows, 'patient')})`;
}

function thresholdSentences(report: DriftReport): string[] {
  const inputs = INPUT_FIELDS.length;
  const { p_value: p, share } = report.thresholds;
  return [
    `Each input has its own two-sample test against the reference: Kolmogorov–Smirnov for AGE, a two-proportion ` +
      `z-test for GENDER and the ${inputs - 2} yes/no answers. The ${inputs} p-values are adjusted together ` +
      `(${report.thresholds.correction === 'holm' ? 'Holm' : report.thresholds.correction}).`,
    `An input is in DRIFT when its adjusted p-value is below ${p.drift} (DRIFT_P_VALUE); below ${p.possible} ` +
      `(DRIFT_P_VALUE_POSSIBLE) it is POSSIBLE, a warning that is not counted. The data set has drifted when at least ` +
      `${formatNumber(Number((share * 100).toPrecision(3)))} % of the ${inputs} inputs are in DRIFT (DRIFT_SHARE: ${plural(datasetDriftCount(share, inputs), 'input')}).`,
    'PSI and, for AGE, the Wasserstein distance (in standard deviations of the reference) say how large a shift is; ' +
      'they never set a level by themselves.',
  ];
}

function distributionFigures(report: DriftReport): Figure[] {
  const age = report.features.find((f) => f.feature === 'AGE');
  const figures: Figure[] = [];
  if (age?.bin_edges && age.reference.bin_shares && age.current.bin_shares) {
    const edges = age.bin_edges;
    const series: Series[] = [
      { name: 'reference', colour: COLOURS.reference, values: age.reference.bin_shares },
      { name: 'current', colour: COLOURS.current, values: age.current.bin_shares },
    ];
    figures.push({
      id: 'distribution-age',
      title: 'AGE: share of patients per age band',
      note: 'reference against the current window',
      charts: [
        histogramChart({
          title: 'AGE: share of patients per age band, reference against current',
          edges,
          series,
          format: (v) => `${Math.round(v * 100)} %`,
        }),
      ],
      table: table(
        ['Age band', 'Reference', 'Current'],
        edges
          .slice(0, -1)
          .map((edge, i) => [
            `${edge}–${edges[i + 1]}`,
            percent(age.reference.bin_shares![i]),
            percent(age.current.bin_shares![i]),
          ]),
      ),
      empty: null,
    });
  }
  const binary = report.features.filter((f) => f.kind === 'binary');
  if (binary.length > 0) {
    const ordered = [...binary].sort(
      (a, b) => INPUT_FIELDS.indexOf(a.feature as never) - INPUT_FIELDS.indexOf(b.feature as never),
    );
    const name = (f: FeatureDrift): string => (f.feature === 'GENDER' ? 'GENDER (male)' : f.feature);
    figures.push({
      id: 'distribution-yes-no',
      title: 'Share answering yes',
      note: 'GENDER: the share of men; reference against the current window',
      charts: [
        barChart({
          title: 'Share answering yes (GENDER: men), reference against current',
          labels: ordered.map(name),
          series: [
            {
              name: 'reference',
              colour: COLOURS.reference,
              values: ordered.map((f) => f.reference.share_of_ones ?? null),
            },
            {
              name: 'current',
              colour: COLOURS.current,
              values: ordered.map((f) => f.current.share_of_ones ?? null),
            },
          ],
          format: (v) => `${Math.round(v * 100)} %`,
        }),
      ],
      table: table(
        ['Input', 'Reference', 'Current', 'Level'],
        ordered.map((f) => [
          name(f),
          percent(f.reference.share_of_ones),
          percent(f.current.share_of_ones),
          f.level,
        ]),
      ),
      empty: null,
    });
  }
  return figures;
}

function predictionSection(report: DriftReport) {
  const prediction = report.prediction;
  if (prediction === null) {
    return null;
  }
  const reference = prediction.reference.share_of_ones ?? 0;
  const current = prediction.current.share_of_ones ?? 0;
  return {
    ...featureRow(prediction),
    sentence:
      `${percent(current)} of the window's ${plural(prediction.current.count, 'decision')} by ${report.reference.model} ` +
      `are positive, against ${percent(reference)} in the reference (${TESTS[prediction.test]}, ` +
      `${statistic(prediction.test, prediction.statistic)}, ${formatP(prediction.p_value)}).`,
    figure: {
      id: 'prediction-share',
      title: 'Positive decisions',
      note: 'share of the decisions, reference against the current window',
      charts: [
        barChart({
          title: 'Share of positive decisions, reference against current',
          labels: ['reference', 'current'],
          series: [{ name: 'positive decisions', colour: COLOURS.current, values: [reference, current] }],
          colours: [COLOURS.reference, COLOURS.current],
          format: (v) => percent(v),
        }),
      ],
      table: table(
        ['', 'Positive', 'Decisions'],
        [
          ['reference', percent(reference), String(prediction.reference.count)],
          ['current', percent(current), String(prediction.current.count)],
        ],
      ),
      empty: null,
    } satisfies Figure,
  };
}

/** Per input (and the decisions), its value in each slot: the evaluation with the lowest adjusted p-value. */
function historyFigures(report: DriftReport, history: readonly DriftEvaluation[]) {
  const times = history.map((e) => Date.parse(e.timestamp));
  const { slots, stepSeconds, per, grouped } = historySlots(times);
  const spanMs = times.length > 0 ? times[times.length - 1]! - times[0]! : 0;
  const xNote = `time (UTC), ${per}`;
  const at = slots.map((s) => s.at);
  const note = (p: string): string =>
    grouped ? `${per}: the evaluation with the lowest ${p}; a gap: not judged` : `${per}; a gap: not judged`;
  const pick = (of: (e: DriftEvaluation) => EvaluatedFeature | null) =>
    slots.map((slot) =>
      worstOf(
        slot.members,
        (i) => of(history[i]!),
        (a, b) => a.p_value_adjusted < b.p_value_adjusted,
      ),
    );
  const rowsOf = (
    values: (EvaluatedFeature | null)[],
    cells: (f: EvaluatedFeature) => string[],
    blank: number,
  ) =>
    slots.flatMap((slot, i) => {
      if (slot.members.length === 0) {
        return [];
      }
      const f = values[i]!;
      return [
        [
          rowTime(slot.at, spanMs),
          ...(f === null ? ['not judged', ...Array<string>(blank - 1).fill('–')] : cells(f)),
        ],
      ];
    });
  const drift = report.thresholds.p_value.drift;
  const pChart = (title: string, name: string, values: (EvaluatedFeature | null)[]): DrawnChart =>
    timeChart({
      title,
      times: at,
      series: [
        {
          name,
          colour: COLOURS.current,
          values: values.map((f) => f?.p_value_adjusted ?? null),
        },
      ],
      stepSeconds,
      scale: { kind: 'log', floor: 1e-6 },
      rules: [{ value: drift, label: `DRIFT below ${drift}`, colour: COLOURS.drift }],
      xNote,
    });

  const names = [...new Set(history.flatMap((e) => e.features.map((f) => f.feature)))];
  const lowest = (name: string): number =>
    Math.min(
      ...history.flatMap((e) => e.features.filter((f) => f.feature === name).map((f) => f.p_value_adjusted)),
    );
  names.sort((a, b) => lowest(a) - lowest(b));
  const inputs: Figure[] = names.map((name) => {
    const values = pick((e) => e.features.find((f) => f.feature === name) ?? null);
    const test = values.find((v) => v !== null)?.test ?? 'z_test';
    return {
      id: `history-${slug(name)}`,
      title: `${name} over time`,
      note: note('adjusted p-value'),
      charts: [
        pChart(`${name}: adjusted p-value over time (log scale), ${per}`, 'adjusted p-value', values),
        timeChart({
          title: `${name}: ${TESTS[test]} statistic ${STATISTICS[test]} over time, ${per}`,
          times: at,
          series: [
            {
              name: `statistic ${STATISTICS[test]}`,
              colour: COLOURS.statistic,
              values: values.map((f) => f?.statistic ?? null),
              dash: 'dashed',
            },
          ],
          stepSeconds,
          height: 150,
          xNote,
        }),
      ],
      table: table(
        ['Time (UTC)', 'Statistic', 'p-value', 'Adjusted p', 'Level'],
        rowsOf(
          values,
          (f) => [statistic(f.test, f.statistic), formatP(f.p_value), formatP(f.p_value_adjusted), f.level],
          4,
        ),
      ),
      empty: null,
    };
  });

  const decisions = pick((e) => e.prediction);
  const prediction: Figure | null = decisions.every((d) => d === null)
    ? null
    : {
        id: 'history-prediction',
        title: 'Prediction drift over time',
        note: note('p-value'),
        charts: [
          timeChart({
            title: `Share of positive decisions over time, current against reference, ${per}`,
            times: at,
            series: [
              {
                name: 'current',
                colour: COLOURS.current,
                values: decisions.map((d) => (d === null ? null : d.current * 100)),
              },
              {
                name: 'reference',
                colour: COLOURS.reference,
                values: decisions.map((d) => (d === null ? null : d.reference * 100)),
                dash: 'dashed',
              },
            ],
            stepSeconds,
            unit: '%',
            xNote,
          }),
          pChart(`Prediction drift: p-value over time (log scale), ${per}`, 'p-value', decisions),
        ],
        table: table(
          ['Time (UTC)', 'Positive (current)', 'Positive (reference)', 'p-value', 'Level'],
          rowsOf(
            decisions,
            (d) => [percent(d.current), percent(d.reference), formatP(d.p_value), d.level],
            4,
          ),
        ),
        empty: null,
      };
  return { inputs, prediction };
}

export function driftPage(report: DriftReport, history: readonly DriftEvaluation[], version: string) {
  const state = driftState({ ...report, prediction: report.prediction?.level ?? null });
  const features = [...report.features].sort(
    (a, b) => a.p_value_adjusted - b.p_value_adjusted || a.p_value - b.p_value,
  );
  const { window } = report;
  const windowSpan = window.from !== null && window.to !== null ? span(window.from, window.to) : null;
  const over = historyFigures(report, history);
  return {
    layout: 'monitoring-layout',
    title: 'lungcheck – drift report',
    version,
    nav: nav('drift'),
    refresh: false,
    verdict: { ...state, sentence: report.verdict },
    facts: [
      {
        label: 'Reference',
        value: `${referenceSentence(report.reference)}: ${report.reference.id} (kind ${report.reference.kind})`,
      },
      {
        label: 'Window',
        value:
          `${plural(window.size, 'prediction')}: the newest ${window.max_size} at most (DRIFT_WINDOW_SIZE), at least ` +
          `${window.min_samples} needed (DRIFT_MIN_SAMPLES)` +
          (windowSpan ? `, logged from ${windowSpan.from} to ${windowSpan.to}` : ''),
      },
      { label: 'Generated', value: dateTime(report.generated_at) },
    ],
    thresholds: thresholdSentences(report),
    enough: report.status === 'ok',
    summary:
      report.status === 'ok'
        ? `${plural(report.drifted_features, 'input')} of ${report.features.length} in DRIFT ` +
          `(${percent(report.drift_share)}); POSSIBLE: ${report.features.filter((f) => f.level === 'POSSIBLE').length}.`
        : '',
    features: features.map(featureRow),
    prediction: predictionSection(report),
    predictionNote:
      report.status === 'ok'
        ? `Not judged: prediction drift needs at least ${window.min_samples} predictions by the reference model ` +
          `(${report.reference.model}) in the window, and a reference with decisions.`
        : `Not judged: not enough data (${window.size} of ${window.min_samples} predictions).`,
    distributions: distributionFigures(report),
    history: {
      prediction: over.prediction,
      inputs: over.inputs,
      empty:
        history.length === 0
          ? NO_HISTORY
          : history.every((e) => e.status !== 'ok')
            ? noneJudged(history.length)
            : null,
      note: EVALUATIONS_NOTE,
    },
  };
}
