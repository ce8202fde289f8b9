import { describe, expect, it } from 'vitest';
import { barPlot, escapeXml, formatTick, linePlot, linearTicks, logTicks } from '../bench/svg.mjs';

describe('bench svg', () => {
  it('picks round linear ticks covering the range', () => {
    expect(linearTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearTicks(0, 0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(linearTicks(3, 3)).toEqual([3]);
  });

  it('puts log ticks on decades, with 2 and 5 when the range is short', () => {
    expect(logTicks(1, 1000)).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
    expect(logTicks(1, 1e6)).toEqual([1, 10, 100, 1000, 10000, 100000, 1000000]);
  });

  it('formats tick labels short', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(1500)).toBe('1.5k');
    expect(formatTick(2_000_000)).toBe('2M');
    expect(formatTick(0.25)).toBe('0.25');
  });

  it('escapes text', () => {
    expect(escapeXml('a<b & "c">')).toBe('a&lt;b &amp; &quot;c&quot;&gt;');
  });

  it('draws a line plot: one path per series, a marker per point, the legend', () => {
    const svg = linePlot({
      title: 'T <1>',
      xLabel: 'x',
      yLabel: 'y',
      xLog: true,
      yLog: true,
      series: [
        { name: 'a', points: [[1, 10], [10, 100], [100, 1000]] },
        { name: 'b', points: [[1, 5], [10, NaN], [100, 50]], dashed: true },
      ],
      refs: [{ axis: 'y', value: 20, label: 'floor' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('T &lt;1&gt;');
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray="5 3"');
    expect(svg).toContain('>floor<');
    // 3 + 2 finite points (the NaN is a gap), drawn as circles and squares.
    expect((svg.match(/<circle /g) ?? []).length + (svg.match(/<rect x=/g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(svg).not.toContain('NaN');
  });

  it('is deterministic', () => {
    const plot = { title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, 1], [1, 2]] as [number, number][] }] };
    expect(linePlot(plot)).toBe(linePlot(plot));
  });

  it('labels category axes', () => {
    const svg = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', xCategories: ['0', '1k', '4k'], series: [{ name: 's', points: [[0, 1], [1, 2], [2, 3]] }] });
    expect(svg).toContain('>1k<');
    expect(svg).toContain('>4k<');
  });

  it('draws bars and marks a missing value as n/a', () => {
    const svg = barPlot({ title: 'b', yLabel: 'µs', categories: ['p', 'q'], series: [{ name: 'cross', values: [10, NaN] }, { name: 'same', values: [5, 2] }] });
    expect(svg.match(/<rect x=/g)).toHaveLength(4); // frame + 3 bars
    expect(svg).toContain('>n/a<');
    expect(svg).not.toContain('NaN');
  });
});
