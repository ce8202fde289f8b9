// Streaming 1e6 small items from the main thread to a worker: an SPSC ring
// consumed by a driven context against one postMessage per item.
// Read the ratio: items/s of the ring over items/s of postMessage.
//
// Each side first streams WARM items through the same worker and then
// rests, so the consumer's code is optimised and V8's background compile
// and GC threads (shared by every isolate, unpinned) have finished before
// the timed run; without the rest they ran during it and took the
// consumer's CPU for up to half the run (its runqueue wait, from
// /proc/thread-self/schedstat, was 40-85 ms of a 130 ms run).
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { Ring, thread } from '../dist/index.js';
import { line, median, verdict } from './lib.mjs';

const url = new URL('./ring-stream.worker.mjs', import.meta.url);
const WARM = 200_000;
const REST_MS = 300;
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/** Waits (without spinning) until the worker has acknowledged `n` items. */
async function acked(done, n) {
  // Wait on the value just checked: re-reading it for Atomics.wait could
  // see the final count and then sleep the whole timeout.
  for (let v; (v = Atomics.load(done, 0)) < n; ) Atomics.wait(done, 0, v, 100);
}

async function ring(total, cpus) {
  const r = Ring.create({ kind: 'spsc', slots: 4096 });
  const done = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(url, { workerData: { mode: 'ring', ring: r.data, total: WARM + total, warm: WARM, done: done.buffer, cpu: cpus[1] } });
  await once(w, 'online');
  for (let i = 0; i < WARM; ) if (r.push(i)) i++;
  await acked(done, WARM);
  await sleep(REST_MS);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; ) if (r.push(i)) i++;
  await acked(done, WARM + total);
  const dt = Number(process.hrtime.bigint() - t0);
  await once(w, 'exit');
  r.close();
  return total / (dt / 1e9);
}

async function port(total, cpus) {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(url, { workerData: { mode: 'port', total: WARM + total, done: done.buffer, cpu: cpus[1] } });
  await once(w, 'online');
  for (let i = 0; i < WARM; i++) w.postMessage(i);
  while (Atomics.load(done, 0) < WARM) await sleep(1);
  await sleep(REST_MS);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) w.postMessage(i);
  while (Atomics.load(done, 0) < WARM + total) await sleep(1);
  const dt = Number(process.hrtime.bigint() - t0);
  await once(w, 'exit');
  return total / (dt / 1e9);
}

export async function run() {
  console.log('\n## ring-stream (1e6 items main -> worker, after a 2e5-item warm-up)');
  const N = 1_000_000;
  const all = thread.affinity;
  // Producer and consumer on different CPUs: a producer spinning on a full
  // ring would otherwise take the CPU from the consumer it waits for.
  const cpus = all.length >= 2 ? [all[0], all[1]] : [all[0], all[0]];
  thread.setAffinity([cpus[0]]);
  const a = [], b = [];
  for (let i = 0; i < 3; i++) {
    a.push(await ring(N, cpus));
    b.push(await port(N, cpus));
  }
  thread.setAffinity(all);
  const ra = median(a), rb = median(b);
  line(`SPSC ring -> driven context (CPUs ${cpus[0]} -> ${cpus[1]})`, (ra / 1e6).toFixed(2), 'M items/s');
  line('one postMessage per item', (rb / 1e6).toFixed(2), 'M items/s');
  verdict(ra / rb >= 10, `ratio ${(ra / rb).toFixed(1)}x (target >= 10x)`);
  return { ringItemsPerSec: ra, portItemsPerSec: rb, ratio: ra / rb };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
