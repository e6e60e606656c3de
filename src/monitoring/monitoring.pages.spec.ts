import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import type { DriftEvaluation } from '../log-store/drift-evaluation';
import { seededRandom } from '../training/random';
import { ViewEngine } from '../web/view-engine';
import { calmWindow, type Patient, trainingPatients } from '../../test/support/drift/calm-windows';
import type { Alert } from './alerts.service';
import { detectDrift, type DriftReport, formatP } from './drift.engine';
import { cardReference, type DriftReference } from './drift.reference';
import { evaluationOf } from './drift.service';
import {
  dashboardPage,
  datasetDriftCount,
  driftPage,
  type Figure,
  historySlots,
  HISTORY_POINTS,
  perPeriod,
  plural,
} from './monitoring.pages';
import type { MonitoringSummary, TimelinePoint } from './monitoring.summary';

const settings = new AppConfig(validateEnv({})).drift;
const engine = new ViewEngine();
const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

const EVIL = '<script>alert(1)</script><img src=x onerror=alert(1)>';

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    name: 'latency_ms',
    level: 'CRITICAL',
    value: 204.433,
    unit: 'ms',
    quantity: 'p95 of the server-side duration of prediction requests over 5 minutes',
    warning: 100,
    critical: 200,
    message: 'p95 …: 204 ms (CRITICAL)',
    ...overrides,
  };
}

/** A bucket of the timeline; `null` requests: an empty bucket (0 counts, no percentiles). */
function point(i: number, requests: number): TimelinePoint {
  const empty = requests === 0;
  return {
    at: iso(T0 + i * 10_000),
    requests,
    predictions: requests,
    positive: Math.floor(requests / 2),
    errors: 0,
    p50: empty ? null : 5,
    p95: empty ? null : 12,
    p99: empty ? null : 30,
  };
}

/** A full window of 500 predictions over 5 minutes, one empty bucket in the middle, with a shadow model. */
function summary(overrides: Partial<MonitoringSummary> = {}): MonitoringSummary {
  return {
    generated_at: iso(T0 + 305_000),
    window: {
      predictions: 500,
      max_predictions: 500,
      requests: 534,
      from: iso(T0),
      to: iso(T0 + 300_000),
      bucket_seconds: 10,
    },
    predictions: { count: 500, positive: 250, negative: 250, positive_rate: 0.5 },
    risk_levels: { low: 100, moderate: 150, high: 250 },
    requests: { count: 534, errors: 34, error_rate: 0.064, server_errors: 1 },
    latency_ms: { p50: 5, p95: 14.2, p99: 33 },
    timeline: Array.from({ length: 31 }, (_, i) => point(i, i === 15 ? 0 : 17)),
    costliest_stages: [
      { function: 'batch_wait', calls: 500, total_time_ms: 10_421 },
      { function: 'model_run', calls: 500, total_time_ms: 1200 },
    ],
    shipping: {
      sink: 'ndjson',
      pending: 500,
      dropped: 0,
      last_run_at: null,
      last_outcome: null,
      dead_lettered: 0,
      oldest_unshipped_age_seconds: 36,
    },
    drift: {
      status: 'ok',
      verdict:
        'AGE has drifted (KS adjusted p < 1e-6); 1 of 15 inputs, below the data-set threshold of 50 %.',
      dataset_drift: false,
      drifted_features: 1,
      drift_share: 1 / 15,
      reference: { id: 'card:lr@1', kind: 'card', model: 'lr@1', rows: 276 },
      features_in_drift: ['AGE'],
      prediction: { level: 'NO', current: 0.876, reference: 0.904, p_value: 0.251_234_567 },
    },
    drift_history: Array.from({ length: 10 }, (_, i) => ({
      at: iso(T0 - 600_000 + i * 60_000),
      status: i === 0 ? ('not_enough_data' as const) : ('ok' as const),
      drifted_features: i > 5 ? 1 : 0,
      dataset_drift: i === 0 ? null : false,
      prediction: i === 0 ? null : ('NO' as const),
    })),
    shadow: {
      shadow_model: 'random_forest',
      compared: 480,
      dropped: 2,
      failed: 0,
      agreement_rate: 0.973,
      mean_abs_probability_difference: 0.041_234,
      disagreement_count: 13,
      disagreements: [
        {
          timestamp: iso(T0 + 290_000),
          served: { model: 'logistic_regression', prediction: 1, probability: 0.61 },
          shadow: { model: 'random_forest', prediction: 0, probability: 0.44 },
        },
      ],
    },
    alerts: [
      alert(),
      alert({ name: 'input_drift', level: 'WARNING', value: 1, unit: 'inputs', warning: 1, critical: 8 }),
      alert({
        name: 'prediction_drift',
        level: 'NO_DATA',
        value: null,
        unit: '',
        warning: 1,
        critical: null,
      }),
    ],
    alerts_window_minutes: 5,
    ...overrides,
  };
}

/** The window before any request. */
function emptySummary(): MonitoringSummary {
  const full = summary();
  return summary({
    window: { ...full.window, predictions: 0, requests: 0, from: null, to: null },
    predictions: { count: 0, positive: 0, negative: 0, positive_rate: null },
    risk_levels: { low: 0, moderate: 0, high: 0 },
    requests: { count: 0, errors: 0, error_rate: null, server_errors: 0 },
    latency_ms: { p50: null, p95: null, p99: null },
    timeline: [],
    costliest_stages: [],
    drift_history: [],
    shadow: null,
    drift: {
      ...full.drift,
      status: 'not_enough_data',
      verdict: 'Not enough data: 0 predictions in the window, 100 needed.',
      dataset_drift: null,
      drifted_features: 0,
      drift_share: 0,
      features_in_drift: [],
      prediction: null,
    },
  });
}

const figure = (figures: readonly Figure[], id: string): Figure => {
  const found = figures.find((f) => f.id === id);
  if (!found) {
    throw new Error(`no figure ${id} among ${figures.map((f) => f.id).join(', ')}`);
  }
  return found;
};

/** The `d` of the first line of a chart's SVG, split into its strokes (one per run of values without a gap). */
const strokes = (svg: string): string[] => /<path d="([^"]*)"/.exec(svg)![1]!.split('M').filter(Boolean);

/** The page's visible text, tags and comments removed, spaces collapsed. */
const visibleText = (html: string): string =>
  html
    .replace(/<(svg|title)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

/** Every figure that draws charts has its table of numbers, row for row with the points where it is over time. */
function expectTables(figures: readonly Figure[]): void {
  for (const f of figures.filter((f) => f.empty === null)) {
    expect([f.id, f.charts.length > 0, (f.table?.rows.length ?? 0) > 0]).toEqual([f.id, true, true]);
    for (const row of f.table!.rows) {
      expect(row.map((cell) => cell.label)).toEqual(f.table!.columns);
    }
  }
}

/** Copy that must never show: "(s)" plurals and "1 <plural>". */
const BAD_PLURALS =
  /\(s\)|\b1 (inputs|features|predictions|requests|errors|decisions|patients|disagreements)\b/;

describe(plural.name, () => {
  it.each([
    [0, '0 inputs'],
    [1, '1 input'],
    [2, '2 inputs'],
  ])('writes %p inputs as %p', (n, text) => {
    expect(plural(n, 'input')).toBe(text);
  });
});

describe(perPeriod.name, () => {
  it.each([
    [10, 'per 10 s'],
    [60, 'per minute'],
    [300, 'per 5 min'],
    [3600, 'per hour'],
    [10_800, 'per 3 h'],
    [86_400, 'per day'],
    [2.5, 'per 2.5 s'],
  ])('writes %p seconds as %p', (s, text) => {
    expect(perPeriod(s)).toBe(text);
  });
});

describe(datasetDriftCount.name, () => {
  it('is the smallest number of inputs whose share reaches DRIFT_SHARE, as the engine counts', () => {
    expect(datasetDriftCount(0.5, 15)).toBe(8);
    expect(datasetDriftCount(0.2, 15)).toBe(3); // 0.2 × 15 is 3.0000000000000004 in floating point
    expect(datasetDriftCount(1, 15)).toBe(15);
  });
});

describe(historySlots.name, () => {
  it('gives one point per evaluation, and a gap where evaluations stopped for a while', () => {
    const times = [0, 60, 120, 600, 660].map((s) => T0 + s * 1000);
    const { slots, per, grouped } = historySlots(times);
    expect(per).toBe('per evaluation');
    expect(grouped).toBe(false);
    expect(slots.map((s) => s.members)).toEqual([[0], [1], [2], [], [3], [4]]);
  });

  it(`groups more than ${HISTORY_POINTS} evaluations by period, each period at least two intervals long`, () => {
    const times = Array.from({ length: 1440 }, (_, i) => T0 + i * 60_000 + 1234);
    const { slots, per, grouped } = historySlots(times);
    expect(grouped).toBe(true);
    expect(slots.length).toBeLessThanOrEqual(HISTORY_POINTS + 1);
    expect(per).toBe('per hour');
    expect(slots.every((s) => s.members.length > 0)).toBe(true);
    expect(slots.flatMap((s) => s.members)).toHaveLength(1440);
  });
});

describe(dashboardPage.name, () => {
  it('says which window its figures describe, and how the alerts are judged', () => {
    const page = dashboardPage(summary(), '1.0.0');
    expect(page.window).toBe(
      'The newest 500 predictions (DRIFT_WINDOW_SIZE) and the 534 requests since 2026-12-02 10:00:00 UTC, to 10:05:00.',
    );
    expect(page.alerts.intro).toBe(
      'Judged over the last 5 minutes, every replica together: the same quantities and thresholds as the ' +
        'Prometheus alert rules.',
    );
    const partial = dashboardPage(
      summary({ window: { ...summary().window, predictions: 120, requests: 1 } }),
      '1.0.0',
    );
    expect(partial.window).toBe(
      'All 120 predictions logged so far (the window holds the newest 500, DRIFT_WINDOW_SIZE) and the one request ' +
        'since 2026-12-02 10:00:00 UTC, to 10:05:00.',
    );
  });

  it('shows each alert: its quantity, value with unit, level, warning and critical ("–" without one)', () => {
    const { rows } = dashboardPage(summary(), '1.0.0').alerts;
    expect(rows).toEqual([
      expect.objectContaining({
        name: 'latency_ms',
        quantity: 'p95 of the server-side duration of prediction requests over 5 minutes',
        value: '204 ms',
        level: 'CRITICAL',
        warning: '100 ms',
        critical: '200 ms',
      }),
      expect.objectContaining({
        value: '1 input',
        warning: '1 input',
        critical: '8 inputs',
        level: 'WARNING',
      }),
      expect.objectContaining({ value: 'no data', level: 'NO DATA', levelClass: 'no-data', critical: '–' }),
    ]);
  });

  it('draws counts of an empty period as 0 and its percentiles as a gap, and says what a point is', () => {
    const { traffic } = dashboardPage(summary(), '1.0.0');
    const requests = figure(traffic, 'requests');
    expect(strokes(requests.charts[0]!.svg)).toHaveLength(1);
    expect(requests.table!.rows[15]!.map((c) => c.value)).toEqual(['10:02:30', '0', '0']);
    const latency = figure(traffic, 'latency');
    expect(strokes(latency.charts[0]!.svg)).toHaveLength(2);
    expect(latency.table!.rows[15]!.map((c) => c.value)).toEqual(['10:02:30', '–', '–', '–']);
    expect(latency.table!.rows).toHaveLength(31);
    for (const id of ['requests', 'decisions-over-time', 'latency']) {
      expect(figure(traffic, id).note).toMatch(/^per 10 s; /);
      expect(figure(traffic, id).charts[0]!.svg).toContain('time (UTC), per 10 s');
    }
    const hourly = dashboardPage(summary({ window: { ...summary().window, bucket_seconds: 3600 } }), '1.0.0');
    expect(figure(hourly.traffic, 'requests').note).toMatch(/^per hour; /);
  });

  it('keeps decisions and risk levels apart, and the costliest stages as labelled bars', () => {
    const { traffic } = dashboardPage(summary(), '1.0.0');
    expect(figure(traffic, 'decisions').table!.rows.map((r) => r[0]!.value)).toEqual([
      'positive',
      'negative',
    ]);
    expect(figure(traffic, 'risk-levels').table!.rows.map((r) => r[0]!.value)).toEqual([
      'low',
      'moderate',
      'high',
    ]);
    const stages = figure(traffic, 'stages');
    expect(stages.charts[0]!.svg).toContain('>batch_wait<');
    expect(stages.table!.rows[0]!.map((c) => c.value)).toEqual(['batch_wait', '500', '10421.0']);
    expectTables(traffic);
  });

  it('shows "No data yet" instead of empty charts, and sentences for an empty history and no shadow model', () => {
    const page = dashboardPage(emptySummary(), '1.0.0');
    expect(page.traffic.map((f) => [f.id, f.charts.length, f.empty?.startsWith('No data yet')])).toEqual([
      ['requests', 0, true],
      ['decisions', 0, true],
      ['risk-levels', 0, true],
      ['stages', 0, true],
    ]);
    expect(page.window).toMatch(/^No request logged yet\./);
    expect(page.history.figure).toBeNull();
    expect(page.history.empty).toContain('every DRIFT_EVALUATE_SECONDS');
    expect(page.shadow).toBeNull();
    expect(page.noShadow).toContain('SHADOW_MODEL');
    expect(page.prediction).toBeNull();
    expect(page.drift).toMatchObject({
      level: 'unknown',
      verdict: 'Not enough data: 0 predictions in the window, 100 needed.',
    });
    const html = engine.render('monitoring', page);
    expect(html).not.toContain('<svg xmlns');
    expect(html).toContain('No data yet: no request in the window.');
  });

  it('shows the verdict as it is, its level from the inputs in DRIFT, and the prediction drift', () => {
    const page = dashboardPage(summary(), '1.0.0');
    expect(page.drift).toMatchObject({
      verdict: summary().drift.verdict,
      level: 'warning',
      label: '1 input in DRIFT',
      inDrift: 'AGE',
    });
    expect(page.prediction).toEqual({
      level: 'NO',
      levelClass: 'no',
      current: '87.6 %',
      reference: '90.4 %',
      p: 'p = 0.25',
    });
    const critical = dashboardPage(
      summary({ drift: { ...summary().drift, dataset_drift: true, drifted_features: 9 } }),
      '1.0.0',
    );
    expect(critical.drift).toMatchObject({ level: 'critical', label: 'data-set drift: 9 inputs in DRIFT' });
  });

  it('draws the inputs in DRIFT of each kept evaluation, a gap where none was judged', () => {
    const { history } = dashboardPage(summary(), '1.0.0');
    const f = history.figure!;
    expect(f.note).toBe('per evaluation; a gap: none judged');
    expect(strokes(f.charts[0]!.svg)).toHaveLength(1);
    expect(f.table!.rows.map((r) => r.map((c) => c.value))[0]).toEqual(['09:50:00', 'not judged', '–', '–']);
    expect(f.table!.rows.map((r) => r[1]!.value).slice(1)).toEqual([
      '0',
      '0',
      '0',
      '0',
      '0',
      '1',
      '1',
      '1',
      '1',
    ]);
  });

  it('says so instead of drawing an empty chart when no kept evaluation judged a window', () => {
    const thin = summary().drift_history.map((h) => ({ ...h, status: 'not_enough_data' as const }));
    const f = dashboardPage(summary({ drift_history: thin }), '1.0.0').history.figure!;
    expect(f.charts).toEqual([]);
    expect(f.empty).toBe(
      'No data yet: the 10 evaluations kept had too few predictions to judge (DRIFT_MIN_SAMPLES).',
    );
  });

  it('shows the shadow model: agreement, mean |Δp|, counts and the newest disagreements without their ids', () => {
    const { shadow } = dashboardPage(summary(), '1.0.0');
    expect(shadow!.facts).toEqual([
      { label: 'Compared', value: '480 predictions' },
      { label: 'Agreement', value: '97.3 %' },
      { label: 'Mean |Δp| (probability difference)', value: '0.041' },
      { label: 'Disagreements', value: '13' },
      { label: 'Dropped under load', value: '2' },
      { label: 'Failed', value: '0' },
    ]);
    expect(shadow!.disagreements!.table.rows[0]!.map((c) => c.value)).toEqual([
      '2026-12-02 10:04:50 UTC',
      'positive',
      '0.610',
      'negative',
      '0.440',
    ]);
    expect(shadow!.disagreements!.caption).toBe(
      'The newest 1 disagreement: served by logistic_regression, shadowed by random_forest.',
    );
  });

  it('renders without "(s)" or "1 inputs", and with every label escaped', () => {
    const evil = summary({
      costliest_stages: [{ function: EVIL, calls: 1, total_time_ms: 1 }],
      alerts: [alert({ quantity: EVIL, unit: EVIL })],
      drift: { ...summary().drift, verdict: EVIL, features_in_drift: [EVIL] },
      shadow: { ...summary().shadow!, shadow_model: EVIL },
    });
    const html = engine.render('monitoring', dashboardPage(evil, EVIL));
    expect(html).not.toMatch(/<script>alert|<img/);
    expect(html).toContain('&lt;script&gt;');
    for (const s of [summary(), emptySummary()]) {
      expect(visibleText(engine.render('monitoring', dashboardPage(s, '1.0.0')))).not.toMatch(BAD_PLURALS);
    }
  });

  it('renders a table of numbers for every chart, and each panel once', () => {
    const html = engine.render('monitoring', dashboardPage(summary(), '1.0.0'));
    const charts = html.match(/<svg xmlns/g)!.length;
    expect(charts).toBe(7);
    expect(html.match(/<details class="numbers"/g)).toHaveLength(7);
    for (const panel of [
      'drift',
      'prediction-drift',
      'alerts',
      'traffic',
      'drift-history',
      'shadow',
      'shipping',
    ]) {
      expect([panel, html.split(`data-panel="${panel}"`).length - 1]).toEqual([panel, 1]);
    }
    expect(html).not.toContain('style=');
  });
});

describe(driftPage.name, () => {
  let reference: DriftReference;
  let patients: Patient[];
  let drifted: DriftReport;
  let history: DriftEvaluation[];

  beforeAll(async () => {
    const training = await trainingPatients('logistic_regression');
    patients = training.patients;
    reference = cardReference(training.card);
    const at = (minute: number): Date => new Date(T0 + minute * 60_000);
    const report = (seed: number, ageShift: number, minute: number): DriftReport =>
      detectDrift(
        reference,
        calmWindow(patients, seededRandom(seed), reference.model, { size: 500, ageShift }),
        settings,
        at(minute),
      );
    drifted = report(1, 8, 30);
    // 20 evaluations a minute apart, none at minutes 8 and 9, the last 5 with older patients.
    history = Array.from({ length: 20 }, (_, minute) => minute)
      .filter((minute) => minute !== 8 && minute !== 9)
      .map((minute) =>
        evaluationOf(
          report(100 + minute, minute >= 15 ? 8 : 0, minute),
          iso(at(minute).getTime()),
          at(minute),
        ),
      );
  });

  it('puts the verdict first, as it is, and states the thresholds, the reference and the window', () => {
    const page = driftPage(drifted, history, '1.0.0');
    expect(page.verdict.sentence).toBe(drifted.verdict);
    expect(page.verdict.level).toBe(drifted.dataset_drift ? 'critical' : 'warning');
    expect(page.thresholds.join(' ')).toContain(
      'An input is in DRIFT when its adjusted p-value is below 0.05 (DRIFT_P_VALUE); below 0.15 ' +
        '(DRIFT_P_VALUE_POSSIBLE) it is POSSIBLE, a warning that is not counted. The data set has drifted when at ' +
        'least 50 % of the 15 inputs are in DRIFT (DRIFT_SHARE: 8 inputs).',
    );
    expect(page.thresholds.join(' ')).toContain('(Holm)');
    expect(page.facts.map((f) => f.label)).toEqual(['Reference', 'Window', 'Generated']);
    expect(page.facts[0]!.value).toBe(
      `the training data of ${reference.model} (${reference.rows} patients): ${reference.id} (kind card)`,
    );
    expect(page.facts[1]!.value).toMatch(
      /^500 predictions: the newest 500 at most \(DRIFT_WINDOW_SIZE\), at least 100 needed \(DRIFT_MIN_SAMPLES\), logged from 2026-01-01 00:00:00 UTC to 00:08:19$/,
    );
  });

  it('lists each input with its test, statistic, raw and adjusted p-values as formatP writes them, most drifted first', () => {
    const page = driftPage(drifted, history, '1.0.0');
    expect(page.features).toHaveLength(15);
    const age = page.features[0]!;
    const engineAge = drifted.features.find((f) => f.feature === 'AGE')!;
    expect(age).toMatchObject({
      name: 'AGE',
      level: 'DRIFT',
      test: 'Kolmogorov–Smirnov',
      statistic: `D = ${engineAge.statistic.toFixed(3)}`,
      p: formatP(engineAge.p_value),
      pAdjusted: formatP(engineAge.p_value_adjusted),
      wasserstein: engineAge.wasserstein_normalised!.toFixed(3),
    });
    const smoking = page.features.find((f) => f.name === 'SMOKING')!;
    expect(smoking.test).toBe('two-proportion z-test');
    expect(smoking.statistic).toMatch(/^z = −?\d\.\d{3}$/);
    expect(smoking.wasserstein).toBe('–');
    for (const f of page.features) {
      expect(f.p).toMatch(/^p (<|=) /);
      expect(f.pAdjusted).toMatch(/^p (<|=) /);
    }
  });

  it('draws each input’s adjusted p-value (log scale, DRIFT line) and statistic over time, with gaps and tables', () => {
    const page = driftPage(drifted, history, '1.0.0');
    const { inputs, prediction } = page.history;
    expect(inputs).toHaveLength(15);
    expect(inputs[0]!.id).toBe('history-age');
    const age = inputs[0]!;
    expect(age.charts).toHaveLength(2);
    expect(age.charts[0]!.svg).toContain('>DRIFT below 0.05<');
    expect(age.charts[0]!.svg).toContain('>1e-6<');
    // Minutes 8 and 9 are missing: the line breaks there.
    expect(strokes(age.charts[0]!.svg)).toHaveLength(2);
    expect(age.table!.rows).toHaveLength(18);
    expect(age.table!.rows.at(-1)!.map((c) => c.value)).toEqual([
      '10:19:00',
      expect.stringMatching(/^D = /),
      expect.stringMatching(/^p (<|=) /),
      expect.stringMatching(/^p (<|=) /),
      'DRIFT',
    ]);
    expect(prediction!.title).toBe('Prediction drift over time');
    expectTables([...inputs, prediction!, ...page.distributions, page.prediction!.figure]);
  });

  it('says when no evaluation is kept yet, and renders the offline report (no history) too', () => {
    const page = driftPage(drifted, [], '1.0.0');
    expect(page.history.empty).toContain('every DRIFT_EVALUATE_SECONDS');
    expect(page.history.inputs).toEqual([]);
    expect(engine.render('drift', page)).toContain('No evaluation kept yet.');
  });

  it('says so when no kept evaluation judged a window', () => {
    const thin = history
      .slice(0, 2)
      .map((e) => ({ ...e, status: 'not_enough_data' as const, features: [], prediction: null }));
    const page = driftPage(drifted, thin, '1.0.0');
    expect(page.history).toMatchObject({ inputs: [], prediction: null });
    expect(page.history.empty).toBe(
      'No data yet: the 2 evaluations kept had too few predictions to judge (DRIFT_MIN_SAMPLES).',
    );
  });

  it('renders "not enough data" without a table of inputs', () => {
    const thin = detectDrift(
      reference,
      calmWindow(patients, seededRandom(3), reference.model, { size: 20 }),
      settings,
    );
    const page = driftPage(thin, [], '1.0.0');
    expect(page.verdict).toMatchObject({ level: 'unknown', sentence: thin.verdict });
    const html = engine.render('drift', page);
    expect(html).toContain('data-testid="not-enough"');
    expect(html).not.toContain('data-feature=');
    expect(visibleText(html)).not.toMatch(BAD_PLURALS);
  });

  it('renders with a table for every chart, each panel once, and no "(s)" or "1 inputs"', () => {
    const html = engine.render('drift', driftPage(drifted, history, '1.0.0'));
    expect(html.match(/<svg xmlns/g)!.length).toBe(
      2 /* distributions */ + 1 /* decisions */ + 2 * 16 /* over time */,
    );
    expect(html.match(/<details class="numbers"/g)).toHaveLength(3 + 16);
    expect(html).not.toContain('style=');
    expect(visibleText(html)).not.toMatch(BAD_PLURALS);
    for (const panel of ['verdict', 'inputs', 'prediction-drift', 'distributions', 'drift-history']) {
      expect([panel, html.split(`data-panel="${panel}"`).length - 1]).toEqual([panel, 1]);
    }
  });

  it('escapes every label that comes from the data', () => {
    const last = history[history.length - 1]!;
    const evilHistory = [
      ...history,
      {
        ...last,
        timestamp: iso(Date.parse(last.timestamp) + 60_000),
        features: [{ ...last.features[0]!, feature: EVIL }],
      },
    ];
    const report = { ...drifted, verdict: EVIL, reference: { ...drifted.reference, id: EVIL, model: EVIL } };
    const html = engine.render('drift', driftPage(report, evilHistory, EVIL));
    expect(html).toContain(`data-chart="history--script-alert-1-script-img-src-x-onerror-alert-1-"`);
    expect(html).not.toMatch(/<script|<img/); // the report loads no script
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('&#60;script&#62;');
  });
});
