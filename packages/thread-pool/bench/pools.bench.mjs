// @loop/thread-pool against piscina 5.3.2 and tinypool 2.2.0, same machine,
// same task module (test/fixtures/tasks.mjs, shared with the tests), one scenario per process:
//   node bench/pools.bench.mjs <lib> <scenario>
// lib: loop | loop-poll (the pool thread's context has poll-max-ns = 50 µs) | piscina | tinypool
//      | floor (cpu only: 2 plain workers spinning 500 x 1 ms each, no pool: what this VM gives)
// scenario:
//   latency   back-to-back no-op on a 1-thread pool (submit, await, repeat): p50/p99 µs
//   tput      100k no-op tasks at once on 2 threads: tasks/s, mean of 2 rounds after a first
//             (cold-heap) round, which is reported too
//   cpu       1k tasks of 1 ms busy-spin on 2 threads: wall ms (ideal 500)
//   cpu-threads  the same, run by hand: where the CPU went (main thread, pool workers,
//             other threads), time on a CPU and time waiting for one, ms (Linux)
//   rss       RSS per idle worker: (RSS with 8 idle workers - RSS with 0) / 8, MiB
//   idle      @loop only: first task after 2 s idle with min = max = 4, and with min = 0 (µs)
// Prints one JSON line. Read ratios (run.mjs), not absolute numbers: on this
// 2-vCPU VM a cross-vCPU wake costs ~50 µs whatever the mechanism.
import { AioContext } from '@loop/aio';
import { getThreadPool, defineTask } from '@loop/thread-pool';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import { readFileSync, readdirSync } from 'node:fs';

const [lib, scenario] = process.argv.slice(2);
const TASKS = new URL('../test/fixtures/tasks.mjs', import.meta.url);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (a, q) => a[Math.min(a.length - 1, Math.floor(a.length * q))];
/** tid -> { run, wait } in ns for every thread of this process (Linux /proc schedstat). */
function threadTimes() {
  const m = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      m.set(Number(tid), { run, wait });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return m;
}

async function make(threads) {
  if (lib === 'floor') {
    // No pool: 2 plain workers each spin `n` tasks back to back (the machine's own ideal).
    const { Worker } = await import('node:worker_threads');
    const src = `const { parentPort } = require('node:worker_threads');
      parentPort.on('message', (n) => { const end = (ms) => { const e = performance.now() + ms; while (performance.now() < e); };
        for (let i = 0; i < n; i++) end(1); parentPort.postMessage(n); });`;
    const ws = Array.from({ length: threads }, () => new Worker(src, { eval: true }));
    const runAll = (n) => Promise.all(ws.map((w) => new Promise((r) => { w.once('message', r); w.postMessage(n / threads); })));
    await runAll(20);
    return { runAll, close: () => Promise.all(ws.map((w) => w.terminate())) };
  }
  if (lib === 'loop' || lib === 'loop-poll') {
    const ctx = new AioContext();
    ctx.attach();
    if (lib === 'loop-poll') ctx.setPollParams({ maxNs: 50_000 });
    ctx.setThreadPoolParams({ min: threads, max: threads });
    const pool = getThreadPool(ctx);
    const cache = new Map();
    const t = (name) => cache.get(name) ?? (cache.set(name, defineTask(TASKS, name)), cache.get(name));
    await Promise.all(Array.from({ length: threads * 2 }, () => pool.submit(t('noop'))));
    return { run: (name, arg) => pool.submit(t(name), arg), close: async () => { await pool.close(); ctx.destroy(); } };
  }
  if (lib === 'piscina') {
    const pool = new Piscina({ filename: TASKS.href, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
    await Promise.all(Array.from({ length: threads * 2 }, () => pool.run(undefined, { name: 'noop' })));
    return { run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() };
  }
  if (lib === 'tinypool') {
    const pool = new Tinypool({ filename: TASKS.href, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
    await Promise.all(Array.from({ length: threads * 2 }, () => pool.run(undefined, { name: 'noop' })));
    return { run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() };
  }
  throw new Error(`unknown lib ${lib}`);
}

const out = { lib, scenario };
if (scenario === 'latency') {
  const p = await make(1);
  for (let i = 0; i < 3000; i++) await p.run('noop');
  const lat = [];
  for (let i = 0; i < 20_000; i++) {
    const t = performance.now();
    await p.run('noop');
    lat.push((performance.now() - t) * 1000);
  }
  lat.sort((a, b) => a - b);
  out.p50Us = pct(lat, 0.5);
  out.p99Us = pct(lat, 0.99);
  await p.close();
} else if (scenario === 'tput') {
  const p = await make(2);
  const round = async (n) => {
    const ps = new Array(n);
    for (let i = 0; i < n; i++) ps[i] = p.run('noop');
    await Promise.all(ps);
  };
  // The first 100k round grows the heap to hold 100k pending promises (the
  // young generation's scavenges then copy every survivor: a third of the
  // round for us); it is reported as `coldTasksPerSec`. The figure compared
  // is the mean of the two rounds after it, the steady state of a service.
  const timed = async () => {
    const t = performance.now();
    await round(100_000);
    return 100_000 / ((performance.now() - t) / 1000);
  };
  out.coldTasksPerSec = await timed();
  const a = await timed();
  const b = await timed();
  out.tasksPerSec = (a + b) / 2;
  await p.close();
} else if (scenario === 'cpu') {
  const p = await make(2);
  // Warm-up: 200 tasks, so the pool's own completion path is optimised
  // before the timed run (with 20, V8 was still compiling it on background
  // threads during the run, taking CPU from the workers).
  if (p.runAll === undefined) for (let i = 0; i < 2; i++) await Promise.all(Array.from({ length: 100 }, () => p.run('spin', 1)));
  const t = performance.now();
  if (p.runAll !== undefined) await p.runAll(1000);
  else await Promise.all(Array.from({ length: 1000 }, () => p.run('spin', 1)));
  out.wallMs = performance.now() - t;
  out.idealMs = 500;
  await p.close();
} else if (scenario === 'cpu-threads') {
  // The cpu scenario once more, with where the CPU time went: per thread,
  // time on a CPU and time runnable but waiting for one (schedstat), summed
  // over three kinds of thread. Pool workers are the threads that ran for
  // more than a quarter of the run; "other" is every other thread but the
  // main one (V8's platform threads: optimising compiler, GC helpers).
  const p = await make(2);
  if (p.runAll === undefined) for (let i = 0; i < 2; i++) await Promise.all(Array.from({ length: 100 }, () => p.run('spin', 1)));
  const before = threadTimes();
  const t = performance.now();
  if (p.runAll !== undefined) await p.runAll(1000);
  else await Promise.all(Array.from({ length: 1000 }, () => p.run('spin', 1)));
  out.wallMs = performance.now() - t;
  const after = threadTimes();
  const sum = { main: { runMs: 0, waitMs: 0 }, workers: { runMs: 0, waitMs: 0 }, other: { runMs: 0, waitMs: 0 } };
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { run: 0, wait: 0 };
    const run = (a.run - b.run) / 1e6;
    const kind = tid === process.pid ? 'main' : run > out.wallMs / 4 ? 'workers' : 'other';
    sum[kind].runMs += run;
    sum[kind].waitMs += (a.wait - b.wait) / 1e6;
  }
  for (const v of Object.values(sum)) {
    v.runMs = Math.round(v.runMs * 10) / 10;
    v.waitMs = Math.round(v.waitMs * 10) / 10;
  }
  Object.assign(out, sum);
  await p.close();
} else if (scenario === 'rss') {
  const rss = () => process.memoryUsage.rss();
  globalThis.gc?.();
  await sleep(200);
  const r0 = rss();
  const p = await make(8);
  await sleep(500);
  out.rssPerWorkerMiB = (rss() - r0) / 8 / 2 ** 20;
  await p.close();
} else if (scenario === 'idle') {
  const p = await make(4);
  const steady = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    await p.run('noop');
    steady.push((performance.now() - t) * 1000);
  }
  steady.sort((a, b) => a - b);
  await sleep(2000);
  let t = performance.now();
  await p.run('noop');
  out.warmFirstUs = (performance.now() - t) * 1000;
  out.steadyP50Us = pct(steady, 0.5);
  await p.close();
  const ctx = new AioContext();
  ctx.attach();
  ctx.setThreadPoolParams({ min: 0, max: 4 });
  const cold = getThreadPool(ctx);
  t = performance.now();
  await cold.submit(defineTask(TASKS, 'noop'));
  out.coldFirstUs = (performance.now() - t) * 1000;
  await cold.close();
  ctx.destroy();
}
console.log(JSON.stringify(out));
