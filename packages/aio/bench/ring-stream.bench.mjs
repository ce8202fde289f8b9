// Streaming 1e6 small items from the main thread to a worker: an SPSC ring
// consumed by a driven context against one postMessage per item.
// Read the ratio: items/s of the ring over items/s of postMessage.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { Ring, thread } from '../dist/index.js';
import { line, median, verdict } from './lib.mjs';

const url = new URL('./ring-stream.worker.mjs', import.meta.url);

async function ring(total, cpus) {
  const r = Ring.create({ kind: 'spsc', slots: 4096 });
  const done = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(url, { workerData: { mode: 'ring', ring: r.data, total, done: done.buffer, cpu: cpus[1] } });
  await once(w, 'online');
  await new Promise((res) => setTimeout(res, 20));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; ) if (r.push(i)) i++;
  // Wait on the value just checked: re-reading it for Atomics.wait could
  // see the final count and then sleep the whole 100 ms timeout (it did, in
  // about one run in three: up to 100 ms added to a ~120 ms measurement).
  for (let v; (v = Atomics.load(done, 0)) < total; ) Atomics.wait(done, 0, v, 100);
  const dt = Number(process.hrtime.bigint() - t0);
  await once(w, 'exit');
  r.close();
  return total / (dt / 1e9);
}

async function port(total, cpus) {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(url, { workerData: { mode: 'port', total, done: done.buffer, cpu: cpus[1] } });
  await once(w, 'online');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) w.postMessage(i);
  while (Atomics.load(done, 0) < total) await new Promise((res) => setTimeout(res, 1));
  const dt = Number(process.hrtime.bigint() - t0);
  await once(w, 'exit');
  return total / (dt / 1e9);
}

export async function run() {
  console.log('\n## ring-stream (1e6 items main -> worker)');
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
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
