// @ts-check
/**
 * The packages' own bench suites, as they printed them, plus the cross-thread
 * rows of @loop/aio as the median of their runs.
 *
 * @module
 */
import { median } from '../stats.mjs';
import { parseAioLines } from './aio-lines.mjs';
import { aioFigures, stepResult } from './figures.mjs';
import { num, runs, table, times, us } from './md.mjs';

/**
 * @param {import('./index.mjs').Results} results
 * @param {(id: string) => string} failed
 */
export function suitesSection(results, failed) {
  const out = ['## The packages\' bench suites', ''];
  out.push('Each suite runs as its own child process, exactly as `npx nx bench <package>` runs it (with `--json`, which hands the printed lines or records to the harness, and `--quick` in quick mode). Their targets are judged in the table at the top.', '');

  out.push('### @loop/aio (`packages/aio/bench/run.mjs`)', '');
  const aio = stepResult(results, 'suite-aio');
  if (!aio) out.push(failed('suite-aio'), '');
  else {
    const { records, verdicts } = parseAioLines(aio.lines);
    out.push(
      table(
        ['bench', 'placement', 'measure', 'value', 'note'],
        records.map((r) => [r.section.replace(/ \(.*\)$/, ''), r.sub, r.name, r.p99 !== undefined ? `${r.value} / ${r.p99} µs (p50 / p99)` : `${r.value} ${r.unit}`, r.extra]),
      ),
      '',
      'The suite\'s own verdicts: ' + (verdicts.length ? verdicts.map((v) => `${v.pass ? 'PASS' : 'FAIL'} ${v.text}`).join('; ') : 'none printed') + '.',
      '',
    );
  }
  const a = aioFigures(results);
  /** @type {Record<string, string>} */
  const label = {
    atomics: 'Atomics.wait/notify (blocking floor)',
    port: 'MessagePort',
    driven: 'remote BH → driven context',
    pollLoop: 'remote BH → poll(true) loop',
    pacedOff: 'driven worker, poll-max-ns 0, requests a few µs apart',
    polling: 'driven worker, poll-max-ns 32768, requests a few µs apart',
    spin: 'shared-memory spin (polling floor)',
  };
  if (a.crossRunCount > 0) {
    out.push(`Cross-thread round trips, median of ${a.crossRunCount} run${a.crossRunCount > 1 ? 's' : ''} (each a fresh process; per-run p50 in brackets):`, '');
    const rows = [];
    for (const [where, pl] of /** @type {const} */ ([['different CPUs', a.cross], ['one CPU', a.same]])) {
      const floor = pl.atomics?.p50;
      for (const [k, v] of Object.entries(pl)) {
        // Only the measured pairs; the per-run ratios live next to them.
        if (!v || !('p50' in v)) continue;
        rows.push([where, label[k] ?? k, us(v.p50), runs(v.runs, (x) => num(x)), us(v.p99), floor ? times(v.p50 / floor) : 'n/a']);
      }
    }
    out.push(table(['placement', 'mechanism', 'p50', 'runs (µs)', 'p99', '÷ Atomics floor'], rows), '');
  }

  out.push('### @loop/thread-pool (`packages/thread-pool/bench/run.mjs`)', '');
  const tp = stepResult(results, 'suite-thread-pool');
  if (!tp) out.push(failed('suite-thread-pool'), '');
  else {
    out.push(`Each library in a fresh process per run, ${tp.reps} run${tp.reps > 1 ? 's' : ''} per scenario, interleaved; medians, then every run.`, '');
    /** @type {Record<string, string>} */
    const key = { latency: 'p50Us', tput: 'tasksPerSec', cpu: 'wallMs', rss: 'rssPerWorkerMiB', idle: 'warmFirstUs' };
    /** @type {Record<string, string>} */
    const unit = { latency: 'µs (p50)', tput: 'tasks/s', cpu: 'ms', rss: 'MiB per idle worker', idle: 'µs (first task after 2 s idle, min = max = 4)' };
    const rows = [];
    for (const [s, byLib] of Object.entries(/** @type {Record<string, Record<string, any[]>>} */ (tp.scenarios))) {
      const k = key[s];
      const base = byLib.piscina ? median(byLib.piscina.map((x) => x[k])) : undefined;
      for (const [lib, rs] of Object.entries(byLib)) {
        const vals = rs.map((x) => x[k]).filter((x) => typeof x === 'number');
        const m = median(vals);
        let extra = '';
        if (s === 'latency') extra = `p99 ${rs.map((x) => num(x.p99Us)).join(' / ')} µs`;
        if (s === 'tput' && rs.some((x) => typeof x.coldTasksPerSec === 'number')) extra = `cold-heap first round ${num(median(rs.map((x) => x.coldTasksPerSec)))} tasks/s`;
        if (s === 'idle') extra = `steady p50 ${num(median(rs.map((x) => x.steadyP50Us)))} µs; first task with min = 0: ${num(median(rs.map((x) => x.coldFirstUs)) / 1000)} ms`;
        rows.push([s, lib, `${num(m)} ${unit[s] ?? k}`, runs(vals, (x) => num(x)), base !== undefined && lib !== 'piscina' ? times(m / base) : '', extra, rs.map((x) => x.bgCores).join(' / ')]);
      }
    }
    out.push(table(['scenario', 'library', 'median', 'runs', '÷ piscina', 'more', 'other load before each run (cores)'], rows), '');
  }

  out.push('### @loop/iothread (`packages/iothread/bench/run.mjs`)', '');
  const io = stepResult(results, 'suite-iothread');
  if (!io) out.push(failed('suite-iothread'), '');
  else {
    out.push(`${io.rounds} \`handle.call\` round trips and ${io.wakes} remote-BH wakes (spaced 1 ms) per row; idle CPU of the iothread over ${io.idleMs / 1000} s (schedstat).`, '');
    out.push(
      table(
        ['placement', 'poll-max-ns', 'call round trip p50 / p99', 'remote-BH wake p50 / p99', 'idle iothread CPU'],
        io.rows.map((/** @type {any} */ r) => [r.placement, r.pollMaxNs, `${us(r.call.p50 / 1000)} / ${us(r.call.p99 / 1000)}`, `${us(r.bh.p50 / 1000)} / ${us(r.bh.p99 / 1000)}`, `${num(r.idle * 100)} %`]),
      ),
      '',
    );
  }
  return out.join('\n');
}
