/**
 * Charts drawn on the server as inline SVG, so the dashboard and the drift report show without JavaScript and load
 * nothing from elsewhere. Every label is escaped; numbers are written by the code. Colours are presentation
 * attributes (no inline style), which the pages' Content-Security-Policy allows.
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
} as const;

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const fixed = (value: number): string => (Math.round(value * 10) / 10).toString();

/** A chart for a page: its title (shown as the figure's caption) and its SVG. */
export interface Chart {
  title: string;
  svg: string;
}

export interface Series {
  name: string;
  colour: string;
  values: readonly (number | null)[];
}

interface Frame {
  width: number;
  height: number;
  left: number;
  bottom: number;
  top: number;
  right: number;
}

const FRAME: Frame = { width: 560, height: 220, left: 68, bottom: 36, top: 24, right: 36 };

function open(title: string, frame: Frame): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${frame.width} ${frame.height}" role="img" ` +
    `aria-label="${escape(title)}" class="chart"><title>${escape(title)}</title>`
  );
}

function axes(max: number, frame: Frame, unit: string): string {
  const plotHeight = frame.height - frame.top - frame.bottom;
  let out = '';
  for (const share of [0, 0.5, 1]) {
    const y = frame.top + plotHeight * (1 - share);
    out +=
      `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${fixed(y)}" y2="${fixed(y)}" ` +
      `stroke="${COLOURS.grid}"/>` +
      `<text x="${frame.left - 6}" y="${fixed(y + 4)}" text-anchor="end" font-size="11" fill="${COLOURS.text}">` +
      `${escape(formatTick(max * share))}${share === 1 && unit ? ` ${escape(unit)}` : ''}</text>`;
  }
  return out;
}

function formatTick(value: number): string {
  if (value >= 100 || value === 0) {
    return String(Math.round(value));
  }
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function legend(series: readonly { name: string; colour: string }[], frame: Frame): string {
  // Each name takes about 6.5 px a character at 11 px: the next one starts after it.
  let x = frame.left;
  return series
    .map((s) => {
      const item =
        `<rect x="${fixed(x)}" y="6" width="10" height="10" fill="${s.colour}"/>` +
        `<text x="${fixed(x + 14)}" y="15" font-size="11" fill="${COLOURS.text}">${escape(s.name)}</text>`;
      x += 14 + s.name.length * 6.5 + 18;
      return item;
    })
    .join('');
}

function xLabels(labels: readonly string[], frame: Frame, step: number, offset: number): string {
  const every = Math.max(1, Math.ceil(labels.length / 6));
  return labels
    .map((label, i) =>
      i % every === 0
        ? `<text x="${fixed(frame.left + offset + i * step)}" y="${frame.height - frame.bottom + 16}" ` +
          `text-anchor="middle" font-size="11" fill="${COLOURS.text}">${escape(label)}</text>`
        : '',
    )
    .join('');
}

/** The size of the frame's plot area, and the value its top stands for (the largest one; never 0). */
function plotArea(series: readonly Series[]): { max: number; plotWidth: number; plotHeight: number } {
  return {
    max: Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))),
    plotWidth: FRAME.width - FRAME.left - FRAME.right,
    plotHeight: FRAME.height - FRAME.top - FRAME.bottom,
  };
}

/** The chart around what it plots: axes, x labels (`step` apart from `offset`) and the legend. */
function chart(
  title: string,
  plotted: string,
  labels: readonly string[],
  series: readonly Series[],
  axis: { max: number; unit: string; step: number; offset: number },
): Chart {
  const svg =
    open(title, FRAME) +
    axes(axis.max, FRAME, axis.unit) +
    plotted +
    xLabels(labels, FRAME, axis.step, axis.offset) +
    legend(series, FRAME) +
    '</svg>';
  return { title, svg };
}

/** Lines over time (or any ordered labels); a null value breaks the line. */
export function lineChart(
  title: string,
  labels: readonly string[],
  series: readonly Series[],
  unit = '',
): Chart {
  const frame = FRAME;
  const { max, plotWidth, plotHeight } = plotArea(series);
  const step = labels.length > 1 ? plotWidth / (labels.length - 1) : 0;
  const lines = series
    .map((s) => {
      let path = '';
      let pen = 'M';
      s.values.forEach((v, i) => {
        if (v === null) {
          pen = 'M';
          return;
        }
        const x = frame.left + (labels.length > 1 ? i * step : plotWidth / 2);
        const y = frame.top + plotHeight * (1 - v / max);
        path += `${pen}${fixed(x)} ${fixed(y)} `;
        pen = 'L';
      });
      const points = s.values.length === 1 && s.values[0] !== null;
      return (
        `<path d="${path.trim()}" fill="none" stroke="${s.colour}" stroke-width="2" data-series="${escape(s.name)}"/>` +
        (points
          ? `<circle cx="${fixed(frame.left + plotWidth / 2)}" cy="${fixed(frame.top + plotHeight * (1 - s.values[0]! / max))}" r="3" fill="${s.colour}"/>`
          : '')
      );
    })
    .join('');
  return chart(title, lines, labels, series, {
    max,
    unit,
    step,
    offset: labels.length > 1 ? 0 : plotWidth / 2,
  });
}

/** Grouped bars: one group per label, one bar per series (reference vs current, positive vs negative…). */
export function barChart(
  title: string,
  labels: readonly string[],
  series: readonly Series[],
  unit = '',
): Chart {
  const frame = FRAME;
  const { max, plotWidth, plotHeight } = plotArea(series);
  const group = plotWidth / Math.max(1, labels.length);
  const bar = (group * 0.8) / Math.max(1, series.length);
  const bars = labels
    .map((_, i) =>
      series
        .map((s, j) => {
          const v = s.values[i] ?? 0;
          const h = plotHeight * (v / max);
          return (
            `<rect x="${fixed(frame.left + i * group + group * 0.1 + j * bar)}" y="${fixed(frame.top + plotHeight - h)}" ` +
            `width="${fixed(bar)}" height="${fixed(h)}" fill="${s.colour}" data-series="${escape(s.name)}">` +
            `<title>${escape(`${s.name} ${labels[i]}: ${formatTick(v)}${unit ? ` ${unit}` : ''}`)}</title></rect>`
          );
        })
        .join(''),
    )
    .join('');
  return chart(title, bars, labels, series, { max, unit, step: group, offset: group / 2 });
}
