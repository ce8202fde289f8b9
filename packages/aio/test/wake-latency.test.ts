// The wake-up lateness tracker behind TimerParams.spinNs = 'auto'.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WAKE_AHEAD_MAX_NS, WakeLatency } from '../src/internal/wake-latency.js';

/** A small seeded PRNG, so a failure replays. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('WakeLatency', () => {
  it('starts at 0 and takes half of the first sample', () => {
    const w = new WakeLatency();
    expect(w.ns).toBe(0);
    w.sample(80_000);
    expect(w.ns).toBe(40_000);
    expect(w.samples).toBe(1);
  });

  it('settles near the 25th percentile of the wake-ups it sees', () => {
    // Uniform 40-110 µs (p25 = 57.5 µs), the reference VM's spread.
    const rnd = lcg(7);
    const w = new WakeLatency();
    for (let i = 0; i < 3000; i++) w.sample(40_000 + rnd() * 70_000);
    expect(w.ns).toBeGreaterThan(50_000);
    expect(w.ns).toBeLessThan(65_000);
    // The fraction of further samples below the estimate is about 1/4.
    let below = 0;
    for (let i = 0; i < 4000; i++) {
      const s = 40_000 + rnd() * 70_000;
      if (s < w.ns) below++;
      w.sample(s);
    }
    expect(below / 4000).toBeGreaterThan(0.15);
    expect(below / 4000).toBeLessThan(0.35);
  });

  it('follows a faster machine down within tens of samples', () => {
    const w = new WakeLatency();
    for (let i = 0; i < 200; i++) w.sample(90_000);
    expect(w.ns).toBeGreaterThan(80_000);
    let n = 0;
    while (w.ns > 8_000 && n < 100) {
      w.sample(5_000);
      n++;
    }
    expect(n).toBeLessThan(60);
  });

  it('ignores stalls over 1 ms and negative samples; never exceeds its cap', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 5e6, noNaN: true }), { maxLength: 300 }), (xs) => {
        const w = new WakeLatency();
        for (const x of xs) w.sample(x);
        expect(w.ns).toBeGreaterThanOrEqual(0);
        expect(w.ns).toBeLessThanOrEqual(WAKE_AHEAD_MAX_NS);
        expect(w.samples).toBe(xs.filter((x) => x >= 0 && x <= 1e6).length);
      }),
    );
    const w = new WakeLatency();
    w.sample(60_000);
    const before = w.ns;
    for (let i = 0; i < 50; i++) w.sample(10_000_000); // a busy thread, not a wake-up
    expect(w.ns).toBe(before);
  });
});
