// Runs every scenario of pools.bench.mjs 3 times per library, each in a
// fresh process, and prints medians and ratios; raw lines go to
// bench/results/<date>-<host>.jsonl. Usage: node bench/run.mjs [flags] [scenario...]
//
// Flags (used by the workspace harness, `npm run bench`, tools/bench):
//   --quick   one repetition of 'latency' and 'idle' only, shorter quiet waits
//   --json    human lines to stderr, and one JSON object with every run as the
//             last stdout line; the raw file is not written (the harness
//             keeps the raw data in docs/bench/results.json)
//   --quiet-max-ms N   longest wait for a quiet window before each run
//             (default 8000, 1000 with --quick)
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
// Other processes share this VM: before each run wait for a 300 ms window
// in which they use < 0.3 cores, and record what they used.
import { waitQuiet } from '../../../tools/bench/quiet.mjs';

const here = new URL('.', import.meta.url);
const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const quietAt = args.indexOf('--quiet-max-ms');
const quietMaxMs = quietAt >= 0 ? Number(args[quietAt + 1]) : quick ? 1000 : 8000;
const named = args.filter((a, i) => !a.startsWith('--') && (quietAt < 0 || i !== quietAt + 1));
const scenarios = named.length > 0 ? named : quick ? ['latency', 'idle'] : ['latency', 'tput', 'cpu', 'rss', 'idle'];
// In --json mode stdout carries only the JSON line.
const log = json ? (/** @type {string} */ s) => process.stderr.write(s + '\n') : console.log;
const libs = { latency: ['loop', 'loop-poll', 'piscina', 'tinypool'], tput: ['loop', 'loop-poll', 'piscina', 'tinypool'], cpu: ['floor', 'loop', 'piscina', 'tinypool'], rss: ['loop', 'piscina', 'tinypool'], idle: ['loop'] };
const REPS = quick ? 1 : 3;
if (!json) mkdirSync(new URL('results/', here), { recursive: true });
const file = new URL(`results/${new Date().toISOString().slice(0, 10)}-${hostname()}.jsonl`, here);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const res = {};
for (const s of scenarios) {
  for (let rep = 0; rep < REPS; rep++) {
    // Interleave libraries within each repetition so drift hits all alike.
    for (const lib of libs[s]) {
      const bg = waitQuiet({ maxMs: quietMaxMs });
      const line = execFileSync(process.execPath, ['--expose-gc', new URL('pools.bench.mjs', here).pathname, lib, s], { encoding: 'utf8' }).trim().split('\n').pop();
      const r = { ...JSON.parse(line), bgCores: Number(bg.toFixed(2)) };
      if (!json) appendFileSync(file, JSON.stringify({ ...r, rep, at: new Date().toISOString(), node: process.version }) + '\n');
      ((res[s] ??= {})[lib] ??= []).push(r);
    }
  }
}
const f = (x, d = 1) => (x === undefined ? '-' : x.toFixed(d));
for (const [s, byLib] of Object.entries(res)) {
  log(`\n## ${s}`);
  const key = { latency: 'p50Us', tput: 'tasksPerSec', cpu: 'wallMs', rss: 'rssPerWorkerMiB', idle: 'warmFirstUs' }[s];
  const base = byLib.piscina ? med(byLib.piscina.map((r) => r[key])) : undefined;
  for (const [lib, rs] of Object.entries(byLib)) {
    const m = med(rs.map((r) => r[key]));
    const extra =
      s === 'latency' ? ` p99 ${rs.map((r) => f(r.p99Us)).join(' / ')} µs` :
      s === 'tput' ? ` (cold-heap first round ${f(med(rs.map((r) => r.coldTasksPerSec)), 0)}/s)` :
      s === 'idle' ? ` steady p50 ${f(med(rs.map((r) => r.steadyP50Us)))} µs, cold first ${f(med(rs.map((r) => r.coldFirstUs)) / 1000)} ms, warm-first/steady ${f(m / med(rs.map((r) => r.steadyP50Us)), 2)}x` : '';
    const ratio = base !== undefined && lib !== 'piscina' ? ` (${f(s === 'tput' ? m / base : base / m, 2)}x piscina${s === 'tput' ? '' : ' speed'}; ${lib}/piscina = ${f(m / base, 3)})` : '';
    log(`${lib.padEnd(10)} ${key} median ${f(m)} [${rs.map((r) => f(r[key])).join(' / ')}]${extra}${ratio}; bg cores before runs ${rs.map((r) => r.bgCores).join(' / ')}`);
  }
}
if (json) process.stdout.write(JSON.stringify({ suite: '@loop/thread-pool', node: process.version, reps: REPS, scenarios: res }) + '\n');
else log(`\nraw: ${file.pathname}`);
