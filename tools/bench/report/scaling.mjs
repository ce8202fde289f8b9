// @ts-check
/**
 * The scaling section: a plot per structure and the growth order fitted to
 * each series (log-log slope of the cost per item).
 *
 * @module
 */
import { classifyPerItem } from '../growth.mjs';
import { linePlot } from '../svg.mjs';
import { stepResult } from './figures.mjs';
import { ns, table } from './md.mjs';

/**
 * @param {import('./index.mjs').Results} results
 * @param {import('./index.mjs').PlotSink} plot
 * @param {(id: string) => string} failed
 */
export function scalingSection(results, plot, failed) {
  const out = ['## Scaling: how the cost per item grows', ''];
  const r = stepResult(results, 'scaling');
  if (!r) return [...out, failed('scaling'), ''].join('\n');
  out.push(
    `One process (\`tools/bench/scaling.mjs\`), each size measured ${r.reps} time${r.reps > 1 ? 's' : ''} (median kept), sizes from small to large. Each plotted cost is per item (per timer, per ready handler, per BH, per task) or per loop iteration (the fd rows). Its growth with n is read from a least-squares line through log(cost) against log(n): a slope near 0 is O(1), near 1 is O(n); a small positive slope that fits a straight line in ln n is reported as O(log n). A negative slope is a fixed cost spread over more items (O(1) per item). The fitted slope is printed next to each verdict; cache effects and GC at the large sizes move it by a few hundredths.`,
    '',
  );
  /** @type {{ what: string, pts: [number, number][], growth: ReturnType<typeof classifyPerItem> }[]} */
  const fits = [];
  /**
   * Fits a series for the table and returns it for the plot.
   * @param {string} what
   * @param {[number, number][]} pts
   */
  const fit = (what, pts) => {
    fits.push({ what, pts, growth: classifyPerItem(pts) });
    return { name: what, points: pts };
  };
  /**
   * One log-log plot; every series is fitted for the growth table.
   * @param {string} name @param {string} title @param {string} xLabel @param {string} yLabel
   * @param {[string, [number, number][]][]} series  (name, points)
   */
  const logLog = (name, title, xLabel, yLabel, series) =>
    plot(name, title, linePlot({ title, xLabel: `${xLabel} (log)`, yLabel: `${yLabel} (log)`, xLog: true, yLog: true, series: series.map(([what, pts]) => fit(what, pts)) }));
  /** @type {any[]} */
  const timers = r.timers;
  /** @type {any[]} */
  const fds = r.fds;
  /** @type {any[]} */
  const bhs = r.bhs;
  /** @type {any[]} */
  const depth = r.depth;
  const pools = Object.keys(depth[0]?.perTaskNs ?? {});
  out.push(
    logLog('scaling-timers', 'Timers on one AioContext (distinct deadlines, random order)', 'timers armed', 'ns per timer', [
      ['timers: arm (modNs)', timers.map((t) => [t.n, t.armNs])],
      ['timers: fire (poll)', timers.map((t) => [t.n, t.fireNs])],
    ]),
    logLog('scaling-fd-handlers', 'fd handlers (eventfds), 1 % ready per iteration', 'handlers registered', 'ns', [
      ['fd: iteration with 1 % ready', fds.map((x) => [x.n, x.iterNs])],
      ['fd: per ready handler', fds.map((x) => [x.n, x.perActiveNs])],
      ['fd: iteration with none ready', fds.map((x) => [x.n, x.idleIterNs])],
    ]),
    logLog('scaling-bhs', 'Bottom halves scheduled per iteration (schedule + dispatch)', 'BHs per poll', 'ns per BH', [['BH: schedule + dispatch', bhs.map((x) => [x.n, x.perBhNs])]]),
    logLog('scaling-pool-depth', 'Pool queue depth, 2 threads, no-op tasks', 'tasks submitted at once', 'ns per task (wall)', pools.map((p) => [`depth: ${p}`, depth.map((x) => [x.n, x.perTaskNs[p]])])),
    '',
  );
  out.push(
    table(
      ['series', 'cost at the smallest n', 'cost at the largest n', 'growth of the plotted cost with n'],
      fits.map((f) => {
        const first = f.pts[0];
        const last = f.pts[f.pts.length - 1];
        return [f.what, `${ns(first[1])} (n = ${first[0]})`, `${ns(last[1])} (n = ${last[0]})`, f.growth.text];
      }),
    ),
    '',
  );
  return out.join('\n');
}
