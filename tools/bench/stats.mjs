// @ts-check
/**
 * Order statistics for benchmark samples. Benchmarks report medians and p99
 * rather than means because the latency distributions on this VM are
 * heavy-tailed (a vCPU wake or a preemption by another process adds 50 µs to
 * 10 ms to single samples), and a mean would mostly measure those outliers.
 *
 * Percentiles use the nearest-rank rule on the sorted samples (no
 * interpolation), the same rule the package benches use, so figures from the
 * harness and from `packages/x/bench` are comparable.
 *
 * @module
 */

/**
 * @typedef {object} Summary
 * @property {number} n     sample count
 * @property {number} p50   median (nearest rank)
 * @property {number} p99   99th percentile (nearest rank)
 * @property {number} min
 * @property {number} max
 * @property {number} mean
 */

/**
 * The `p`-th percentile (0..100) of samples already sorted ascending; NaN for
 * no samples.
 * @param {ArrayLike<number>} sorted
 * @param {number} p
 * @returns {number}
 */
export function percentileSorted(sorted, p) {
  const n = sorted.length;
  if (n === 0) return NaN;
  // Nearest rank: the smallest sample with at least p% of samples at or below it.
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))];
}

/**
 * Sorts a copy numerically; a Float64Array sort is numeric and several times
 * faster than `Array#sort` with a comparator on 1e5+ samples.
 * @param {ArrayLike<number>} samples
 * @returns {Float64Array}
 */
export function sorted(samples) {
  return Float64Array.from(samples).sort();
}

/**
 * @param {ArrayLike<number>} samples
 * @param {number} p
 * @returns {number}
 */
export function percentile(samples, p) {
  return percentileSorted(sorted(samples), p);
}

/**
 * The median; for an even count the lower middle sample (a value that was
 * actually measured, never an average of two).
 * @param {ArrayLike<number>} samples
 * @returns {number}
 */
export function median(samples) {
  const s = sorted(samples);
  return s.length === 0 ? NaN : s[(s.length - 1) >> 1];
}

/**
 * @param {ArrayLike<number>} samples
 * @returns {Summary}
 */
export function summarize(samples) {
  const s = sorted(samples);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return {
    n: s.length,
    p50: percentileSorted(s, 50),
    p99: percentileSorted(s, 99),
    min: s.length ? s[0] : NaN,
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

/**
 * Median of per-run summaries, field by field: how "median of 3 runs" is
 * computed everywhere in the report (p99 too is the median of the runs' p99s,
 * while `runs` keeps every run's value for the tables).
 * @param {Summary[]} runs
 * @returns {Summary & { runs: Summary[] }}
 */
export function medianOfRuns(runs) {
  /** @param {keyof Summary} k */
  const m = (k) => median(runs.map((r) => r[k]));
  return { n: m('n'), p50: m('p50'), p99: m('p99'), min: m('min'), max: m('max'), mean: m('mean'), runs };
}

/**
 * a / b, or NaN when either side is missing, so that a failed peer shows as
 * "n/a" in a ratio column instead of Infinity or 0.
 * @param {number | undefined} a
 * @param {number | undefined} b
 * @returns {number}
 */
export function ratio(a, b) {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return a / b;
}
