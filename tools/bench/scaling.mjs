// @ts-check
/**
 * How the cost per item grows with the amount of work, for the four
 * structures whose growth an event loop's users feel:
 *
 * - timers (1e3 to 1e6 armed on one context, distinct deadlines in random
 *   order): arm cost and fire cost per timer. A binary heap should show
 *   O(log n) per item; a sorted list would show O(n).
 * - fd handlers (1 to 1000 eventfds registered, 1 % of them ready per
 *   iteration, at least one): cost of one `poll(false)` iteration, per ready
 *   handler, and of an iteration with nothing ready. With epoll an idle
 *   handler costs nothing per iteration (O(1) in n); a ppoll/select loop
 *   would be O(n).
 * - bottom halves per iteration (1 to 1e5 scheduled, then one poll): cost
 *   per BH, schedule plus dispatch.
 * - pool queue depth (1 to 16384 no-op tasks submitted at once on 2
 *   threads), @loop/thread-pool and piscina side by side: cost per task.
 *
 * Each size is measured `reps` times and the median kept; sizes run from
 * small to large (a large size first would leave a grown heap behind for the
 * small ones). Deadlines come from a fixed pseudo-random sequence, so every
 * run arms the same heap.
 *
 * @module
 */
import { AioContext, ClockType, EventNotifier, Scale, clockGetNs } from '@loop/aio';
import { defineTask, getThreadPool } from '@loop/thread-pool';
import { Piscina } from 'piscina';
import { runChild } from './child.mjs';
import { waitQuiet } from './quiet.mjs';
import { median } from './stats.mjs';

const TASKS = new URL('./tasks.mjs', import.meta.url);

/**
 * Deterministic pseudo-random offsets (xorshift32): the same heap shape in
 * every run, without Math.random's per-process seed.
 * @param {number} n
 */
function offsets(n) {
  const out = new Float64Array(n);
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % 1_000_000_000;
  }
  return out;
}

/**
 * Arm and fire `n` timers; ns per timer for each phase. Deadlines lie in
 * the past (spread over one second), so the fire phase measures the heap and
 * the callbacks, not waiting for time to pass.
 * @param {number} n
 */
function timers(n) {
  const ctx = new AioContext({ name: 'bench-timers' });
  let fired = 0;
  const cb = () => void fired++;
  const list = new Array(n);
  for (let i = 0; i < n; i++) list[i] = ctx.timerNew(ClockType.REALTIME, Scale.NS, cb);
  const off = offsets(n);
  const base = clockGetNs(ClockType.REALTIME) - 2e9;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) list[i].modNs(base + off[i]);
  const t1 = performance.now();
  while (fired < n) ctx.poll(false);
  const t2 = performance.now();
  ctx.destroy();
  return { armNs: ((t1 - t0) * 1e6) / n, fireNs: ((t2 - t1) * 1e6) / n };
}

/**
 * `n` eventfd handlers, 1 % ready per iteration.
 * @param {number} n @param {number} iters
 */
function fdHandlers(n, iters) {
  const ctx = new AioContext({ name: 'bench-fds' });
  let hits = 0;
  const ns = Array.from({ length: n }, () => new EventNotifier());
  for (const e of ns) ctx.setEventNotifier(e, { read: (x) => void (x.testAndClear(), hits++) });
  const k = Math.max(1, Math.round(n / 100));
  const busy = new Float64Array(iters);
  const idle = new Float64Array(iters);
  let next = 0;
  for (let it = -100; it < iters; it++) {
    for (let j = 0; j < k; j++) ns[next++ % n].set();
    const before = hits;
    const t0 = performance.now();
    while (hits - before < k) ctx.poll(false);
    const t1 = performance.now();
    ctx.poll(false);
    const t2 = performance.now();
    if (it >= 0) {
      busy[it] = (t1 - t0) * 1e6;
      idle[it] = (t2 - t1) * 1e6;
    }
  }
  for (const e of ns) {
    ctx.setEventNotifier(e, null);
    e.close();
  }
  ctx.destroy();
  const iterNs = median(busy);
  return { active: k, iterNs, perActiveNs: iterNs / k, idleIterNs: median(idle) };
}

/**
 * `k` BHs scheduled, then one poll(false) dispatches them all.
 * @param {number} k @param {number} total  BH runs to time
 */
function bhs(k, total) {
  const ctx = new AioContext({ name: 'bench-bhs' });
  let ran = 0;
  const cb = () => void ran++;
  const list = Array.from({ length: k }, () => ctx.bhNew(cb));
  const rounds = Math.max(3, Math.ceil(total / k));
  for (const b of list) b.schedule();
  ctx.poll(false);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < k; i++) list[i].schedule();
    ctx.poll(false);
  }
  const dt = performance.now() - t0;
  if (ran !== (rounds + 1) * k) throw new Error(`BHs: ${ran} runs, expected ${(rounds + 1) * k}`);
  ctx.destroy();
  return { perBhNs: (dt * 1e6) / (rounds * k) };
}

runChild(async ({ quick, quietMaxMs }) => {
  const reps = quick ? 1 : 3;
  /** @type {Record<string, number>} */
  const bg = {};

  bg.timers = waitQuiet({ maxMs: quietMaxMs });
  const timerSizes = quick ? [1e3, 1e4, 1e5] : [1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6];
  timers(1e4); // warm-up: JIT the heap code before the first timed size
  const timerRows = timerSizes.map((n) => {
    const rs = Array.from({ length: reps }, () => timers(n));
    return { n, armNs: median(rs.map((r) => r.armNs)), fireNs: median(rs.map((r) => r.fireNs)) };
  });

  bg.fds = waitQuiet({ maxMs: quietMaxMs });
  const fdSizes = [1, 10, 30, 100, 300, 1000];
  const fdRows = fdSizes.map((n) => {
    const rs = Array.from({ length: reps }, () => fdHandlers(n, quick ? 300 : 2000));
    return { n, active: rs[0].active, iterNs: median(rs.map((r) => r.iterNs)), perActiveNs: median(rs.map((r) => r.perActiveNs)), idleIterNs: median(rs.map((r) => r.idleIterNs)) };
  });

  bg.bhs = waitQuiet({ maxMs: quietMaxMs });
  const bhSizes = quick ? [1, 10, 100, 1e3, 1e4] : [1, 10, 100, 1e3, 1e4, 1e5];
  bhs(1000, 1e5);
  const bhRows = bhSizes.map((k) => {
    const rs = Array.from({ length: reps }, () => bhs(k, quick ? 5e4 : 3e5));
    return { n: k, perBhNs: median(rs.map((r) => r.perBhNs)) };
  });

  // Pool queue depth: both pools alive, alternating at each depth.
  const ctx = new AioContext({ name: 'bench-depth' });
  ctx.attach();
  ctx.setThreadPoolParams({ min: 2, max: 2 });
  const loop = getThreadPool(ctx);
  const noop = defineTask(TASKS, 'noop');
  const pisc = new Piscina({ filename: TASKS.href, minThreads: 2, maxThreads: 2, idleTimeout: 60_000 });
  /** @type {Record<string, (d: number) => Promise<number>>} */
  const pools = {
    '@loop/thread-pool': async (d) => {
      const t0 = performance.now();
      const ps = new Array(d);
      for (let i = 0; i < d; i++) ps[i] = loop.submit(noop);
      await Promise.all(ps);
      return ((performance.now() - t0) * 1e6) / d;
    },
    piscina: async (d) => {
      const t0 = performance.now();
      const ps = new Array(d);
      for (let i = 0; i < d; i++) ps[i] = pisc.run(undefined, { name: 'noop' });
      await Promise.all(ps);
      return ((performance.now() - t0) * 1e6) / d;
    },
  };
  for (const run of Object.values(pools)) await run(2000);
  bg.depth = waitQuiet({ maxMs: quietMaxMs });
  const depths = quick ? [1, 4, 16, 64, 256, 1024] : [1, 4, 16, 64, 256, 1024, 4096, 16384];
  const taskBudget = quick ? 3000 : 20_000;
  /** @type {{ n: number, perTaskNs: Record<string, number> }[]} */
  const depthRows = [];
  for (const d of depths) {
    const times = Math.max(3, Math.ceil(taskBudget / d));
    /** @type {Record<string, number[]>} */
    const per = {};
    for (let i = 0; i < times; i++) for (const [name, run] of Object.entries(pools)) (per[name] ??= []).push(await run(d));
    depthRows.push({ n: d, perTaskNs: Object.fromEntries(Object.entries(per).map(([k, v]) => [k, median(v)])) });
  }
  await loop.close();
  await pisc.destroy();
  ctx.destroy();

  return { reps, timers: timerRows, fds: fdRows, bhs: bhRows, depth: depthRows, bgCores: bg };
});
