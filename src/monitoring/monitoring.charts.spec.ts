import {
  barChart,
  escapeXml,
  formatNumber,
  histogramChart,
  legend,
  lineChart,
  textWidth,
  timeChart,
  timeLabel,
} from './monitoring.charts';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const seconds = (...s: number[]): number[] => s.map((x) => T0 + x * 1000);

/** The `d` of each series' line, by series name. */
function paths(svg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of svg.matchAll(/<g data-series="([^"]*)">(?:<path d="([^"]*)")?/g)) {
    out[m[1]!] = m[2] ?? '';
  }
  return out;
}

const points = (d: string): [number, number][] =>
  [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe(timeChart.name, () => {
  it('breaks the line at a null (no value then) and draws a point that stands alone as a dot', () => {
    const { svg } = timeChart({
      title: 'Latency',
      times: seconds(0, 10, 20, 30, 40, 50),
      series: [{ name: 'p95', colour: '#000', values: [1, 2, null, 4, null, 6] }],
      stepSeconds: 10,
    });
    const d = paths(svg).p95!;
    expect(d.match(/M/g)).toHaveLength(3);
    expect(d.match(/L/g)).toHaveLength(1);
    // The points at 30 s and 50 s have no neighbour: each is a dot too.
    expect(svg.match(/<circle /g)).toHaveLength(2);
  });

  it('draws a zero as a value: counts of an empty period stay on the line', () => {
    const { svg } = timeChart({
      title: 'Requests',
      times: seconds(0, 10, 20),
      series: [{ name: 'requests', colour: '#000', values: [5, 0, 5] }],
      stepSeconds: 10,
      integer: true,
    });
    const d = paths(svg).requests!;
    expect(d.match(/M/g)).toHaveLength(1);
    expect(d.match(/L/g)).toHaveLength(2);
    const [[, top], [, bottom]] = points(d) as [[number, number], [number, number]];
    expect(bottom).toBeGreaterThan(top);
  });

  it('places points by their time, so that uneven intervals show as such', () => {
    const { svg } = timeChart({
      title: 'History',
      times: seconds(0, 10, 40),
      series: [{ name: 's', colour: '#000', values: [1, 1, 1] }],
      stepSeconds: 10,
    });
    const [a, b, c] = points(paths(svg).s!).map(([x]) => x) as [number, number, number];
    expect((c - a) / (b - a)).toBeCloseTo(4, 1);
  });

  it('on a log scale puts 1 at the top and p-values below the floor on it, with the threshold line labelled', () => {
    const { svg } = timeChart({
      title: 'AGE: adjusted p-value',
      times: seconds(0, 10, 20),
      series: [{ name: 'p', colour: '#000', values: [1, 0.05, 1e-12] }],
      stepSeconds: 10,
      scale: { kind: 'log', floor: 1e-6 },
      rules: [{ value: 0.05, label: 'DRIFT below 0.05', colour: '#b91c1c' }],
    });
    const ys = points(paths(svg).p!).map(([, y]) => y);
    expect(ys[0]).toBeLessThan(ys[1]!);
    expect(ys[1]).toBeLessThan(ys[2]!);
    for (const tick of ['>1<', '>0.01<', '>1e-4<', '>1e-6<', '>DRIFT below 0.05<']) {
      expect(svg).toContain(tick);
    }
    const rule = /<line [^>]*y1="([\d.]+)"[^>]*stroke="#b91c1c"/.exec(svg)!;
    expect(Number(rule[1])).toBeCloseTo(ys[1]!, 0);
  });

  it('covers negative values (a z statistic) with a zero line among round ticks', () => {
    const { svg } = timeChart({
      title: 'z',
      times: seconds(0, 10),
      series: [{ name: 'z', colour: '#000', values: [-3.2, 2.1] }],
      stepSeconds: 10,
    });
    expect(svg).toContain('>-4<');
    expect(svg).toContain('>0<');
    expect(svg).toContain('>4<');
  });

  it('writes round ticks, never a rounding error for 0', () => {
    const { svg } = timeChart({
      title: 'z',
      times: seconds(0, 10),
      series: [{ name: 'z', colour: '#000', values: [-0.58, -0.23] }],
      stepSeconds: 10,
    });
    const ticks = [...svg.matchAll(/text-anchor="end"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(ticks.slice(0, -1)).toEqual(['-0.6', '-0.4', '-0.2', '0']); // then the last time label
  });

  it('says under the time axis what a point is, and labels times in UTC', () => {
    const { svg } = timeChart({
      title: 'Requests',
      times: seconds(0, 10, 20, 30),
      series: [{ name: 'requests', colour: '#000', values: [1, 2, 3, 4] }],
      stepSeconds: 10,
      xNote: 'time (UTC), per 10 s',
    });
    expect(svg).toContain('>time (UTC), per 10 s<');
    expect(svg).toContain('>10:00:00<');
    expect(svg).toContain('>10:00:30<');
  });

  it('draws a single point as a dot in the middle', () => {
    const { svg } = timeChart({
      title: 'One',
      times: seconds(0),
      series: [{ name: 'one', colour: '#000', values: [3] }],
      stepSeconds: 10,
    });
    expect(svg.match(/<circle /g)).toHaveLength(1);
  });
});

describe(barChart.name, () => {
  it('draws one bar per label and series, the longest for the largest value, with each value written', () => {
    const { svg, legend: list } = barChart({
      title: 'Shares',
      labels: ['SMOKING', 'SWALLOWING DIFFICULTY'],
      series: [
        { name: 'reference', colour: '#111', values: [0.5, 0.25] },
        { name: 'current', colour: '#222', values: [1, 0] },
      ],
      format: (v) => `${v * 100} %`,
    });
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"[^>]*data-series="current"/g)].map((m) =>
      Number(m[1]),
    );
    expect(widths).toHaveLength(2);
    expect(widths[1]).toBe(0);
    expect(svg.match(/data-series="reference"/g)).toHaveLength(2);
    for (const value of ['>50 %<', '>25 %<', '>100 %<', '>0 %<']) {
      expect(svg).toContain(value);
    }
    expect(list).toContain('reference');
    expect(list).toContain('current');
  });

  it('writes labels on the left, in a margin as wide as the longest, never overlapping the bars', () => {
    const labels = ['batch_wait', 'feature_engineering', 'serialise'];
    const { svg } = barChart({
      title: 'Costliest stages',
      labels,
      series: [{ name: 'ms', colour: '#000', values: [10_421, 300, 12] }],
      colours: ['#000', '#000', '#000'],
    });
    const left = Number(/<rect x="([\d.]+)"/.exec(svg)![1]);
    expect(left).toBeGreaterThanOrEqual(textWidth('feature_engineering'));
    for (const m of svg.matchAll(/<text x="([\d.]+)"[^>]*text-anchor="end"[^>]*>([^<]*)</g)) {
      expect(Number(m[1]) - textWidth(m[2]!)).toBeGreaterThanOrEqual(0);
    }
  });

  it('has no legend when one series is coloured per label (the labels name the bars)', () => {
    const chart = barChart({
      title: 'Decisions',
      labels: ['positive', 'negative'],
      series: [{ name: 'predictions', colour: '#000', values: [3, 4] }],
      colours: ['#f00', '#0f0'],
    });
    expect(chart.legend).toBe('');
    expect(chart.svg).toContain('fill="#f00"');
    expect(chart.svg).toContain('fill="#0f0"');
  });
});

describe(histogramChart.name, () => {
  it('draws a bar per bin and series and writes the bins’ edges', () => {
    const { svg } = histogramChart({
      title: 'AGE',
      edges: [0, 20, 30, 120],
      series: [
        { name: 'reference', colour: '#111', values: [0.2, 0.3, 0.5] },
        { name: 'current', colour: '#222', values: [0, 0.5, 0.5] },
      ],
    });
    expect(svg.match(/<rect /g)).toHaveLength(6);
    for (const edge of ['>0<', '>20<', '>30<', '>120<']) {
      expect(svg).toContain(edge);
    }
  });
});

describe('escaping', () => {
  const evil = '<script>alert(1)</script>"><img src=x onerror=alert(1)>&';
  const series = [{ name: evil, colour: '#000', values: [1, 2] }];

  it.each([
    [
      'timeChart',
      () =>
        timeChart({
          title: evil,
          times: seconds(0, 10),
          series,
          stepSeconds: 10,
          unit: evil,
          xNote: evil,
          rules: [{ value: 1, label: evil, colour: '#000' }],
        }),
    ],
    ['barChart', () => barChart({ title: evil, labels: [evil, evil], series, format: () => evil })],
    ['histogramChart', () => histogramChart({ title: evil, edges: [0, 1, 2], series })],
    ['lineChart', () => ({ ...lineChart(evil, [evil, evil], series, evil), legend: '' })],
  ])('escapes every label of %s', (_name, draw) => {
    const { svg, legend: list } = draw();
    for (const html of [svg, list]) {
      expect(html).not.toContain('<script');
      expect(html).not.toContain('<img');
      expect(html).not.toMatch(/&(?!#\d+;)/);
    }
    expect(svg).toContain('&#60;script&#62;');
  });

  it('escapes the five characters that matter in XML', () => {
    expect(escapeXml(`<>&"'`)).toBe('&#60;&#62;&#38;&#34;&#39;');
  });

  it('escapes the legend names', () => {
    expect(legend([{ name: '<b>', colour: '#000' }], 'line')).toContain('&#60;b&#62;');
  });
});

describe('labels', () => {
  it.each([
    [0, '0'],
    [12, '12'],
    [0.05, '0.05'],
    [1.234, '1.23'],
    [204.433, '204'],
    [-2.5, '-2.5'],
  ])('writes %p as %p', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it('writes times of day in UTC, to the second below a minute, with the day over a day', () => {
    const at = Date.UTC(2026, 11, 2, 10, 5, 7);
    expect(timeLabel(at, 10, 60_000)).toBe('10:05:07');
    expect(timeLabel(at, 300, 3_600_000)).toBe('10:05');
    expect(timeLabel(at, 3600, 2 * 86_400_000)).toBe('12-02 10:05');
  });
});
