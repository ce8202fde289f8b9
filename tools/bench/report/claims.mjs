// @ts-check
/**
 * The two seed claims' sections: thread-pool-min's latency spike and
 * adaptive polling's effect on a request/response stream.
 *
 * @module
 */
import { linePlot } from '../svg.mjs';
import { median } from '../stats.mjs';
import { claim1Figures, stepResult } from './figures.mjs';
import { num, rate, table, times, us } from './md.mjs';

/**
 * @typedef {import('./index.mjs').Results} Results
 * @typedef {import('./index.mjs').PlotSink} PlotSink
 */

/**
 * @param {Results} results
 * @param {PlotSink} plot
 * @param {(id: string) => string} failed  the "step failed" note, or ''
 */
export function claim1Section(results, plot, failed) {
  const out = ['## Claim 1: thread-pool-min (a thread created on demand is a latency spike)', ''];
  const f = claim1Figures(results);
  if (!f) return [...out, failed('claim-thread-pool-min'), ''].join('\n');
  const r = f.raw;
  out.push(
    `One @loop/thread-pool pool (max ${r.maxThreads} threads, idle timeout ${r.idleTimeoutMs} ms, the smallest the pool accepts) on an attached main-thread context, in one process; the two configurations alternate phase by phase. Each phase sets \`ctx.setThreadPoolParams\`, runs back-to-back no-op tasks (the steady state), then waits through idle gaps of ${r.gaps.map((/** @type {number} */ g) => us(g * 1000)).join(', ')}, each followed by ${r.burst} sequential tasks. A gap longer than the idle timeout lets \`min = 0\` retire its workers, so the next task starts one.${f.raw.phases.some((/** @type {any} */ p) => p.long) ? ' The full run ends with one 15 s gap per configuration (the idleness of the package test).' : ''} Threads are not pinned: a worker start costs tens of milliseconds, far above the placement effects of about 50 µs. Source: \`tools/bench/claims/thread-pool-min.mjs\`.`,
    '',
  );
  // Every timed task of the regular phases, one series per configuration.
  const regular = r.phases.filter((/** @type {any} */ p) => !p.long);
  const series = f.configs.map((config) => ({
    name: config,
    noLine: true,
    points: regular
      .filter((/** @type {any} */ p) => p.config === config)
      .flatMap((/** @type {any} */ p) => p.samples.filter((/** @type {any} */ s, /** @type {number} */ i) => s.gapMs > 0 || i % 5 === 0).map((/** @type {any} */ s) => /** @type {[number, number]} */ ([s.tS, s.latUs]))),
  }));
  const ref = regular[0];
  const refs = ref.samples
    .filter((/** @type {any} */ s) => s.gapMs > 0 && s.index === 0)
    .map((/** @type {any} */ s) => ({ axis: /** @type {const} */ ('x'), value: s.tS, label: `${num(s.gapMs / 1000, 2)} s idle` }));
  out.push(
    plot('claim1-latency-over-time', 'Claim 1: latency of tasks over time, with idle gaps', linePlot({
      title: 'Task latency over time (idle gaps marked)',
      xLabel: 'seconds since the phase started (all rounds overlaid)',
      yLabel: 'submit → result (µs, log)',
      yLog: true,
      series,
      refs,
      width: 760,
    })),
    '',
  );
  out.push(
    table(
      ['configuration', 'idle before', 'first task (median)', 'each round', 'worker started', '÷ steady p50', 'rest of burst, p50', 'steady p50'],
      f.rows.map((x) => [x.config, us(x.gapMs * 1000), us(x.first), x.firsts.map((v) => us(v)).join(' / '), `${x.spawned} of ${x.of}`, times(x.first / x.steady), us(x.rest), us(x.steady)]),
    ),
    '',
  );
  // The spike: first task after a gap longer than the idle timeout, per configuration.
  const beyond = f.rows.filter((x) => x.gapMs > r.idleTimeoutMs);
  /** @param {string} prefix */
  const spike = (prefix) => {
    const rows = beyond.filter((x) => x.config.startsWith(prefix));
    return rows.length ? median(rows.flatMap((x) => x.firsts)) : NaN;
  };
  const cold = spike('min = 0');
  const warm = spike('min = max');
  const steady = median(f.rows.map((x) => x.steady));
  const holds = cold - warm > 5000 && cold > 2 * warm;
  out.push(
    `**Spike size.** After idle periods longer than the idle timeout, the first task took ${us(cold)} with \`min = 0\` (it starts a worker) and ${us(warm)} with \`min = max\`: the spike is ${us(cold - warm)}, ${times(cold / warm)} the warm first task and ${times(cold / steady)} the steady-state p50 (${us(steady)}). With \`min = max\` the first task after idleness still pays one blocking wake of a sleeping worker (its polling window is long over), which is why it sits above the steady state; it never pays a thread start. ${holds ? 'The claim holds on this machine.' : 'On this run the claim is **not** shown (the spike is under 5 ms or under 2× the warm first task).'}`,
    '',
  );
  return out.join('\n');
}

/**
 * @typedef {object} Claim2Cell
 * @property {string} placement @property {number} pollMaxNs @property {number} depth @property {boolean} mainPolls
 * @property {number} perSec @property {number} p50Us @property {number} p99Us
 * @property {number} cpuMainNsPerReq @property {number} cpuIoNsPerReq
 * @property {number} pollHits @property {number} pollMisses @property {number} ioSleeps
 */

/**
 * Medians over runs, per (placement, depth, mainPolls, pollMaxNs).
 * @param {Claim2Cell[]} cells
 */
function claim2Medians(cells) {
  /** @type {Map<string, Claim2Cell[]>} */
  const by = new Map();
  for (const c of cells) {
    const k = `${c.placement}|${c.depth}|${c.mainPolls}|${c.pollMaxNs}`;
    by.set(k, [...(by.get(k) ?? []), c]);
  }
  /** @param {string} placement @param {number} depth @param {boolean} mainPolls @param {number} poll */
  return (placement, depth, mainPolls, poll) => {
    // poll-max-ns 0 on both sides is the blocking cell, measured once.
    const cs = by.get(`${placement}|${depth}|${poll === 0 ? false : mainPolls}|${poll}`) ?? [];
    /** @param {(c: Claim2Cell) => number} f */
    const m = (f) => (cs.length ? median(cs.map(f)) : NaN);
    return {
      n: cs.length,
      perSec: m((c) => c.perSec),
      perSecRuns: cs.map((c) => c.perSec),
      p50: m((c) => c.p50Us),
      p99: m((c) => c.p99Us),
      cpuUs: m((c) => (c.cpuMainNsPerReq + c.cpuIoNsPerReq) / 1000),
      cpuIoUs: m((c) => c.cpuIoNsPerReq / 1000),
      pollHits: m((c) => c.pollHits),
      ioSleeps: m((c) => c.ioSleeps),
    };
  };
}

/**
 * Where throughput stops improving: the smallest poll-max-ns that reaches
 * 90 % of the total gain over poll-max-ns 0, if the gain is at least 10 %.
 * @param {number[]} polls @param {number[]} tput
 */
export function knee(polls, tput) {
  const base = tput[0];
  let best = 0;
  for (let i = 1; i < tput.length; i++) if (tput[i] > tput[best]) best = i;
  if (best === 0) {
    return { at: undefined, text: `no knee: no poll-max-ns above 0 does better than 0 (${rate(base, ' req/s')} at 0, down to ${rate(Math.min(...tput), ' req/s')}): polling only costs here` };
  }
  if (!(tput[best] >= base * 1.1)) {
    return { at: undefined, text: `no knee: no poll-max-ns raises throughput by 10 % over 0 (best ${rate(tput[best], ' req/s')} at ${polls[best]} ns vs ${rate(base, ' req/s')} at 0)` };
  }
  const goal = base + 0.9 * (tput[best] - base);
  const i = tput.findIndex((v) => v >= goal);
  return { at: polls[i], text: `knee at poll-max-ns ${polls[i]}: ${rate(base, ' req/s')} → ${rate(tput[i], ' req/s')} (${times(tput[i] / base)}); the best is ${rate(tput[best], ' req/s')} at ${polls[best]}` };
}

/**
 * @param {Results} results
 * @param {PlotSink} plot
 * @param {(id: string) => string} failed
 */
export function claim2Section(results, plot, failed) {
  const out = ['## Claim 2: adaptive polling (polling up to ~32 µs raises IOPS at depth 1 and 32)', ''];
  const r = stepResult(results, 'claim-adaptive-polling');
  if (!r) return [...out, failed('claim-adaptive-polling'), ''].join('\n');
  /** @type {number[]} */
  const polls = r.pollValues;
  /** @type {number[]} */
  const depths = r.depths;
  /** @type {Claim2Cell[]} */
  const cells = r.cells;
  const placements = [...new Set(cells.map((c) => c.placement))];
  const runs = Math.max(...cells.map((c) => /** @type {any} */ (c).run)) + 1;
  const get = claim2Medians(cells);
  out.push(
    'The path a device model uses: an IOThread created with `objectAdd({ qom-type: iothread, ... })` (what `-object iothread` does), its `poll-max-ns` changed with `qom-set` while it runs, and a request/completion stream over two shared-memory SPSC rings, the shape of a virtqueue with notification suppression: requests go main → iothread on a ring the iothread\'s context consumes (`setRingHandler`: a poll handler checks the ring without a system call, the doorbell eventfd is written only when the iothread may sleep), completions come back on a ring the main thread\'s attached context consumes. At depth 1 one request is in flight; at depth 32 every completion sends the next request. Latency is submit to completion seen by the main thread; CPU per request is the schedstat run time of the main thread plus the iothread over the measured window, divided by the requests. Two series per placement: only the iothread polls (QEMU\'s main loop does not poll by default), and both sides poll with the same poll-max-ns (in QEMU\'s measurement the submitter is a guest vCPU, which KVM halt polling keeps awake between requests).',
    '',
    `Cells alternate over poll-max-ns, depth and series inside each run (the order reversed every other run), ${r.measureMs} ms measured per cell after a warm-up; ${runs} run${runs > 1 ? 's' : ''} per placement, medians shown. Placements: \`cross\` = main thread and iothread pinned to different CPUs, \`same\` = both on one CPU. Source: \`tools/bench/claims/adaptive-polling.mjs\`.`,
    '',
  );
  const cats = polls.map((p) => (p === 0 ? '0' : p >= 1024 ? `${p / 1024}k` : String(p)));
  /** @param {number} depth @param {(m: ReturnType<typeof get>) => number} f */
  const seriesFor = (depth, f) =>
    placements.flatMap((pl) =>
      [false, true].map((mp) => ({ name: `${pl}, ${mp ? 'both poll' : 'iothread polls'}`, dashed: mp, points: polls.map((p, i) => /** @type {[number, number]} */ ([i, f(get(pl, depth, mp, p))])) })),
    );
  const knees = [];
  for (const depth of depths) {
    out.push(`### Queue depth ${depth}`, '');
    const common = { xLabel: 'poll-max-ns of the iothread (ns)', xCategories: cats, width: 640 };
    out.push(plot(`claim2-qd${depth}-throughput`, `Claim 2, depth ${depth}: throughput`, linePlot({ ...common, title: `Depth ${depth}: requests per second`, yLabel: 'requests/s', series: seriesFor(depth, (m) => m.perSec) })));
    out.push(plot(`claim2-qd${depth}-p50`, `Claim 2, depth ${depth}: p50 latency`, linePlot({ ...common, title: `Depth ${depth}: p50 latency`, yLabel: 'µs (log)', yLog: true, series: seriesFor(depth, (m) => m.p50) })));
    out.push(plot(`claim2-qd${depth}-p99`, `Claim 2, depth ${depth}: p99 latency`, linePlot({ ...common, title: `Depth ${depth}: p99 latency`, yLabel: 'µs (log)', yLog: true, series: seriesFor(depth, (m) => m.p99) })));
    out.push(plot(`claim2-qd${depth}-cpu`, `Claim 2, depth ${depth}: CPU per request`, linePlot({ ...common, title: `Depth ${depth}: CPU per request (main + iothread)`, yLabel: 'µs of CPU per request (log)', yLog: true, series: seriesFor(depth, (m) => m.cpuUs) })));
    out.push('');
    for (const pl of placements) {
      out.push(`Placement \`${pl}\`, depth ${depth}:`, '');
      out.push(
        table(
          ['poll-max-ns', 'iothread polls: req/s', 'p50 / p99', 'CPU per req (of it iothread)', 'poll hits / iothread sleeps', 'both poll: req/s', 'p50 / p99', 'CPU per req'],
          polls.map((p) => {
            const a = get(pl, depth, false, p);
            const b = get(pl, depth, true, p);
            return [p, `${rate(a.perSec)}`, `${us(a.p50)} / ${us(a.p99)}`, `${us(a.cpuUs)} (${us(a.cpuIoUs)})`, `${num(a.pollHits)} / ${num(a.ioSleeps)}`, p === 0 ? '(same cell)' : rate(b.perSec), p === 0 ? '' : `${us(b.p50)} / ${us(b.p99)}`, p === 0 ? '' : us(b.cpuUs)];
          }),
        ),
        '',
      );
      for (const mp of [false, true]) {
        const k = knee(polls, polls.map((p) => get(pl, depth, mp, p).perSec));
        knees.push(`- depth ${depth}, \`${pl}\`, ${mp ? 'both poll' : 'iothread polls'}: ${k.text}.`);
      }
    }
  }
  out.push('### Where the knee is on this machine', '', ...knees, '');
  return out.join('\n');
}
