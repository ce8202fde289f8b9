// @ts-check
/**
 * A small SVG plot writer: line plots (linear or log axes, several series,
 * markers, reference lines) and grouped bar charts. The report's figures
 * are generated from measured data by this module; nothing is drawn by hand,
 * and no plotting dependency is pulled in for ~300 lines of geometry.
 *
 * Output is deterministic for the same input (fixed palette, fixed number
 * formatting), so regenerating a report only changes the files whose data
 * changed, which keeps diffs of docs/bench/*.svg reviewable.
 *
 * @module
 */

/**
 * @typedef {object} Series
 * @property {string} name
 * @property {ReadonlyArray<readonly [number, number]>} points  (x, y); non-finite y are gaps
 * @property {boolean} [dashed]
 * @property {boolean} [noLine]  markers only (scatter), e.g. latency-over-time samples
 */

/**
 * @typedef {object} RefLine
 * @property {'x' | 'y'} axis
 * @property {number} value
 * @property {string} label
 */

/**
 * @typedef {object} LinePlot
 * @property {string} title
 * @property {string} xLabel
 * @property {string} yLabel
 * @property {Series[]} series
 * @property {boolean} [xLog]
 * @property {boolean} [yLog]
 * @property {RefLine[]} [refs]
 * @property {number} [width]
 * @property {number} [height]
 * @property {number} [yMin]  force the y range to include this value (linear axes start at 0 by default)
 * @property {string[]} [xCategories]  x values are indices into these labels (evenly spaced, e.g. poll-max-ns values that include 0)
 */

/**
 * @typedef {object} BarPlot
 * @property {string} title
 * @property {string} yLabel
 * @property {string[]} categories      groups along x
 * @property {{ name: string, values: number[] }[]} series  one value per category; NaN = missing
 * @property {boolean} [yLog]
 * @property {number} [width]
 * @property {number} [height]
 */

// Colour-blind-safe palette (Okabe-Ito), in a fixed order.
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'];
const FONT = 'font-family="sans-serif"';

/** @param {string} s */
export function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A short label for a tick value: 3 significant digits at most, with k/M/G
 * suffixes from a thousand up, so log axes spanning 1e3..1e6 stay readable.
 * @param {number} v
 * @returns {string}
 */
export function formatTick(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  /** @param {number} x */
  const trim = (x) => String(Number(x.toPrecision(3)));
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

/**
 * Round tick values covering [lo, hi] on a linear axis: steps of 1, 2 or 5
 * times a power of ten, about `count` of them.
 * @param {number} lo
 * @param {number} hi
 * @param {number} [count]
 * @returns {number[]}
 */
export function linearTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  // Snap to the step grid; the small epsilon keeps hi itself when it is on the grid.
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/**
 * Tick values on a log axis: every power of ten in range, plus 2× and 5×
 * when the range is under three decades (otherwise they crowd).
 * @param {number} lo  > 0
 * @param {number} hi  > lo
 * @returns {number[]}
 */
export function logTicks(lo, hi) {
  const out = [];
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const fine = d1 - d0 <= 3;
  for (let d = d0; d <= d1; d++) {
    for (const m of fine ? [1, 2, 5] : [1]) {
      const v = m * 10 ** d;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
    }
  }
  return out;
}

/**
 * The axis range for the data: log axes widen to whole decades, linear axes
 * get 5 % head room and start at 0 unless the data is negative.
 * @param {number[]} values
 * @param {boolean} log
 * @param {number} [include]
 * @returns {[number, number]}
 */
function axisRange(values, log, include) {
  const vs = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (include !== undefined && (!log || include > 0)) vs.push(include);
  if (vs.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...vs), hi = Math.max(...vs);
  if (log) {
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
    if (hi <= lo) hi = lo * 10;
    return [lo, hi];
  }
  if (lo > 0 && include === undefined) lo = 0;
  if (hi === lo) hi = lo + 1;
  return [lo, hi + (hi - lo) * 0.05];
}

/**
 * @param {string} shape
 * @param {number} x
 * @param {number} y
 * @param {string} color
 */
function marker(shape, x, y, color) {
  const r = 3.2;
  const p = (/** @type {number} */ v) => v.toFixed(1);
  if (shape === 'square') return `<rect x="${p(x - r)}" y="${p(y - r)}" width="${p(2 * r)}" height="${p(2 * r)}" fill="${color}"/>`;
  if (shape === 'triangle') return `<path d="M${p(x)} ${p(y - r - 0.8)}L${p(x + r)} ${p(y + r)}L${p(x - r)} ${p(y + r)}Z" fill="${color}"/>`;
  if (shape === 'diamond') return `<path d="M${p(x)} ${p(y - r - 0.8)}L${p(x + r + 0.8)} ${p(y)}L${p(x)} ${p(y + r + 0.8)}L${p(x - r - 0.8)} ${p(y)}Z" fill="${color}"/>`;
  return `<circle cx="${p(x)}" cy="${p(y)}" r="${p(r)}" fill="${color}"/>`;
}

/**
 * The frame shared by both plot kinds: title, plot area, y axis with grid
 * and labels. Returns the SVG pieces and the y mapping.
 * @param {{ title: string, yLabel: string, width: number, height: number, yRange: [number, number], yLog: boolean }} o
 */
function frame(o) {
  const left = 72, right = 16, top = 34, bottom = 86;
  const w = o.width - left - right;
  const h = o.height - top - bottom;
  const [y0, y1] = o.yRange;
  /** @param {number} v */
  const y = (v) => (o.yLog ? top + h - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * h : top + h - ((v - y0) / (y1 - y0)) * h);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.height}" viewBox="0 0 ${o.width} ${o.height}" ${FONT} font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${o.width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`,
    `<text transform="translate(16 ${top + h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`,
  ];
  for (const t of o.yLog ? logTicks(y0, y1) : linearTicks(y0, y1)) {
    const yy = y(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${left + w}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#444"/>`);
  return { parts, left, top, w, h, y };
}

/**
 * A legend under the plot area, wrapped into rows.
 * @param {string[]} parts
 * @param {{ name: string, color: string, shape?: string, dashed?: boolean }[]} items
 * @param {number} left
 * @param {number} yTop
 * @param {number} width
 */
function legend(parts, items, left, yTop, width) {
  let x = left, y = yTop;
  for (const it of items) {
    const wItem = 34 + it.name.length * 6.2;
    if (x + wItem > left + width && x > left) {
      x = left;
      y += 16;
    }
    parts.push(`<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${it.color}" stroke-width="2"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    if (it.shape) parts.push(marker(it.shape, x + 11, y, it.color));
    parts.push(`<text x="${x + 27}" y="${y}" dominant-baseline="middle">${escapeXml(it.name)}</text>`);
    x += wItem;
  }
}

/**
 * Renders a line plot as an SVG document.
 * @param {LinePlot} plot
 * @returns {string}
 */
export function linePlot(plot) {
  const width = plot.width ?? 640, height = plot.height ?? 400;
  // Category axes are evenly spaced by construction, never logarithmic.
  const xLog = (plot.xLog ?? false) && !plot.xCategories, yLog = plot.yLog ?? false;
  const xs = plot.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = plot.series.flatMap((s) => s.points.map(([, y]) => y));
  for (const r of plot.refs ?? []) (r.axis === 'x' ? xs : ys).push(r.value);
  const cats = plot.xCategories;
  /** @type {[number, number]} */
  const [x0, x1] = cats ? [-0.5, cats.length - 0.5] : axisRange(xs, xLog, xLog ? undefined : Math.min(0, ...xs.filter(Number.isFinite)));
  const yRange = axisRange(ys, yLog, plot.yMin);
  const f = frame({ title: plot.title, yLabel: plot.yLabel, width, height, yRange, yLog });
  const { parts, left, top, w, h, y } = f;
  /** @param {number} v */
  const x = (v) => (xLog ? left + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * w : left + ((v - x0) / (x1 - x0)) * w);
  const xTicks = cats ? cats.map((_, i) => i) : xLog ? logTicks(x0, x1) : linearTicks(x0, x1, 6);
  for (const t of xTicks) {
    const xx = x(t).toFixed(1);
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${top}" y2="${top + h}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${xx}" y="${top + h + 15}" text-anchor="middle">${escapeXml(cats ? cats[t] : formatTick(t))}</text>`);
  }
  parts.push(`<text x="${left + w / 2}" y="${top + h + 34}" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`);
  // Labels of nearby vertical lines step down a row instead of overprinting.
  let lastLabelX = -Infinity;
  let row = 0;
  for (const r of plot.refs ?? []) {
    if (r.axis === 'y') {
      if (yLog && !(r.value > 0)) continue;
      const yy = y(r.value).toFixed(1);
      parts.push(`<line x1="${left}" x2="${left + w}" y1="${yy}" y2="${yy}" stroke="#888" stroke-dasharray="2 3"/>`);
      parts.push(`<text x="${left + w - 4}" y="${(Number(yy) - 4).toFixed(1)}" text-anchor="end" fill="#555">${escapeXml(r.label)}</text>`);
    } else {
      if (xLog && !(r.value > 0)) continue;
      const xx = x(r.value).toFixed(1);
      parts.push(`<line x1="${xx}" x2="${xx}" y1="${top}" y2="${top + h}" stroke="#888" stroke-dasharray="2 3"/>`);
      // Labels near the right edge go to the left of their line, so they stay inside the frame.
      const right = Number(xx) > left + w * 0.8;
      row = Number(xx) - lastLabelX < 8 + r.label.length * 6 ? row + 1 : 0;
      lastLabelX = Number(xx);
      parts.push(`<text x="${(Number(xx) + (right ? -4 : 4)).toFixed(1)}" y="${top + 12 + row * 13}"${right ? ' text-anchor="end"' : ''} fill="#555">${escapeXml(r.label)}</text>`);
    }
  }
  /** @type {{ name: string, color: string, shape: string, dashed?: boolean }[]} */
  const items = [];
  plot.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const shape = MARKERS[i % MARKERS.length];
    const pts = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py) && (!xLog || px > 0) && (!yLog || py > 0));
    if (!s.noLine && pts.length > 1) {
      const d = pts.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${x(px).toFixed(1)} ${y(py).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    // Dense series (hundreds of samples) get no markers on lines: they would
    // hide the line. Scatter series always get them, smaller if dense.
    if (s.noLine || pts.length <= 40) for (const [px, py] of pts) parts.push(marker(shape, x(px), y(py), color));
    items.push({ name: s.name, color, shape, dashed: s.dashed });
  });
  legend(parts, items, left, top + h + 54, w);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/**
 * Renders a grouped bar chart as an SVG document; a missing value (NaN)
 * leaves a gap with an "n/a" mark, so a failed measurement is visible.
 * @param {BarPlot} plot
 * @returns {string}
 */
export function barPlot(plot) {
  const width = plot.width ?? 640, height = plot.height ?? 400;
  const yLog = plot.yLog ?? false;
  const values = plot.series.flatMap((s) => s.values);
  const yRange = axisRange(values, yLog);
  const { parts, left, top, w, h, y } = frame({ title: plot.title, yLabel: plot.yLabel, width, height, yRange, yLog });
  const groups = plot.categories.length;
  const per = plot.series.length;
  const gw = w / Math.max(1, groups);
  const bw = Math.min(36, (gw * 0.8) / Math.max(1, per));
  const base = yLog ? top + h : y(Math.max(0, yRange[0]));
  plot.categories.forEach((cat, g) => {
    const gx = left + g * gw + (gw - bw * per) / 2;
    plot.series.forEach((s, i) => {
      const v = s.values[g];
      const bx = gx + i * bw;
      if (!Number.isFinite(v) || (yLog && !(v > 0))) {
        parts.push(`<text x="${(bx + bw / 2).toFixed(1)}" y="${(base - 4).toFixed(1)}" text-anchor="middle" font-size="9" fill="#999">n/a</text>`);
        return;
      }
      const by = y(v);
      parts.push(`<rect x="${bx.toFixed(1)}" y="${Math.min(by, base).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${Math.abs(base - by).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"/>`);
      parts.push(`<text x="${(bx + bw / 2 - 1).toFixed(1)}" y="${(Math.min(by, base) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${formatTick(v)}</text>`);
    });
    parts.push(`<text x="${(left + g * gw + gw / 2).toFixed(1)}" y="${top + h + 15}" text-anchor="middle">${escapeXml(cat)}</text>`);
  });
  legend(parts, plot.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length] })), left, top + h + 40, w);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
