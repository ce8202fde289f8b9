// Timers and clocks (reference-semantics.md section 4). VIRTUAL-clock tests
// drive time by code; the few REALTIME waits are a few milliseconds at most.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type AioContext, ClockType, MAX_NS, Scale, clockGetNs, timeoutNsToMs, virtualClock } from '../src/index.js';
import { newContext } from './support/context.js';

describe('clocks', () => {
  it('REALTIME is monotonic and counts from process start; HOST is wall time', () => {
    const a = clockGetNs(ClockType.REALTIME);
    const b = clockGetNs(ClockType.REALTIME);
    expect(b).toBeGreaterThanOrEqual(a);
    expect(a).toBeLessThan(process.uptime() * 1e9 + 1e9);
    expect(Math.abs(clockGetNs(ClockType.HOST) / 1e6 - Date.now())).toBeLessThan(1000);
  });

  it('virtualClock: set, advance, pause, resume', () => {
    virtualClock.pause();
    virtualClock.set(5_000);
    expect(virtualClock.ns).toBe(5_000);
    expect(virtualClock.advance(1_000)).toBe(6_000);
    expect(clockGetNs(ClockType.VIRTUAL)).toBe(6_000);
    expect(virtualClock.running).toBe(false);
    virtualClock.resume();
    expect(virtualClock.running).toBe(true);
    expect(virtualClock.ns).toBeGreaterThanOrEqual(6_000);
    virtualClock.pause();
    const v = virtualClock.ns;
    expect(virtualClock.ns).toBe(v);
    virtualClock.set(-5);
    expect(virtualClock.ns).toBe(0);
    virtualClock.set(2 ** 60);
    expect(virtualClock.ns).toBe(MAX_NS);
  });

  it('timeoutNsToMs rounds up', () => {
    expect(timeoutNsToMs(-1)).toBe(-1);
    expect(timeoutNsToMs(0)).toBe(0);
    expect(timeoutNsToMs(1)).toBe(1);
    expect(timeoutNsToMs(1_000_001)).toBe(2);
    expect(timeoutNsToMs(1e20)).toBe(2 ** 31 - 1);
  });
});

describe('timers', () => {
  it('fire in deadline order, ties in arming order', () => {
    virtualClock.pause();
    virtualClock.set(0);
    const ctx = newContext();
    const order: string[] = [];
    const mk = (name: string) => ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => order.push(name));
    const a = mk('a');
    const b = mk('b');
    const c = mk('c');
    const d = mk('d');
    c.modNs(300);
    a.modNs(200);
    b.modNs(200);
    d.modNs(100);
    virtualClock.advance(1000);
    expect(ctx.poll(false)).toBe(true);
    expect(order).toEqual(['d', 'a', 'b', 'c']);
  });

  it('a stopped VIRTUAL clock gives no deadline; a due timer gives 0', () => {
    virtualClock.pause();
    virtualClock.set(0);
    const ctx = newContext();
    const t = ctx.timerNew(ClockType.VIRTUAL, Scale.US, () => {});
    expect(ctx.timersDeadlineNs()).toBe(-1);
    t.mod(5);
    expect(t.expireTime).toBe(5000);
    expect(t.pending).toBe(true);
    expect(ctx.timersDeadlineNs()).toBe(-1);
    virtualClock.advance(5000);
    expect(ctx.timersDeadlineNs()).toBe(0);
    t.del();
    expect(t.pending).toBe(false);
    expect(t.expireTime).toBe(-1);
    expect(ctx.timersDeadlineNs()).toBe(-1);
  });

  it('is disarmed inside its own callback; re-arming to the past fires again in the same pass', () => {
    virtualClock.pause();
    virtualClock.set(1000);
    const ctx = newContext();
    let n = 0;
    const seenPending: boolean[] = [];
    const t = ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => {
      seenPending.push(t.pending);
      if (++n < 3) t.modNs(500);
    });
    t.modNs(1000);
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(3);
    expect(seenPending).toEqual([false, false, false]);
  });

  it('re-arming to the future fires in a later pass', () => {
    virtualClock.pause();
    virtualClock.set(0);
    const ctx = newContext();
    let n = 0;
    const t = ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => {
      n++;
      t.modNs(virtualClock.ns + 10);
    });
    t.modNs(0);
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(1);
    expect(ctx.poll(false)).toBe(false);
    virtualClock.advance(10);
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(2);
    t.del();
  });

  it('a callback deleting another due timer stops it; arming one in the past makes it fire', () => {
    virtualClock.pause();
    virtualClock.set(100);
    const ctx = newContext();
    const order: string[] = [];
    const b = ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => order.push('b'));
    const c = ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => order.push('c'));
    const a = ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => {
      order.push('a');
      b.del();
      c.modNs(50);
    });
    a.modNs(10);
    b.modNs(20);
    ctx.poll(false);
    expect(order).toEqual(['a', 'c']);
  });

  it('modAnticipate only moves a timer earlier', () => {
    virtualClock.pause();
    virtualClock.set(0);
    const ctx = newContext();
    const t = ctx.timerNew(ClockType.VIRTUAL, Scale.MS, () => {});
    t.modAnticipate(10);
    expect(t.expireTime).toBe(10e6);
    t.modAnticipate(20);
    expect(t.expireTime).toBe(10e6);
    t.modAnticipate(5);
    expect(t.expireTime).toBe(5e6);
    t.mod(-3);
    expect(t.expireTime).toBe(0);
    expect(t.expired(0)).toBe(true);
    t.del();
    expect(t.expired(0)).toBe(true); // QEMU's quirk: a disarmed timer reports expired
  });

  it('advancing the VIRTUAL clock makes the timers due in every context', () => {
    virtualClock.pause();
    virtualClock.set(0);
    const a = newContext();
    const b = newContext();
    let fired = 0;
    a.timerNew(ClockType.VIRTUAL, Scale.NS, () => fired++).modNs(100);
    b.timerNew(ClockType.VIRTUAL, Scale.NS, () => fired++).modNs(50);
    virtualClock.advance(100);
    expect(a.poll(true)).toBe(true);
    expect(b.poll(true)).toBe(true);
    expect(fired).toBe(2);
  });

  it('a REALTIME timer with a sub-millisecond deadline wakes a blocking poll', () => {
    const ctx = newContext();
    let fired = 0;
    const t = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => fired++);
    const start = clockGetNs(ClockType.REALTIME);
    t.modNs(start + 200_000);
    while (fired === 0) ctx.poll(true);
    expect(clockGetNs(ClockType.REALTIME)).toBeGreaterThanOrEqual(start + 200_000);
    expect(ctx.stats.timersDispatched).toBe(1);
  });

  it('each clock runs its own timers (REALTIME, VIRTUAL, HOST order within a pass)', () => {
    virtualClock.pause();
    virtualClock.set(0);
    const ctx = newContext();
    const order: string[] = [];
    ctx.timerNew(ClockType.HOST, Scale.NS, () => order.push('host')).modNs(clockGetNs(ClockType.HOST) - 1e6);
    ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => order.push('virtual')).modNs(0);
    ctx.timerNew(ClockType.REALTIME, Scale.NS, () => order.push('realtime')).modNs(0);
    expect(ctx.poll(false)).toBe(true);
    expect(order).toEqual(['realtime', 'virtual', 'host']);
  });

  it('property: armed timers fire in (expiry, arming) order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 60 }), (spec) => {
        virtualClock.pause();
        virtualClock.set(0);
        const ctx = newContext();
        const fired: number[] = [];
        const expected: Array<[number, number]> = [];
        spec.forEach(([exp, keep], i) => {
          const t = ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => fired.push(i));
          t.modNs(exp);
          if (keep) expected.push([exp, i]);
          else t.del();
        });
        virtualClock.advance(100);
        ctx.poll(false);
        expected.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect(fired).toEqual(expected.map((e) => e[1]));
        ctx.destroy();
      }),
      { numRuns: 100 },
    );
  });
});

/** Arms a REALTIME timer 300 µs ahead on an attached context; resolves with how late it fired (ns). */
function lateness300us(ctx: AioContext): Promise<number> {
  return new Promise((resolve) => {
    const deadline = clockGetNs(ClockType.REALTIME) + 300_000;
    const t = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => resolve(clockGetNs(ClockType.REALTIME) - deadline));
    t.modNs(deadline);
  });
}

const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('timer spin (setTimerParams)', () => {
  it("defaults to 'auto'; validates spinNs with a range message and keeps the old value", () => {
    const ctx = newContext();
    expect(ctx.timerParams).toEqual({ spinNs: 'auto' });
    expect(ctx.stats.timerWakeAheadNs).toBe(0); // nothing learnt yet
    for (const bad of [-1, 1.5, 1_000_001, Number.NaN, '5' as unknown as number, 'AUTO' as 'auto']) {
      expect(() => ctx.setTimerParams({ spinNs: bad })).toThrow("timer-spin-ns value must be 'auto' or in range [0, 1000000]");
    }
    expect(ctx.timerParams).toEqual({ spinNs: 'auto' });
    ctx.setTimerParams({ spinNs: 50_000 });
    expect(() => ctx.setTimerParams({ spinNs: -5 })).toThrow();
    expect(ctx.timerParams).toEqual({ spinNs: 50_000 });
    const seen: string[] = [];
    const off = ctx.addParamsListener((kind) => seen.push(kind));
    ctx.setTimerParams({ spinNs: 0 });
    ctx.setTimerParams({ spinNs: 'auto' });
    off();
    expect(seen).toEqual(['timer', 'timer']);
    expect(ctx.timerParams).toEqual({ spinNs: 'auto' });
  });

  it('arming a timer inside the spin window does not busy-wait in mod(); the spin happens in the dispatch', async () => {
    const ctx = newContext();
    ctx.attach();
    ctx.setTimerParams({ spinNs: 1_000_000 });
    let firedLate = -1;
    const deadline = clockGetNs(ClockType.REALTIME) + 900_000;
    const t = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => (firedLate = clockGetNs(ClockType.REALTIME) - deadline));
    const t0 = clockGetNs(ClockType.REALTIME);
    t.modNs(deadline);
    const modNs = clockGetNs(ClockType.REALTIME) - t0;
    expect(modNs).toBeLessThan(500_000); // it used to spin here until the deadline
    while (firedLate < 0) await new Promise((r) => setImmediate(r));
    expect(firedLate).toBeGreaterThanOrEqual(0);
    ctx.detach();
  });

  it('an attached context with timer spin fires 300 µs timers never early and later by less than without it', async () => {
    // Median lateness of 25 shots each way, alternating; the spin side wakes
    // 200 µs early and busy-waits, so only a preemption makes it late.
    const ctx = newContext();
    ctx.attach();
    const shot = (): Promise<number> => lateness300us(ctx);
    const plain: number[] = [];
    const spun: number[] = [];
    for (let i = 0; i < 25; i++) {
      ctx.setTimerParams({ spinNs: 0 });
      plain.push(await shot());
      ctx.setTimerParams({ spinNs: 200_000 });
      spun.push(await shot());
    }
    ctx.detach();
    expect(Math.min(...plain, ...spun)).toBeGreaterThanOrEqual(0);
    expect(med(spun)).toBeLessThan(med(plain));
  });

  it("'auto' learns this thread's wake-up lateness: timers fire never early, later by less than with spinNs 0, for little spin", async () => {
    // Alternating shots of a 300 µs timer with 'auto' and with 0 (QEMU's
    // sleep). The learnt value survives the switches (it describes the
    // thread, not the parameters). Under 'auto' the thread wakes that much
    // early and spins only what is left of it.
    const ctx = newContext();
    ctx.attach();
    const shot = (): Promise<number> => lateness300us(ctx);
    const plain: number[] = [];
    const auto: number[] = [];
    for (let i = 0; i < 20; i++) auto.push(await shot()); // learn
    const spin0 = ctx.stats.timerSpinNs;
    auto.length = 0;
    for (let i = 0; i < 40; i++) {
      ctx.setTimerParams({ spinNs: 0 });
      expect(ctx.stats.timerWakeAheadNs).toBe(0);
      plain.push(await shot());
      ctx.setTimerParams({ spinNs: 'auto' });
      auto.push(await shot());
    }
    const learnt = ctx.stats.timerWakeAheadNs;
    const spun = ctx.stats.timerSpinNs - spin0;
    ctx.detach();
    expect(Math.min(...plain, ...auto)).toBeGreaterThanOrEqual(0);
    expect(learnt).toBeGreaterThan(0);
    expect(learnt).toBeLessThanOrEqual(200_000);
    // Each auto shot spins at most the learnt window; on average far less.
    expect(spun / auto.length).toBeLessThan(learnt);
    // Later by less, where wake-ups are slow enough to learn from (a loaded
    // machine whose vCPUs never halt wakes in a few µs either way).
    if (learnt > 20_000) expect(med(auto)).toBeLessThan(med(plain));
  });

  it('a blocking poll() on an attached context is not cut short by the timerfd armed ahead of the deadline', () => {
    const ctx = newContext();
    ctx.setTimerParams({ spinNs: 500_000 }); // arms the timerfd 0.5 ms early
    ctx.poll(false); // takes the notification setTimerParams sent (before attach: no eventfd write)
    ctx.attach();
    let late = -1;
    const deadline = clockGetNs(ClockType.REALTIME) + 2_000_000;
    const t = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => (late = clockGetNs(ClockType.REALTIME) - deadline));
    t.modNs(deadline);
    expect(ctx.poll(true)).toBe(true);
    expect(late).toBeGreaterThanOrEqual(0);
    ctx.detach();
  });

  it('after a blocking poll() called from JavaScript on an attached context, later timers still fire from the loop', async () => {
    const ctx = newContext();
    ctx.setTimerParams({ spinNs: 500_000 }); // the timerfd is armed early, so poll() drains it
    ctx.poll(false);
    ctx.attach();
    let t1 = 0;
    let t2 = 0;
    const a = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => t1++);
    const b = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => t2++);
    const now = clockGetNs(ClockType.REALTIME);
    a.modNs(now + 2_000_000);
    b.modNs(now + 8_000_000);
    while (t1 === 0) ctx.poll(true);
    expect(t2).toBe(0);
    await new Promise((r) => setTimeout(r, 50)); // b fires from libuv's loop, not from a poll() here
    expect(t2).toBe(1);
    ctx.detach();
  });
});
