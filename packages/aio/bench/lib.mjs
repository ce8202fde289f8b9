// Small helpers shared by the benchmarks: timing, percentiles, reporting.
export const now = () => process.hrtime.bigint();
export const ns = (a, b) => Number(b - a);

export function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summary(samples) {
  const s = Float64Array.from(samples).sort();
  return { p50: pct(s, 50), p99: pct(s, 99), n: s.length };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function line(name, value, unit, extra = '') {
  console.log(`${name.padEnd(58)} ${String(value).padStart(12)} ${unit}${extra ? '  ' + extra : ''}`);
}

export function verdict(ok, text) {
  console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${text}`);
  return ok;
}
