// Runs every scenario of pools.bench.mjs 3 times per library, each in a
// fresh process, and prints medians and ratios; raw lines go to
// bench/results/<date>-<host>.jsonl. Usage: node bench/run.mjs [scenario...]
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';

// Other processes share this VM: before each run wait (up to 8 s) for a
// 300 ms window in which they use < 0.3 cores, and record what they used.
function cpuTimes() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}
function busyCores(ms) {
  const a = cpuTimes();
  const end = Date.now() + ms;
  while (Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  const b = cpuTimes();
  return ((b.total - a.total - (b.idle - a.idle)) / Math.max(1, b.total - a.total)) * cpus().length;
}
function waitQuiet() {
  const end = Date.now() + 8_000;
  let bg;
  do bg = busyCores(300);
  while (bg > 0.3 && Date.now() < end);
  return bg;
}

const here = new URL('.', import.meta.url);
const scenarios = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['latency', 'tput', 'cpu', 'rss', 'idle'];
const libs = { latency: ['loop', 'loop-poll', 'piscina', 'tinypool'], tput: ['loop', 'loop-poll', 'piscina', 'tinypool'], cpu: ['floor', 'loop', 'piscina', 'tinypool'], rss: ['loop', 'piscina', 'tinypool'], idle: ['loop'] };
const REPS = 3;
mkdirSync(new URL('results/', here), { recursive: true });
const file = new URL(`results/${new Date().toISOString().slice(0, 10)}-${hostname()}.jsonl`, here);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const res = {};
for (const s of scenarios) {
  for (let rep = 0; rep < REPS; rep++) {
    // Interleave libraries within each repetition so drift hits all alike.
    for (const lib of libs[s]) {
      const bg = waitQuiet();
      const line = execFileSync(process.execPath, ['--expose-gc', new URL('pools.bench.mjs', here).pathname, lib, s], { encoding: 'utf8' }).trim().split('\n').pop();
      const r = { ...JSON.parse(line), bgCores: Number(bg.toFixed(2)) };
      appendFileSync(file, JSON.stringify({ ...r, rep, at: new Date().toISOString(), node: process.version }) + '\n');
      ((res[s] ??= {})[lib] ??= []).push(r);
    }
  }
}
const f = (x, d = 1) => (x === undefined ? '-' : x.toFixed(d));
for (const [s, byLib] of Object.entries(res)) {
  console.log(`\n## ${s}`);
  const key = { latency: 'p50Us', tput: 'tasksPerSec', cpu: 'wallMs', rss: 'rssPerWorkerMiB', idle: 'warmFirstUs' }[s];
  const base = byLib.piscina ? med(byLib.piscina.map((r) => r[key])) : undefined;
  for (const [lib, rs] of Object.entries(byLib)) {
    const m = med(rs.map((r) => r[key]));
    const extra =
      s === 'latency' ? ` p99 ${rs.map((r) => f(r.p99Us)).join(' / ')} µs` :
      s === 'idle' ? ` steady p50 ${f(med(rs.map((r) => r.steadyP50Us)))} µs, cold first ${f(med(rs.map((r) => r.coldFirstUs)) / 1000)} ms, warm-first/steady ${f(m / med(rs.map((r) => r.steadyP50Us)), 2)}x` : '';
    const ratio = base !== undefined && lib !== 'piscina' ? ` (${f(s === 'tput' ? m / base : base / m, 2)}x piscina${s === 'tput' ? '' : ' speed'}; ${lib}/piscina = ${f(m / base, 3)})` : '';
    console.log(`${lib.padEnd(10)} ${key} median ${f(m)} [${rs.map((r) => f(r[key])).join(' / ')}]${extra}${ratio}; bg cores before runs ${rs.map((r) => r.bgCores).join(' / ')}`);
  }
}
console.log(`\nraw: ${file.pathname}`);
