// @ts-check
/**
 * Reads the report lines @loop/aio's bench prints. Its bench files print
 * human-readable lines (`line(name, value, unit, extra)` and PASS/FAIL
 * verdicts) and are owned by the package; rather than change them, the
 * runner's `--json` flag hands the lines over verbatim and this parser turns
 * them into records. A line it cannot read is kept as text, so a format
 * change in the bench degrades the report (a measure shows as "not found")
 * instead of breaking the run.
 *
 * @module
 */

/**
 * @typedef {object} AioRecord
 * @property {string} section   the `## ...` heading the line is under
 * @property {string} sub       the `-- ...` placement label, or ''
 * @property {string} name
 * @property {number} value     the value, or the p50 of a "p50 / p99" pair
 * @property {number} [p99]
 * @property {string} unit
 * @property {string} extra
 */

/**
 * @typedef {object} AioVerdict
 * @property {string} section
 * @property {string} sub
 * @property {boolean} pass
 * @property {string} text
 */

const UNITS = ['M items/s', 'M/s', 'ms', 'µs', 'p50/p99', '% of a core'];
const LINE = new RegExp(`^(.*?\\S)\\s+(-?[\\d.]+(?: / -?[\\d.]+)?|NaN) (${UNITS.map((u) => u.replace(/[/.]/g, '\\$&')).join('|')})(?:\\s{2}(.*))?$`);

/**
 * @param {string[]} lines
 * @returns {{ records: AioRecord[], verdicts: AioVerdict[], other: string[] }}
 */
export function parseAioLines(lines) {
  /** @type {AioRecord[]} */
  const records = [];
  /** @type {AioVerdict[]} */
  const verdicts = [];
  /** @type {string[]} */
  const other = [];
  let section = '';
  let sub = '';
  for (const raw of lines) {
    const l = raw.trimEnd();
    if (l === '') continue;
    if (l.startsWith('## ')) {
      section = l.slice(3).trim();
      sub = '';
      continue;
    }
    if (l.startsWith('-- ')) {
      sub = l.slice(3).trim();
      continue;
    }
    const v = /^\s+(PASS|FAIL)\s+(.*)$/.exec(l);
    if (v) {
      verdicts.push({ section, sub, pass: v[1] === 'PASS', text: v[2] });
      continue;
    }
    const m = LINE.exec(l);
    if (m) {
      const [a, b] = m[2].split(' / ').map(Number);
      /** @type {AioRecord} */
      const rec = { section, sub, name: m[1].trim(), value: a, unit: m[3], extra: m[4]?.trim() ?? '' };
      if (b !== undefined) rec.p99 = b;
      records.push(rec);
      continue;
    }
    other.push(l);
  }
  return { records, verdicts, other };
}

/**
 * The first record whose name starts with `prefix` (and, if given, whose
 * placement label starts with `sub`).
 * @param {AioRecord[]} records
 * @param {string} prefix
 * @param {string} [sub]
 * @returns {AioRecord | undefined}
 */
export function findRecord(records, prefix, sub) {
  return records.find((r) => r.name.startsWith(prefix) && (sub === undefined || r.sub.startsWith(sub)));
}
