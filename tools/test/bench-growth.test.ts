import { describe, expect, it } from 'vitest';
import { classifyPerItem, fitLine, fitLogLog } from '../bench/growth.mjs';

const sizes = [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6];

describe('bench growth fit', () => {
  it('fits a straight line exactly', () => {
    const f = fitLine([1, 2, 3, 4], [3, 5, 7, 9]);
    expect(f.slope).toBeCloseTo(2, 12);
    expect(f.intercept).toBeCloseTo(1, 12);
    expect(f.r2).toBeCloseTo(1, 12);
  });

  it('recovers the exponent of a power law on log-log axes', () => {
    expect(fitLogLog(sizes.map((n) => [n, 3 * n ** 0.5])).slope).toBeCloseTo(0.5, 10);
  });

  it('ignores points that cannot go on a log scale', () => {
    expect(fitLogLog([[0, 1], [10, 10], [100, 100], [1000, -1]]).slope).toBeCloseTo(1, 10);
  });

  it('classifies a constant cost per item as O(1)', () => {
    const g = classifyPerItem(sizes.map((n, i) => [n, 100 * (1 + 0.02 * (i % 2))]));
    expect(g.order).toBe('O(1)');
    expect(Math.abs(g.exponent)).toBeLessThan(0.08);
  });

  it('classifies a falling cost per item (amortised fixed cost) as O(1)', () => {
    expect(classifyPerItem(sizes.map((n) => [n, 50 + 1e5 / n])).order).toBe('O(1)');
  });

  it('classifies a logarithmic cost per item as O(log n)', () => {
    const g = classifyPerItem(sizes.map((n) => [n, 20 * Math.log2(n)]));
    expect(g.order).toBe('O(log n)');
    expect(g.text).toMatch(/^O\(log n\) \(log-log slope \+0\.\d\d, R² /);
  });

  it('classifies a linear cost per item as O(n)', () => {
    expect(classifyPerItem(sizes.map((n) => [n, 0.01 * n])).order).toBe('O(n)');
  });

  it('says so when there are too few points', () => {
    expect(classifyPerItem([[1, 1], [2, 2]]).order).toBe('unknown');
  });
});
