// @ts-check
/**
 * Claim 1 (QEMU's thread-pool-min seed): creating a thread on demand puts a
 * latency spike on the first request after an idle period; keeping `min`
 * threads alive removes it.
 *
 * One pool, one process, the two configurations alternating phase by phase
 * (so machine drift hits both alike): `min = 0` (QEMU's default behaviour:
 * workers above min exit after the idle timeout, the next task pays a
 * worker start) and `min = max` (workers never exit). Each phase first runs
 * back-to-back tasks (the steady state), then a fixed schedule of idle gaps,
 * each followed by a short burst of sequential tasks. The idle timeout is
 * the smallest the pool accepts (1 s) so that gaps of 1.5 s and more cross
 * it without making the run long; the full run adds one 15 s gap per
 * configuration, the idleness the package test uses.
 *
 * Placement is left to the scheduler here: the spike is a worker start
 * (tens of ms), three orders of magnitude above the placement effects
 * (~50 µs) the cross-thread comparisons pin for.
 *
 * @module
 */
import { AioContext } from '@loop/aio';
import { defineTask, getThreadPool } from '@loop/thread-pool';
import { runChild } from '../child.mjs';
import { waitQuiet } from '../quiet.mjs';
import { summarize } from '../stats.mjs';

const TASKS = new URL('../tasks.mjs', import.meta.url);
const MAX = 4;
const IDLE_TIMEOUT_MS = 1000;
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} Sample
 * @property {number} tS         seconds since the phase started
 * @property {number} gapMs      idle time before this burst (0 for steady tasks)
 * @property {number} index      position in its burst (0 = first after the gap)
 * @property {number} latUs      submit to result
 * @property {number} threads    pool threads alive at submit
 * @property {boolean} spawned   a worker was started while this task was in flight
 */

runChild(async ({ quick, quietMaxMs }) => {
  const gaps = quick ? [50, 400, 1500] : [50, 250, 500, 1500, 3000];
  const rounds = quick ? 1 : 2;
  const burst = 5;
  const steadyN = quick ? 100 : 300;
  const configs = [
    { name: 'min = 0', min: 0, max: MAX },
    { name: `min = max = ${MAX}`, min: MAX, max: MAX },
  ];
  const ctx = new AioContext({ name: 'bench-claim1' });
  ctx.attach();
  const pool = getThreadPool(ctx, { idleTimeoutMs: IDLE_TIMEOUT_MS });
  const noop = defineTask(TASKS, 'noop');

  /** Times one task and notes whether it had to start a worker. */
  async function timed() {
    const before = pool.stats;
    const t0 = performance.now();
    await pool.submit(noop);
    const latUs = (performance.now() - t0) * 1000;
    return { latUs, threads: before.threads, spawned: pool.stats.spawned > before.spawned };
  }

  /**
   * @param {{ name: string, min: number, max: number }} c
   * @param {number[]} schedule
   */
  async function phase(c, schedule) {
    pool.setParams({ min: c.min, max: c.max });
    // Let the new sizing take effect before timing: with min = max the
    // threads start now; with min = 0 surplus idle threads exit.
    const until = Date.now() + 5000;
    while (c.min > 0 && pool.stats.threads < c.min && Date.now() < until) await sleep(10);
    for (let i = 0; i < 20; i++) await pool.submit(noop);
    const bg = waitQuiet({ maxMs: quietMaxMs });
    /** @type {Sample[]} */
    const samples = [];
    const start = performance.now();
    for (let i = 0; i < steadyN; i++) {
      const tS = (performance.now() - start) / 1000;
      samples.push({ tS, gapMs: 0, index: i, ...(await timed()) });
    }
    for (const gapMs of schedule) {
      await sleep(gapMs);
      for (let i = 0; i < burst; i++) {
        const tS = (performance.now() - start) / 1000;
        samples.push({ tS, gapMs, index: i, ...(await timed()) });
      }
    }
    const steady = summarize(samples.filter((s) => s.gapMs === 0).map((s) => s.latUs));
    return { config: c.name, min: c.min, max: c.max, bgCores: bg, steady, samples, spawned: pool.stats.spawned, exited: pool.stats.exited };
  }

  const phases = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which configuration goes first, so neither always follows the other.
    const order = r % 2 === 0 ? configs : [...configs].reverse();
    for (const c of order) phases.push({ round: r, ...(await phase(c, gaps)) });
  }
  if (!quick) for (const c of configs) phases.push({ round: rounds, long: true, ...(await phase(c, [15_000])) });
  await pool.close();
  ctx.destroy();
  return { maxThreads: MAX, idleTimeoutMs: IDLE_TIMEOUT_MS, burst, gaps, phases };
});
