// @ts-check
/**
 * The headline figures, extracted once from the raw step results so that
 * the targets table, the "earlier notes" comparison and the sections all
 * quote the same number for the same thing. A figure is undefined when its
 * step failed, did not run (quick mode) or no longer prints that line.
 *
 * @module
 */
import { median } from '../stats.mjs';
import { findRecord, parseAioLines } from './aio-lines.mjs';

/**
 * @typedef {import('./index.mjs').Results} Results
 * @typedef {{ p50: number, p99: number, runs: number[], runsP99: number[] }} Pair
 */

/**
 * @param {Results} results
 * @param {string} id
 * @returns {any}
 */
export function stepResult(results, id) {
  const s = results.steps.find((x) => x.id === id);
  return s && s.ok ? s.result : undefined;
}

/** @param {number[]} vs */
const med = (vs) => (vs.length ? median(vs) : undefined);

/**
 * Cross-thread rows of the aio bench, median over every run that printed them.
 * @param {import('./aio-lines.mjs').AioRecord[][]} runs
 * @param {string} name @param {string} sub
 * @returns {Pair | undefined}
 */
function crossPair(runs, name, sub) {
  const recs = runs.map((r) => findRecord(r, name, sub)).filter((r) => r !== undefined);
  if (recs.length === 0) return undefined;
  const p50s = recs.map((r) => r.value);
  const p99s = recs.map((r) => r.p99 ?? NaN);
  return { p50: median(p50s), p99: median(p99s), runs: p50s, runsP99: p99s };
}

/**
 * The median over runs of a per-run ratio a / b: each run compares two
 * mechanisms measured side by side in the same process, which is the
 * comparison the targets ask for (machine drift between runs cancels out).
 * @param {import('./aio-lines.mjs').AioRecord[][]} runs
 * @param {string} a @param {string} b @param {string} sub
 * @returns {{ median: number, runs: number[] } | undefined}
 */
function crossRatio(runs, a, b, sub) {
  const rs = runs
    .map((r) => [findRecord(r, a, sub), findRecord(r, b, sub)])
    .filter(([x, y]) => x !== undefined && y !== undefined && y.value > 0)
    .map(([x, y]) => /** @type {number} */ (x?.value) / /** @type {number} */ (y?.value));
  return rs.length ? { median: median(rs), runs: rs } : undefined;
}

// The polling rows of notify-cross-thread (requests a few µs apart, a driven
// worker with poll-max-ns 0 and 32768); matched by prefix, the gap may change.
const PACED_OFF = 'poll-max-ns 0, driven worker, requests';
const PACED_ON = 'poll-max-ns 32768, driven worker, requests';

/** @param {Results} results */
export function aioFigures(results) {
  const main = stepResult(results, 'suite-aio');
  const recs = main ? parseAioLines(main.lines).records : [];
  /** @param {string} prefix */
  const v = (prefix) => findRecord(recs, prefix)?.value;
  const crossRuns = ['suite-aio', 'suite-aio-cross-1', 'suite-aio-cross-2', 'suite-aio-cross-3']
    .map((id) => stepResult(results, id))
    .filter((r) => r !== undefined)
    .map((r) => parseAioLines(r.lines).records)
    .filter((rs) => rs.some((r) => r.unit === 'p50/p99'));
  /** @param {string} sub */
  const placement = (sub) => ({
    atomics: crossPair(crossRuns, 'Atomics.wait/notify', sub),
    port: crossPair(crossRuns, 'MessagePort', sub),
    driven: crossPair(crossRuns, 'remote BH -> driven context', sub),
    pollLoop: crossPair(crossRuns, 'remote BH -> poll(true) loop', sub),
    pacedOff: crossPair(crossRuns, PACED_OFF, sub),
    polling: crossPair(crossRuns, PACED_ON, sub),
    spin: crossPair(crossRuns, 'shared-memory spin', sub),
    drivenVsAtomics: crossRatio(crossRuns, 'remote BH -> driven context', 'Atomics.wait/notify', sub),
    drivenVsPort: crossRatio(crossRuns, 'remote BH -> driven context', 'MessagePort', sub),
    pollingVsSpin: crossRatio(crossRuns, PACED_ON, 'shared-memory spin', sub),
    drivenVsPolling: crossRatio(crossRuns, 'remote BH -> driven context', PACED_ON, sub),
    pacedOffVsPolling: crossRatio(crossRuns, PACED_OFF, PACED_ON, sub),
  });
  return {
    ran: main !== undefined,
    crossRunCount: crossRuns.length,
    bhChain: v('BH chain'),
    immChain: v('setImmediate chain'),
    bhBulk: v('BH bulk'),
    immBulk: v('setImmediate bulk'),
    timersMs: v('1e5 AioContext timers'),
    setTimeoutMs: v('1e5 setTimeout'),
    timerLateUs: v('200 µs AioContext timer'),
    timerSpinLateUs: v('same, setTimerParams'),
    timerSleepLateUs: v('same, spinNs 0'),
    timerAutoExtra: findRecord(recs, '200 µs AioContext timer')?.extra ?? '',
    setTimeoutLateUs: v('setTimeout(fn, 1)'),
    ringMps: v('SPSC ring'),
    portMps: v('one postMessage per item'),
    idlePct: v('idle attached context'),
    cross: placement('cross'),
    same: placement('same'),
  };
}

/**
 * The thread-pool suite: per scenario and library, every run's record.
 * @param {Results} results
 */
export function poolFigures(results) {
  const r = stepResult(results, 'suite-thread-pool');
  /** @type {Record<string, Record<string, any[]>>} */
  const sc = r?.scenarios ?? {};
  /** @param {string} s @param {string} lib @param {string} key */
  const runs = (s, lib, key) => (sc[s]?.[lib] ?? []).map((x) => x[key]).filter((x) => typeof x === 'number');
  /** @param {string} s @param {string} lib @param {string} key */
  const m = (s, lib, key) => med(runs(s, lib, key));
  return {
    ran: r !== undefined,
    reps: r?.reps,
    scenarios: sc,
    runs,
    latency: { loop: m('latency', 'loop', 'p50Us'), loopPoll: m('latency', 'loop-poll', 'p50Us'), piscina: m('latency', 'piscina', 'p50Us'), tinypool: m('latency', 'tinypool', 'p50Us') },
    tput: { loop: m('tput', 'loop', 'tasksPerSec'), piscina: m('tput', 'piscina', 'tasksPerSec'), tinypool: m('tput', 'tinypool', 'tasksPerSec') },
    cpu: { loop: m('cpu', 'loop', 'wallMs'), piscina: m('cpu', 'piscina', 'wallMs'), tinypool: m('cpu', 'tinypool', 'wallMs'), floor: m('cpu', 'floor', 'wallMs'), ideal: m('cpu', 'loop', 'idealMs') ?? 500 },
    rss: { loop: m('rss', 'loop', 'rssPerWorkerMiB'), piscina: m('rss', 'piscina', 'rssPerWorkerMiB'), tinypool: m('rss', 'tinypool', 'rssPerWorkerMiB') },
    idle: { warmFirstUs: m('idle', 'loop', 'warmFirstUs'), steadyP50Us: m('idle', 'loop', 'steadyP50Us'), coldFirstUs: m('idle', 'loop', 'coldFirstUs') },
  };
}

/**
 * Claim 1: per configuration, the first task after each idle gap (median
 * over rounds), the rest of the burst, and the steady state.
 * @param {Results} results
 */
export function claim1Figures(results) {
  const r = stepResult(results, 'claim-thread-pool-min');
  if (!r) return undefined;
  /** @type {any[]} */
  const phases = r.phases;
  const configs = [...new Set(phases.map((p) => p.config))];
  const gaps = [...new Set(phases.flatMap((p) => p.samples.filter((/** @type {any} */ s) => s.gapMs > 0).map((/** @type {any} */ s) => s.gapMs)))].sort((a, b) => a - b);
  const rows = configs.flatMap((config) => {
    const ps = phases.filter((p) => p.config === config);
    const steady = median(ps.map((p) => p.steady.p50));
    return gaps.flatMap((gapMs) => {
      const firsts = ps.flatMap((p) => p.samples.filter((/** @type {any} */ s) => s.gapMs === gapMs && s.index === 0));
      const rest = ps.flatMap((p) => p.samples.filter((/** @type {any} */ s) => s.gapMs === gapMs && s.index > 0)).map((/** @type {any} */ s) => s.latUs);
      if (firsts.length === 0) return [];
      const first = median(firsts.map((/** @type {any} */ s) => s.latUs));
      return [{ config, gapMs, first, firsts: firsts.map((/** @type {any} */ s) => s.latUs), spawned: firsts.filter((/** @type {any} */ s) => s.spawned).length, of: firsts.length, rest: rest.length ? median(rest) : NaN, steady, threads: median(firsts.map((/** @type {any} */ s) => s.threads)) }];
    });
  });
  return { raw: r, configs, gaps, rows };
}
