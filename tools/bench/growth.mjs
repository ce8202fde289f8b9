// @ts-check
/**
 * Growth order from measurements: a least-squares line through
 * (log n, log cost) gives the exponent k of cost ≈ c·n^k. For a cost per
 * item, k ≈ 0 is O(1) per item, k ≈ 1 is O(n) per item. O(log n) per item
 * has no constant exponent: over n = 1e3..1e6 it looks like a small
 * positive k (≈ 0.05 to 0.2) whose local slope shrinks as n grows, so the
 * classifier also fits cost = a + b·ln n and prefers it when it explains the
 * points clearly better than a power law would.
 *
 * The thresholds are deliberately coarse: cache effects (a 1e6-entry heap
 * leaves L2) and GC add 10-30 % at the large end on this VM, which a finer
 * classification would turn into false claims. The report always prints the
 * fitted exponent next to the verdict so a reader can judge it.
 *
 * @module
 */

/**
 * @typedef {object} LineFit
 * @property {number} slope
 * @property {number} intercept
 * @property {number} r2  coefficient of determination (1 for a perfect fit)
 */

/**
 * Ordinary least squares y = intercept + slope·x.
 * @param {readonly number[]} xs
 * @param {readonly number[]} ys
 * @returns {LineFit}
 */
export function fitLine(xs, ys) {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return { slope: NaN, intercept: NaN, r2: NaN };
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx, dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return { slope: NaN, intercept: NaN, r2: NaN };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  // A flat series (syy = 0) is fitted perfectly by slope 0.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2 };
}

/**
 * Exponent of cost ≈ c·n^k over the points (n, cost); points with n ≤ 0 or
 * cost ≤ 0 cannot be on a log scale and are ignored.
 * @param {ReadonlyArray<readonly [number, number]>} points
 * @returns {LineFit}
 */
export function fitLogLog(points) {
  const ok = points.filter(([n, c]) => n > 0 && c > 0);
  return fitLine(ok.map(([n]) => Math.log(n)), ok.map(([, c]) => Math.log(c)));
}

/**
 * @typedef {object} Growth
 * @property {'O(1)' | 'O(log n)' | 'O(n)' | 'O(n^k)' | 'unknown'} order  of the cost per item
 * @property {number} exponent  fitted k of cost per item ≈ c·n^k
 * @property {number} r2        of the log-log fit
 * @property {string} text      one line for the report
 */

/**
 * Classifies how the cost *per item* grows with n.
 * @param {ReadonlyArray<readonly [number, number]>} perItem  (n, cost per item)
 * @returns {Growth}
 */
export function classifyPerItem(perItem) {
  const ok = perItem.filter(([n, c]) => n > 0 && c > 0 && Number.isFinite(c));
  if (ok.length < 3) {
    return { order: 'unknown', exponent: NaN, r2: NaN, text: 'too few points to fit' };
  }
  const power = fitLogLog(ok);
  const k = power.slope;
  /** @type {Growth['order']} */
  let order;
  if (k < 0.08) {
    // Includes negative exponents: fixed costs amortised over more items.
    order = 'O(1)';
  } else if (k < 0.45) {
    // Between constant and linear: log n if cost is linear in ln n, otherwise
    // a weak power (typically cache misses growing with the working set).
    const lin = fitLine(ok.map(([n]) => Math.log(n)), ok.map(([, c]) => c));
    order = lin.slope > 0 && lin.r2 >= power.r2 - 0.02 ? 'O(log n)' : 'O(n^k)';
  } else if (k < 1.3) {
    order = 'O(n)';
  } else {
    order = 'O(n^k)';
  }
  const kText = `${k >= 0 ? '+' : ''}${k.toFixed(2)}`;
  // R² says how well a slope explains the spread; for a flat series there is
  // nothing to explain and it is ~0 by construction, so it is left out.
  const fitText = order === 'O(1)' ? `log-log slope ${kText}` : `log-log slope ${kText}, R² ${power.r2.toFixed(2)}`;
  const text = `${order} (${fitText})`;
  return { order, exponent: k, r2: power.r2, text };
}
