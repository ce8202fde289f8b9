import { describe, expect, it } from 'vitest';
import { median, medianOfRuns, percentile, ratio, summarize } from '../bench/stats.mjs';

describe('bench stats', () => {
  it('uses nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('takes the lower middle sample as the median of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('sorts numerically, not as strings', () => {
    expect(median([10, 9, 100])).toBe(10);
  });

  it('summarizes', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ n: 5, p50: 3, min: 1, max: 5, mean: 3 });
  });

  it('takes the median of runs field by field and keeps the runs', () => {
    const runs = [summarize([1, 2, 3]), summarize([10, 20, 30]), summarize([4, 5, 6])];
    const m = medianOfRuns(runs);
    expect(m.p50).toBe(5);
    expect(m.max).toBe(6);
    expect(m.runs).toHaveLength(3);
  });

  it('gives NaN ratios for missing values instead of 0 or Infinity', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(ratio(undefined, 3)).toBeNaN();
    expect(ratio(1, 0)).toBeNaN();
  });
});
