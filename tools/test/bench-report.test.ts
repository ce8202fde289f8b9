import { describe, expect, it } from 'vitest';
import { findRecord, parseAioLines } from '../bench/report/aio-lines.mjs';
import { knee } from '../bench/report/claims.mjs';
import { num, table } from '../bench/report/md.mjs';

describe('bench report helpers', () => {
  it('reads the lines the @loop/aio bench prints', () => {
    const { records, verdicts, other } = parseAioLines([
      '@loop/aio benchmarks, Node v20.20.2, 2026-11-22T18:06:44.833Z',
      '',
      '## bh-schedule (same thread)',
      `${'BH chain (schedule + poll(false) per run)'.padEnd(58)} ${'5.82'.padStart(12)} M/s`,
      '  PASS  chain ratio 7.7x (target >= 2x)',
      '## notify-cross-thread (round trips, µs)',
      '-- cross CPU',
      `${'remote BH -> driven context'.padEnd(58)} ${'35.04 / 2508.5'.padStart(12)} p50/p99  x0.62 of Atomics`,
      `${'1e5 AioContext timers: arm, delete half, fire (incl. 1 ms wait)'.padEnd(58)} ${'52.1'.padStart(12)} ms`,
    ]);
    expect(records).toHaveLength(3);
    expect(findRecord(records, 'BH chain')).toMatchObject({ section: 'bh-schedule (same thread)', value: 5.82, unit: 'M/s' });
    expect(findRecord(records, 'remote BH -> driven', 'cross')).toMatchObject({ value: 35.04, p99: 2508.5, unit: 'p50/p99', extra: 'x0.62 of Atomics' });
    expect(findRecord(records, '1e5 AioContext timers')?.value).toBe(52.1);
    expect(findRecord(records, 'remote BH -> driven', 'same')).toBeUndefined();
    expect(verdicts).toEqual([{ section: 'bh-schedule (same thread)', sub: '', pass: true, text: 'chain ratio 7.7x (target >= 2x)' }]);
    expect(other).toHaveLength(1);
  });

  it('finds the knee where throughput reaches 90 % of its gain', () => {
    expect(knee([0, 1024, 4096, 8192], [100, 150, 195, 200]).at).toBe(4096);
    expect(knee([0, 1024, 4096], [100, 104, 102]).at).toBeUndefined();
  });

  it('formats numbers to three significant digits and escapes table cells', () => {
    expect(num(1234.5)).toBe('1,235');
    expect(num(0.012345)).toBe('0.0123');
    expect(num(Number.NaN)).toBe('n/a');
    expect(table(['a', 'b'], [['x|y', 1]])).toBe('| a | b |\n| --- | --- |\n| x\\|y | 1 |');
  });
});
