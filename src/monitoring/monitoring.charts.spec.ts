import { barChart, lineChart } from './monitoring.charts';

const count = (svg: string, tag: string): number => svg.split(`<${tag} `).length - 1;

describe('server-side charts', () => {
  it('draws one bar per label and series, scaled to the largest value', () => {
    const { title, svg } = barChart(
      'AGE',
      ['a', 'b', 'c'],
      [
        { name: 'reference', colour: '#000', values: [0.5, 0.25, 0.25] },
        { name: 'current', colour: '#111', values: [0, 1, 0] },
      ],
    );
    expect(title).toBe('AGE');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect [^>]*data-series="current"/g)).toHaveLength(3);
    const heights = [...svg.matchAll(/height="([\d.]+)" fill="#111" data-series/g)].map((m) => Number(m[1]));
    expect(heights).toEqual([0, 160, 0]);
  });

  it('draws a line per series, broken where a value is missing', () => {
    const { svg } = lineChart(
      'Latency',
      ['1', '2', '3', '4'],
      [{ name: 'p50', colour: '#0f0', values: [1, 2, null, 4] }],
    );
    const path = /<path d="([^"]*)"/.exec(svg)![1]!;
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path.match(/L/g)).toHaveLength(1);
    expect(count(svg, 'path')).toBe(1);
  });

  it('escapes every label', () => {
    const { svg } = barChart(
      '<script>',
      ['"><img src=x onerror=alert(1)>'],
      [{ name: "it's & <b>", colour: '#000', values: [1] }],
    );
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&#60;script&#62;');
  });
});
