// @ts-check
/**
 * The peers section: @loop/thread-pool against piscina and tinypool, with
 * Node's primitives as the floor, and the ratio of @loop to each.
 *
 * @module
 */
import { barPlot } from '../svg.mjs';
import { median } from '../stats.mjs';
import { stepResult } from './figures.mjs';
import { rate, runs, table, times, us } from './md.mjs';

const LOOP = '@loop/thread-pool';

/**
 * @param {import('./index.mjs').Results} results
 * @param {import('./index.mjs').PlotSink} plot
 * @param {(id: string) => string} failed
 */
export function peersSection(results, plot, failed) {
  const out = ['## Peers: piscina, tinypool and Node\'s primitives', ''];
  const r = stepResult(results, 'peers');
  if (!r) return [...out, failed('peers'), ''].join('\n');
  out.push(
    `One process (\`tools/bench/peers.mjs\`); every pool runs the same task module (\`tools/bench/tasks.mjs\`, a no-op). Every peer is warmed up first, then the peers take turns in ${r.rounds} rounds, the order rotating each round; figures are the median of the rounds (p99: the median of the rounds' p99). Ratios are @loop's figure divided by the peer's: below 1 means @loop takes less time; for throughput above 1 means @loop moves more.`,
    '',
    '### Round trip: one no-op task at a time on a 1-thread pool',
    '',
    `${r.rtN} tasks per round. Floors: an Atomics.wait/notify ping-pong and a MessagePort echo with a worker (the cheapest blocking hand-off, and what a postMessage-based pool pays at least), and setImmediate / setTimeout(0) hops on the main thread (the cheapest way back into the event loop at all; setTimeout is clamped to 1 ms). \`cross\`: the main thread on one CPU, the pool's worker (pinned by a task that checks its affinity) or floor worker on the other; \`same\`: both on one CPU.`,
    '',
  );
  /** @type {Record<string, Record<string, any>>} */
  const rt = r.roundTrip;
  const placements = Object.keys(rt);
  const names = Object.keys(rt[placements[0]] ?? {});
  for (const pl of placements) {
    const loop = rt[pl][LOOP]?.p50;
    out.push(`Placement \`${pl}\`:`, '');
    out.push(
      table(
        ['peer', 'p50', 'rounds', 'p99', `${LOOP} p50 ÷ this`],
        names.map((n) => {
          const s = rt[pl][n];
          return [n, us(s.p50), runs(s.runs.map((/** @type {any} */ x) => x.p50), (v) => us(v)), us(s.p99), n === LOOP ? '1' : times(loop / s.p50)];
        }),
      ),
      '',
    );
  }
  out.push(
    plot('peers-round-trip', 'Round trip p50 per peer and placement', barPlot({
      title: 'Round trip of one no-op task, p50',
      yLabel: 'µs (log)',
      yLog: true,
      categories: names.map((n) => n.replace(' hop', '')),
      series: placements.map((pl) => ({ name: pl, values: names.map((n) => rt[pl][n]?.p50 ?? NaN) })),
      width: 760,
    })),
    '',
  );

  out.push('### Throughput: no-op tasks submitted at once on 2 threads', '');
  out.push(`${r.tputN} tasks per round. Floor: one postMessage per task to 2 echo workers, round-robin. \`free\`: nothing pinned; \`one CPU\`: the main thread pinned before the pools start, so their workers inherit its one CPU.`, '');
  /** @type {Record<string, Record<string, number[]>>} */
  const tp = r.throughput;
  const tPlacements = Object.keys(tp);
  const tNames = Object.keys(tp[tPlacements[0]] ?? {});
  for (const pl of tPlacements) {
    const loop = median(tp[pl][LOOP] ?? []);
    out.push(`Placement \`${pl}\`:`, '');
    out.push(
      table(
        ['peer', 'tasks/s (median)', 'rounds', `${LOOP} ÷ this`],
        tNames.map((n) => [n, rate(median(tp[pl][n])), runs(tp[pl][n], (v) => rate(v)), n === LOOP ? '1' : times(loop / median(tp[pl][n]))]),
      ),
      '',
    );
  }
  out.push(
    plot('peers-throughput', 'Throughput per peer and placement', barPlot({
      title: 'No-op tasks per second, 2 threads',
      yLabel: 'tasks/s (log)',
      yLog: true,
      categories: tNames,
      series: tPlacements.map((pl) => ({ name: pl, values: tNames.map((n) => median(tp[pl][n] ?? [])) })),
      width: 760,
    })),
    '',
  );

  out.push('### Burst after idle', '');
  out.push(`2-thread pools with their threads alive, idle for ${r.burstGapMs} ms, then ${r.burstSize} no-op tasks at once; each peer gets its turn in every cycle. Unpinned.`, '');
  /** @type {Record<string, { firstUs: number[], allUs: number[] }>} */
  const b = r.burst;
  const loopFirst = median(b[LOOP]?.firstUs ?? []);
  const loopAll = median(b[LOOP]?.allUs ?? []);
  out.push(
    table(
      ['peer', 'first result (median)', 'whole burst (median)', 'bursts', `${LOOP} ÷ this (first / whole)`],
      Object.entries(b).map(([n, v]) => [n, us(median(v.firstUs)), us(median(v.allUs)), String(v.allUs.length), n === LOOP ? '1' : `${times(loopFirst / median(v.firstUs))} / ${times(loopAll / median(v.allUs))}`]),
    ),
    '',
  );
  const bgText = Object.entries(r.bgCores ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  out.push(`Other processes' load in the quiet window before each part (cores): ${bgText}.`, '');
  return out.join('\n');
}
