// @ts-check
/**
 * The figures the earlier, hand-written notes reported (docs/benchmarks.md
 * and packages/*\/bench/README.md as of 2026-11-22, before this harness),
 * next to this run's figure for the same measure. The earlier values are
 * typed in here once, with their source, because those notes are replaced
 * by the generated report; why a figure moved is explained by hand in
 * tools/bench/notes.md, which the report includes below this table.
 *
 * @module
 */
import { median, ratio } from '../stats.mjs';
import { num, rate, table, times, us } from './md.mjs';

/**
 * @typedef {object} Figs
 * @property {ReturnType<typeof import('./figures.mjs').aioFigures>} aio
 * @property {ReturnType<typeof import('./figures.mjs').poolFigures>} pool
 * @property {any} iothread  the iothread suite's result, or undefined
 */

/** @param {number | undefined} a @param {number | undefined} b */
const vs = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${num(a)} vs ${num(b)} (${times(ratio(a, b))})`);

/**
 * @param {any} io @param {string} placement @param {number} poll @param {'call' | 'bh'} k
 */
function ioRow(io, placement, poll, k) {
  const r = io?.rows?.find((/** @type {any} */ x) => x.placement === placement && x.pollMaxNs === poll);
  return r ? `${us(r[k].p50 / 1000)} / ${us(r[k].p99 / 1000)}` : 'n/a';
}

/** @type {{ measure: string, earlier: string, source: string, now: (f: Figs) => string }[]} */
export const EARLIER = [
  { measure: 'aio: BH chain vs setImmediate chain', earlier: '9.8×, 3.4× (runs A, B); 6.9× (quiet run)', source: 'docs/benchmarks.md', now: (f) => times(ratio(f.aio.bhChain, f.aio.immChain)) },
  { measure: 'aio: BH bulk vs setImmediate bulk', earlier: '1.44×, 1.85×; 1.56× (quiet)', source: 'docs/benchmarks.md', now: (f) => times(ratio(f.aio.bhBulk, f.aio.immBulk)) },
  { measure: 'aio: 1e5 timers vs setTimeout (× faster)', earlier: '0.84×, 0.32×; after the performance pass 0.98×, 0.94× (1.10–1.52× quieter); 1.04× (quiet)', source: 'docs/benchmarks.md', now: (f) => `${times(ratio(f.aio.setTimeoutMs, f.aio.timersMs))} (${num(f.aio.timersMs)} vs ${num(f.aio.setTimeoutMs)} ms)` },
  { measure: 'aio: 200 µs timer lateness vs setTimeout(…, 1) (µs)', earlier: '60 vs 140, 92 vs 152; after the pass 80–86 vs 134–145; 100.5 vs 157.6 (quiet)', source: 'docs/benchmarks.md', now: (f) => `${num(f.aio.timerLateUs)} vs ${num(f.aio.setTimeoutLateUs)} (${times(ratio(f.aio.setTimeoutLateUs, f.aio.timerLateUs))} better; the default is spinNs 'auto' since session 3; sleeping as before (spinNs 0): ${num(f.aio.timerSleepLateUs)})` },
  { measure: 'aio: ring 1e6 items vs one postMessage per item (M items/s)', earlier: '8.4×, 9.9× pinned; after the pass 9.4×, 9.9×; 5.99 vs 0.69 = 8.7× (quiet)', source: 'docs/benchmarks.md', now: (f) => vs(f.aio.ringMps, f.aio.portMps) },
  { measure: 'aio: cross CPU, remote BH → driven vs Atomics floor, p50 (µs)', earlier: '48.6 vs 54.3 (0.89×), 108 vs 98 (1.11×)', source: 'docs/benchmarks.md', now: (f) => vs(f.aio.cross.driven?.p50, f.aio.cross.atomics?.p50) },
  { measure: 'aio: cross CPU, MessagePort ping-pong p50 (µs)', earlier: '66.3, 135', source: 'docs/benchmarks.md', now: (f) => us(f.aio.cross.port?.p50) },
  { measure: 'aio: cross CPU, polling on vs spin, p50 (µs)', earlier: 'both sides polling, back to back: 1.57 vs 0.20 (run A); fell back to blocking in B and in 7 of 10 later runs', source: 'docs/benchmarks.md', now: (f) => `driven worker, requests a few µs apart: ${vs(f.aio.cross.polling?.p50, f.aio.cross.spin?.p50)}; runs ${f.aio.cross.polling?.runs.map((x) => num(x)).join(' / ') ?? 'n/a'}` },
  { measure: 'aio: same CPU, driven vs Atomics floor, p50 (µs)', earlier: '11.6 vs 10.5, 17.0 vs 14.5', source: 'docs/benchmarks.md', now: (f) => vs(f.aio.same.driven?.p50, f.aio.same.atomics?.p50) },
  { measure: 'aio: same CPU, polling on, p50 (µs)', earlier: '24.4, 28.1', source: 'docs/benchmarks.md', now: (f) => us(f.aio.same.polling?.p50) },
  { measure: 'aio: idle context with polling on (% of a core)', earlier: '0.62 % (0.025 % in another run); 0.79 % (quiet)', source: 'docs/benchmarks.md', now: (f) => (f.aio.idlePct === undefined ? 'n/a' : `${num(f.aio.idlePct)} %`) },
  { measure: 'iothread: call round trip p50 / p99, cross CPU, poll 0', earlier: '215.5 / 4424 µs', source: 'docs/benchmarks.md', now: (f) => ioRow(f.iothread, 'cross', 0, 'call') },
  { measure: 'iothread: call round trip, cross CPU, poll 32768', earlier: '216.3 / 4221 µs', source: 'docs/benchmarks.md', now: (f) => ioRow(f.iothread, 'cross', 32768, 'call') },
  { measure: 'iothread: call round trip, one CPU, poll 0 / 32768', earlier: '60.9 / 894 µs; 76.5 / 1341 µs', source: 'docs/benchmarks.md', now: (f) => `${ioRow(f.iothread, 'same', 0, 'call')}; ${ioRow(f.iothread, 'same', 32768, 'call')}` },
  { measure: 'iothread: remote-BH wake, cross CPU, poll 0 / 32768', earlier: '91.5 / 1569 µs; 84.7 / 889 µs', source: 'docs/benchmarks.md', now: (f) => `${ioRow(f.iothread, 'cross', 0, 'bh')}; ${ioRow(f.iothread, 'cross', 32768, 'bh')}` },
  { measure: 'iothread: remote-BH wake, one CPU, poll 0 / 32768', earlier: '55.4 / 2592 µs; 34.1 / 2913 µs', source: 'docs/benchmarks.md', now: (f) => `${ioRow(f.iothread, 'same', 0, 'bh')}; ${ioRow(f.iothread, 'same', 32768, 'bh')}` },
  { measure: 'thread-pool: latency p50, @loop vs piscina (µs)', earlier: '20.7 vs 134.8 (0.154×); tinypool 177.1', source: 'packages/thread-pool/bench/README.md', now: (f) => `${vs(f.pool.latency.loop, f.pool.latency.piscina)}; tinypool ${num(f.pool.latency.tinypool)}` },
  { measure: 'thread-pool: latency p50 with main-thread polling (loop-poll)', earlier: '30.1 µs [61.3 / 6.3 / 30.1]', source: 'packages/thread-pool/bench/README.md', now: (f) => us(f.pool.latency.loopPoll) },
  { measure: 'thread-pool: 100k no-op tasks, 2 threads (tasks/s)', earlier: '302.8k vs 14.6k = 20.7×; tinypool 7.5k', source: 'packages/thread-pool/bench/README.md', now: (f) => {
      const cold = (/** @type {string} */ lib) => median(f.pool.runs('tput', lib, 'coldTasksPerSec'));
      const c = f.pool.runs('tput', 'loop', 'coldTasksPerSec').length ? `; first 100k round, cold heap (close to what the earlier bench timed) ${rate(cold('loop'))} vs ${rate(cold('piscina'))} = ${times(ratio(cold('loop'), cold('piscina')))}` : '';
      return `${rate(f.pool.tput.loop)} vs ${rate(f.pool.tput.piscina)} = ${times(ratio(f.pool.tput.loop, f.pool.tput.piscina))}; tinypool ${rate(f.pool.tput.tinypool)}${c}`;
    },
  },
  { measure: 'thread-pool: 1k × 1 ms on 2 threads (ms)', earlier: '578.9 vs piscina 683.8 (0.85×); floor 510; tinypool 640.7', source: 'packages/thread-pool/bench/README.md', now: (f) => `${vs(f.pool.cpu.loop, f.pool.cpu.piscina)}; floor ${num(f.pool.cpu.floor)}; tinypool ${num(f.pool.cpu.tinypool)}` },
  { measure: 'thread-pool: RSS per idle worker (MiB)', earlier: '8.9 vs 8.2 vs 8.2', source: 'packages/thread-pool/bench/README.md', now: (f) => `${num(f.pool.rss.loop)} vs ${num(f.pool.rss.piscina)} vs ${num(f.pool.rss.tinypool)}` },
  { measure: 'thread-pool: first task after 2 s idle, min = max = 4; min = 0', earlier: '772 µs (11× steady 70 µs); 71 ms', source: 'packages/thread-pool/bench/README.md', now: (f) => `${us(f.pool.idle.warmFirstUs)} (${times(ratio(f.pool.idle.warmFirstUs, f.pool.idle.steadyP50Us))} steady ${us(f.pool.idle.steadyP50Us)}); ${us(f.pool.idle.coldFirstUs)}` },
];

/** @param {Figs} f */
export function earlierTable(f) {
  return table(
    ['measure', 'earlier notes', 'this run', 'earlier source'],
    EARLIER.map((e) => {
      let now;
      try {
        now = e.now(f);
      } catch {
        now = 'n/a';
      }
      return [e.measure, e.earlier, now, e.source];
    }),
  );
}
