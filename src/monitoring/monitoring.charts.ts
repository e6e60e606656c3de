/**
 * Charts drawn on the server as inline SVG, so the dashboard and the drift report show without JavaScript and load
 * nothing from elsewhere. Every label is escaped; numbers are written by the code. Colours are presentation
 * attributes (no inline style), which the pages' Content-Security-Policy allows. The view box is 400 units wide,
 * about the width a chart gets on a laptop, so that its 12-unit text stays readable down to a 390 px phone.
 */

/**
 * Each at least 3:1 against white, as graphics need; lines also differ by dash, not by colour alone. The first keys
 * are also the reliability diagram's (model/calibration.svg), which must stay as it is.
 */
export const COLOURS = {
  reference: '#64748b',
  current: '#2563eb',
  positive: '#dc2626',
  negative: '#16a34a',
  p50: '#16a34a',
  p95: '#d97706',
  p99: '#dc2626',
  grid: '#e2e8f0',
  text: '#334155',
  requests: '#1d4ed8',
  errors: '#b91c1c',
  low: '#15803d',
  moderate: '#b45309',
  high: '#b91c1c',
  stage: '#6d28d9',
  drift: '#b91c1c',
  statistic: '#0f766e',
  axis: '#94a3b8',
} as const;

export type Dash = 'solid' | 'dashed' | 'dotted';

export interface Series {
  name: string;
  colour: string;
  values: readonly (number | null)[];
  dash?: Dash;
}

/** A drawn chart: the SVG (titled) and its legend as an HTML list (empty when the labels name the bars). */
export interface DrawnChart {
  svg: string;
  legend: string;
}

export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const WIDTH = 400;
const FONT = 13;
/**
 * The width a text takes at FONT in a wide system font (DejaVu Sans), so that labels placed by it are never cut:
 * capitals and digits are wider than the average letter.
 */
export function textWidth(content: string): number {
  let width = 0; // at 12 units, scaled to FONT below
  for (const c of content) {
    if (/[mwMW%]/.test(c)) {
      width += 11.5;
    } else if (/[A-Z]/.test(c)) {
      width += 9;
    } else if (/[\s.,:;il|'!()-]/.test(c)) {
      width += 4.2;
    } else {
      width += 7.8;
    }
  }
  return (width * FONT) / 12;
}
const DASHES: Record<Dash, string> = { solid: '', dashed: '6 4', dotted: '2 3' };

const at = (value: number): string => (Math.round(value * 10) / 10).toString();

function text(x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end' = 'start'): string {
  return (
    `<text x="${at(x)}" y="${at(y)}" text-anchor="${anchor}" font-size="${FONT}" fill="${COLOURS.text}">` +
    `${escapeXml(content)}</text>`
  );
}

function open(title: string, height: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" ` +
    `aria-label="${escapeXml(title)}" class="chart" focusable="false"><title>${escapeXml(title)}</title>`
  );
}

const dashAttribute = (dash: Dash | undefined): string =>
  dash && dash !== 'solid' ? ` stroke-dasharray="${DASHES[dash]}"` : '';

/** The legend under a chart: a sample of each series' line or bar, then its name. */
export function legend(
  series: readonly Pick<Series, 'name' | 'colour' | 'dash'>[],
  kind: 'line' | 'bar',
): string {
  const items = series.map((s) => {
    const sample =
      kind === 'line'
        ? `<line x1="1" y1="6" x2="23" y2="6" stroke="${s.colour}" stroke-width="3"${dashAttribute(s.dash)}/>`
        : `<rect x="4" y="1" width="16" height="10" fill="${s.colour}"/>`;
    return (
      `<li><svg class="legend__sample" viewBox="0 0 24 12" width="24" height="12" aria-hidden="true" ` +
      `focusable="false">${sample}</svg>${escapeXml(s.name)}</li>`
    );
  });
  return `<ul class="legend">${items.join('')}</ul>`;
}

/** A tick or value as people read it: whole numbers as they are, others with two or three significant digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) {
    return String(value);
  }
  const size = Math.abs(value);
  if (size >= 100) {
    return String(Math.round(value));
  }
  return String(Number(value.toPrecision(size >= 1 ? 3 : 2)));
}

/** A step of 1, 2 or 5 times a power of ten that cuts `span` into at most `parts` parts. */
function niceStep(span: number, parts: number, integer: boolean): number {
  const raw = span / parts;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  return integer ? Math.max(1, Math.round(step)) : step;
}

/** Round ticks covering the values (and 0, so that bars and counts start from it). */
function linearTicks(values: readonly number[], integer: boolean): number[] {
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values);
  const span = high - low || 1;
  const step = niceStep(span, 4, integer);
  // Whole multiples of the step, rounded to its decimals (adding steps up would give 5.6e-17 for 0).
  const first = Math.floor(low / step + 1e-9);
  const last = Math.max(first + 1, Math.ceil(high / step - 1e-9));
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) {
    ticks.push(Number((k * step).toFixed(decimals)) || 0);
  }
  return ticks;
}

/** `HH:MM:SS` (or `HH:MM` for coarse steps) of a time, UTC; with the day when the span crosses one. */
export function timeLabel(ms: number, stepSeconds: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  const time = stepSeconds >= 60 ? iso.slice(11, 16) : iso.slice(11, 19);
  return spanMs >= 86_400_000 ? `${iso.slice(5, 10)} ${time}` : time;
}

export interface TimeChartOptions {
  title: string;
  /** The points' times (ms since the epoch), oldest first; each series has a value (or null) per time. */
  times: readonly number[];
  series: readonly Series[];
  /** The length one point stands for (x labels to the second below a minute). */
  stepSeconds: number;
  /** Written after the top tick. */
  unit?: string;
  /** Counts: whole-number ticks. */
  integer?: boolean;
  /**
   * `log`: p-values from 1 at the top down to `floor` at the bottom (values below sit on it); `linear` otherwise.
   */
  scale?: { kind: 'log'; floor: number } | { kind: 'linear' };
  /** Horizontal reference lines (a threshold), labelled at their right end. */
  rules?: readonly { value: number; label: string; colour: string }[];
  /** What the time axis shows, written under it: `time (UTC), per 10 s`. */
  xNote?: string;
  height?: number;
}

const LOG_TICK_LABELS: Record<number, string> = { 0: '1', [-1]: '0.1', [-2]: '0.01', [-3]: '0.001' };

/**
 * Lines over time, placed by time. A null value is no value (a gap in the line, and a point that stands alone is
 * drawn as a dot); counts should give 0 for an empty period instead.
 */
export function timeChart(options: TimeChartOptions): DrawnChart {
  const height = options.height ?? 190;
  const scale = options.scale ?? { kind: 'linear' };
  const all = options.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const ruleValues = (options.rules ?? []).map((r) => r.value);
  let ticks: { value: number; label: string }[];
  let toUnit: (value: number) => number;
  if (scale.kind === 'log') {
    const bottom = Math.floor(Math.log10(scale.floor));
    const every = Math.max(1, Math.ceil(-bottom / 4));
    ticks = [];
    for (let power = 0; power >= bottom; power -= every) {
      ticks.push({ value: power, label: LOG_TICK_LABELS[power] ?? `1e${power}` });
    }
    toUnit = (value) => (Math.max(Math.log10(Math.max(value, scale.floor)), bottom) - bottom) / -bottom;
  } else {
    const values = linearTicks([...all, ...ruleValues], options.integer ?? false);
    const low = values[0]!;
    const high = values[values.length - 1]!;
    ticks = values.map((value) => ({ value, label: formatNumber(value) }));
    toUnit = (value) => (value - low) / (high - low);
  }
  const unit = options.unit ? ` ${options.unit}` : '';
  const labelWidth = Math.max(
    ...ticks.map((t, i) =>
      textWidth(`${t.label}${i === (scale.kind === 'log' ? 0 : ticks.length - 1) ? unit : ''}`),
    ),
  );
  const left = Math.ceil(labelWidth) + 8;
  const right = 10;
  const top = 14;
  const noteHeight = options.xNote ? 15 : 0;
  const bottom = 22 + noteHeight;
  const plotWidth = WIDTH - left - right;
  const plotHeight = height - top - bottom;
  const y = (value: number): number => top + plotHeight * (1 - toUnit(value));
  const tickY = (tick: { value: number }): number =>
    scale.kind === 'log' ? top + plotHeight * (1 - toUnit(10 ** tick.value)) : y(tick.value);

  const from = options.times[0] ?? 0;
  const to = options.times[options.times.length - 1] ?? from;
  const x = (ms: number): number =>
    to > from ? left + ((ms - from) / (to - from)) * plotWidth : left + plotWidth / 2;

  let out = open(options.title, height);
  const lastTick = ticks.length - 1;
  ticks.forEach((tick, i) => {
    const ty = tickY(tick);
    out +=
      `<line x1="${left}" x2="${WIDTH - right}" y1="${at(ty)}" y2="${at(ty)}" stroke="${COLOURS.grid}"/>` +
      text(
        left - 6,
        ty + 4,
        `${tick.label}${i === (scale.kind === 'log' ? 0 : lastTick) ? unit : ''}`,
        'end',
      );
  });
  const zero = scale.kind === 'linear' && ticks[0]!.value < 0 ? y(0) : top + plotHeight;
  out += `<line x1="${left}" x2="${WIDTH - right}" y1="${at(zero)}" y2="${at(zero)}" stroke="${COLOURS.axis}"/>`;
  for (const rule of options.rules ?? []) {
    const ry = y(rule.value);
    out +=
      `<line x1="${left}" x2="${WIDTH - right}" y1="${at(ry)}" y2="${at(ry)}" stroke="${rule.colour}" ` +
      `stroke-width="1.5" stroke-dasharray="5 3"/>` +
      `<text x="${WIDTH - right}" y="${at(ry - 4)}" text-anchor="end" font-size="${FONT}" fill="${rule.colour}">` +
      `${escapeXml(rule.label)}</text>`;
  }
  for (const s of options.series) {
    let path = '';
    const dots: string[] = [];
    s.values.forEach((value, i) => {
      if (value === null) {
        return;
      }
      const px = at(x(options.times[i]!));
      const py = at(y(value));
      const joined = i > 0 && s.values[i - 1] !== null && s.values[i - 1] !== undefined;
      path += `${joined ? 'L' : 'M'}${px} ${py} `;
      const next = s.values[i + 1];
      if (!joined && (next === null || next === undefined)) {
        dots.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${s.colour}"/>`);
      }
    });
    out +=
      `<g data-series="${escapeXml(s.name)}">` +
      (path
        ? `<path d="${path.trim()}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-linejoin="round"` +
          `${dashAttribute(s.dash)}/>`
        : '') +
      dots.join('') +
      '</g>';
  }
  const span = to - from;
  // Four labels evenly spread over the span (at whole steps), or one for a single point.
  const stepMs = Math.max(1, options.stepSeconds * 1000);
  const marks =
    span === 0
      ? [from]
      : [0, 1, 2, 3].map((k) =>
          Math.min(to, Math.max(from, Math.round((from + (k * span) / 3) / stepMs) * stepMs)),
        );
  [...new Set(marks)].forEach((ms, k, list) => {
    const anchor =
      list.length === 1 ? 'middle' : k === 0 ? 'start' : k === list.length - 1 ? 'end' : 'middle';
    out += text(x(ms), height - 6 - noteHeight, timeLabel(ms, options.stepSeconds, span), anchor);
  });
  if (options.xNote) {
    out += text(left + plotWidth / 2, height - 4, options.xNote, 'middle');
  }
  return { svg: `${out}</svg>`, legend: legend(options.series, 'line') };
}

export interface BarChartOptions {
  title: string;
  /** One row per label, the label on the left. */
  labels: readonly string[];
  series: readonly Series[];
  /** A value as written at the end of its bar. */
  format?: (value: number) => string;
  /** One series: a colour per label (the labels say what each bar is, so there is no legend). */
  colours?: readonly string[];
}

/**
 * Horizontal bars, a row per label (a group of bars per label with several series), the label on the left and the
 * value at the end of each bar: long labels never overlap, and the chart grows downwards with the labels.
 */
export function barChart(options: BarChartOptions): DrawnChart {
  const format = options.format ?? formatNumber;
  const bar = 14;
  const gap = 3;
  const groupGap = 10;
  const top = 6;
  const groupHeight = options.series.length * (bar + gap) - gap;
  const height = top + options.labels.length * (groupHeight + groupGap) - groupGap + 6;
  const left = Math.min(WIDTH * 0.5, Math.max(8, ...options.labels.map(textWidth)) + 8);
  const values = options.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const right = Math.max(textWidth('–'), ...values.map((v) => textWidth(format(v)))) + 8;
  const max = Math.max(1e-12, ...values);
  const plotWidth = WIDTH - left - right;
  let out = open(options.title, height);
  options.labels.forEach((label, i) => {
    const y0 = top + i * (groupHeight + groupGap);
    out += text(left - 6, y0 + groupHeight / 2 + 4, label, 'end');
    options.series.forEach((s, j) => {
      const value = s.values[i] ?? null;
      const y = y0 + j * (bar + gap);
      const width = value === null ? 0 : (plotWidth * Math.max(0, value)) / max;
      const colour = options.colours?.[i] ?? s.colour;
      out +=
        `<rect x="${left}" y="${at(y)}" width="${at(width)}" height="${bar}" fill="${colour}" ` +
        `data-series="${escapeXml(s.name)}"/>` +
        text(left + width + 4, y + bar - 3, value === null ? '–' : format(value));
    });
  });
  out += `<line x1="${left}" x2="${left}" y1="${top - 3}" y2="${height - 3}" stroke="${COLOURS.axis}"/>`;
  return {
    svg: `${out}</svg>`,
    legend: options.colours && options.series.length === 1 ? '' : legend(options.series, 'bar'),
  };
}

export interface HistogramOptions {
  title: string;
  /** The bins' edges: one more than the values of each series. */
  edges: readonly number[];
  series: readonly Series[];
  /** A tick as written on the y axis. */
  format?: (value: number) => string;
}

/** Grouped vertical bars on bins (reference against current), the bins' edges written under their boundaries. */
export function histogramChart(options: HistogramOptions): DrawnChart {
  const format = options.format ?? formatNumber;
  const height = 190;
  const values = options.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const ticks = linearTicks(values, false);
  const high = ticks[ticks.length - 1]!;
  const left = Math.max(...ticks.map((t) => textWidth(format(t)))) + 8;
  const right = 10;
  const top = 10;
  const bottom = 22;
  const plotWidth = WIDTH - left - right;
  const plotHeight = height - top - bottom;
  const bins = Math.max(1, options.edges.length - 1);
  const group = plotWidth / bins;
  const bar = (group * 0.8) / Math.max(1, options.series.length);
  let out = open(options.title, height);
  for (const tick of ticks) {
    const y = top + plotHeight * (1 - tick / high);
    out +=
      `<line x1="${left}" x2="${WIDTH - right}" y1="${at(y)}" y2="${at(y)}" stroke="${COLOURS.grid}"/>` +
      text(left - 6, y + 4, format(tick), 'end');
  }
  options.series.forEach((s, j) => {
    out += `<g data-series="${escapeXml(s.name)}">`;
    for (let i = 0; i < bins; i++) {
      const value = s.values[i] ?? 0;
      const h = plotHeight * (Math.max(0, value) / high);
      out +=
        `<rect x="${at(left + i * group + group * 0.1 + j * bar)}" y="${at(top + plotHeight - h)}" ` +
        `width="${at(bar)}" height="${at(h)}" fill="${s.colour}"/>`;
    }
    out += '</g>';
  });
  out += `<line x1="${left}" x2="${WIDTH - right}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="${COLOURS.axis}"/>`;
  options.edges.forEach((edge, i) => {
    const anchor = i === 0 ? 'start' : i === options.edges.length - 1 ? 'end' : 'middle';
    out += text(left + i * group, height - 6, formatNumber(edge), anchor);
  });
  return { svg: `${out}</svg>`, legend: legend(options.series, 'bar') };
}

// ---------------------------------------------------------------------------------------------------------------
// The reliability diagram's chart (src/training/calibration-chart.ts): model/calibration.svg is compared with its
// output byte for byte, so it keeps its own frame, fonts and legend.

/** A chart with its title and its SVG. */
export interface Chart {
  title: string;
  svg: string;
}

const FRAME = { width: 560, height: 220, left: 68, bottom: 36, top: 24, right: 36 };

function frameTick(value: number): string {
  if (value >= 100 || value === 0) {
    return String(Math.round(value));
  }
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Lines over ordered labels, evenly spaced; a null value breaks the line. */
export function lineChart(
  title: string,
  labels: readonly string[],
  series: readonly Series[],
  unit = '',
): Chart {
  const f = FRAME;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const plotWidth = f.width - f.left - f.right;
  const plotHeight = f.height - f.top - f.bottom;
  const step = labels.length > 1 ? plotWidth / (labels.length - 1) : 0;
  const offset = labels.length > 1 ? 0 : plotWidth / 2;
  let svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" role="img" ` +
    `aria-label="${escapeXml(title)}" class="chart"><title>${escapeXml(title)}</title>`;
  for (const share of [0, 0.5, 1]) {
    const y = f.top + plotHeight * (1 - share);
    svg +=
      `<line x1="${f.left}" x2="${f.width - f.right}" y1="${at(y)}" y2="${at(y)}" stroke="${COLOURS.grid}"/>` +
      `<text x="${f.left - 6}" y="${at(y + 4)}" text-anchor="end" font-size="11" fill="${COLOURS.text}">` +
      `${escapeXml(frameTick(max * share))}${share === 1 && unit ? ` ${escapeXml(unit)}` : ''}</text>`;
  }
  for (const s of series) {
    let path = '';
    let pen = 'M';
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = 'M';
        return;
      }
      path += `${pen}${at(f.left + (labels.length > 1 ? i * step : plotWidth / 2))} ${at(f.top + plotHeight * (1 - v / max))} `;
      pen = 'L';
    });
    svg += `<path d="${path.trim()}" fill="none" stroke="${s.colour}" stroke-width="2" data-series="${escapeXml(s.name)}"/>`;
    if (s.values.length === 1 && s.values[0] !== null) {
      svg += `<circle cx="${at(f.left + plotWidth / 2)}" cy="${at(f.top + plotHeight * (1 - s.values[0]! / max))}" r="3" fill="${s.colour}"/>`;
    }
  }
  const every = Math.max(1, Math.ceil(labels.length / 6));
  labels.forEach((label, i) => {
    if (i % every === 0) {
      svg +=
        `<text x="${at(f.left + offset + i * step)}" y="${f.height - f.bottom + 16}" text-anchor="middle" ` +
        `font-size="11" fill="${COLOURS.text}">${escapeXml(label)}</text>`;
    }
  });
  // Each name takes about 6.5 px a character at 11 px: the next one starts after it.
  let x = f.left;
  for (const s of series) {
    svg +=
      `<rect x="${at(x)}" y="6" width="10" height="10" fill="${s.colour}"/>` +
      `<text x="${at(x + 14)}" y="15" font-size="11" fill="${COLOURS.text}">${escapeXml(s.name)}</text>`;
    x += 14 + s.name.length * 6.5 + 18;
  }
  return { title, svg: `${svg}</svg>` };
}
