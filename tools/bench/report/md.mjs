// @ts-check
/**
 * Markdown and number formatting for the report. Numbers keep three
 * significant digits at most: the run-to-run spread on this VM is 5-50 %,
 * so more digits would only suggest a precision the measurements lack.
 *
 * @module
 */

/**
 * A GitHub-flavoured markdown table; `|` in cells is escaped.
 * @param {string[]} head
 * @param {(string | number)[][]} rows
 * @returns {string}
 */
export function table(head, rows) {
  /** @param {string | number} c */
  const cell = (c) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out = [`| ${head.map(cell).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.map(cell).join(' | ')} |`);
  return out.join('\n');
}

/**
 * @param {number | undefined} v
 * @param {number} [digits] significant digits
 */
export function num(v, digits = 3) {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 10 ** digits) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(digits)));
}

/** Microseconds, or milliseconds from 10 ms up. @param {number | undefined} us */
export function us(us) {
  if (us === undefined || !Number.isFinite(us)) return 'n/a';
  return us >= 10_000 ? `${num(us / 1000)} ms` : `${num(us)} µs`;
}

/** Nanoseconds, switching to µs from 10 µs. @param {number | undefined} ns */
export function ns(ns) {
  if (ns === undefined || !Number.isFinite(ns)) return 'n/a';
  return ns >= 10_000 ? `${num(ns / 1000)} µs` : `${num(ns)} ns`;
}

/** A rate with k/M suffix. @param {number | undefined} v @param {string} unit */
export function rate(v, unit = '/s') {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  if (v >= 1e6) return `${num(v / 1e6)} M${unit}`;
  if (v >= 1e3) return `${num(v / 1e3)} k${unit}`;
  return `${num(v)}${unit}`;
}

/** A ratio as "2.4×". @param {number | undefined} v */
export function times(v) {
  return v === undefined || !Number.isFinite(v) ? 'n/a' : `${num(v)}×`;
}

/** Per-run values in brackets, the way the package READMEs show them. @param {number[]} vs @param {(v: number) => string} f */
export function runs(vs, f) {
  return vs.length > 1 ? `[${vs.map(f).join(' / ')}]` : '';
}

/** @param {boolean | undefined} met */
export function verdict(met) {
  return met === undefined ? 'not measured' : met ? '**met**' : '**not met**';
}
