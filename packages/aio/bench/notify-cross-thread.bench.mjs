// Cross-thread wake: main thread -> worker -> main round trips, back to back.
// Compares, in one run: remote BHs into a worker context (driven mode and a
// poll(true) loop, back to back; and a driven worker with poll-max-ns 0 and
// 32768 under requests sent a few µs apart) against an Atomics.wait/notify
// ping-pong (the blocking floor), a MessagePort ping-pong, and a pure
// shared-memory spin (the polling floor).
// Reported for threads pinned to different CPUs and to the same CPU; one way
// is about RT/2. Read p50 ratios against the Atomics floor.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { AioContext, scheduleRemoteBh, thread } from '../dist/index.js';
import { line, summary, verdict } from './lib.mjs';

const url = new URL('./notify-cross-thread.worker.mjs', import.meta.url);
const ROUNDS = 5000;
// Timing with performance.now() (a double, no allocation once optimised):
// process.hrtime.bigint() allocated two BigInts a round, and the young
// generation's scavenges (0.2-1 ms) were pauses long enough to make a
// polling partner give up polling.
const WARM = 500;

async function atomicsOrSpin(mode, cpus) {
  // Two spinners on one CPU hand over only when the scheduler preempts one
  // (a time slice, ~8 ms, per round trip): 200 rounds say all there is to
  // say, where 5000 took 40 s.
  const rounds = mode === 'spin' && cpus[0] === cpus[1] ? 200 : ROUNDS;
  const warm = rounds === ROUNDS ? WARM : 20;
  const sab = new SharedArrayBuffer(8);
  const w = new Int32Array(sab);
  const worker = new Worker(url, { workerData: { mode, sab, cpu: cpus[1] } });
  await once(worker, 'online');
  const rt = [];
  for (let i = 1; i <= rounds + warm; i++) {
    const t0 = performance.now();
    Atomics.store(w, 0, i);
    Atomics.notify(w, 0);
    if (mode === 'atomics') {
      // Wait on the value just checked: re-reading it for Atomics.wait could
      // pick up the answer and then sleep the full 1 s timeout.
      for (let v; (v = Atomics.load(w, 1)) !== i; ) Atomics.wait(w, 1, v, 1000);
    } else while (Atomics.load(w, 1) !== i);
    if (i > warm) rt.push((performance.now() - t0) * 1e6);
  }
  Atomics.store(w, 0, -1);
  Atomics.notify(w, 0);
  await once(worker, 'exit');
  return summary(rt);
}

async function port(cpus) {
  const worker = new Worker(url, { workerData: { mode: 'port', cpu: cpus[1] } });
  await once(worker, 'online');
  const rt = [];
  for (let i = 1; i <= ROUNDS + WARM; i++) {
    const t0 = performance.now();
    worker.postMessage(i);
    await once(worker, 'message');
    if (i > WARM) rt.push((performance.now() - t0) * 1e6);
  }
  worker.postMessage(-1);
  await once(worker, 'exit');
  return summary(rt);
}

async function remoteBh(mode, cpus) {
  const ctx = new AioContext();
  let got = 0;
  const pong = ctx.remoteBhNew(() => got++);
  const worker = new Worker(url, { workerData: { mode, pong: pong.token, cpu: cpus[1] } });
  const exited = once(worker, 'exit');
  const [{ ping, quit }] = await once(worker, 'message');
  await new Promise((r) => setTimeout(r, 20));
  const rt = [];
  for (let i = 1; i <= ROUNDS + WARM; i++) {
    const t0 = performance.now();
    scheduleRemoteBh(ping);
    while (got < i) ctx.poll(true);
    if (i > WARM) rt.push((performance.now() - t0) * 1e6);
  }
  scheduleRemoteBh(quit);
  await exited;
  ctx.destroy();
  return summary(rt);
}

// Polling, measured where it can pay: work arriving inside the polling
// window. The main thread sends a request GAP_US after each answer and waits
// for the answer by spinning on its own context (poll(false), as the spin
// floor's main thread spins), so the worker's driven context sits between
// two requests for about GAP_US, well inside poll-max-ns 32768. The same
// traffic with poll-max-ns 0 is the blocking path for the same work. The
// gap is short because of QEMU's rule on this VM: after a miss (any pause
// longer than poll-max-ns) poll_ns restarts from 0 and grows again only from
// a wait below poll-max-ns, i.e. the gap plus one blocking wake (20-30 µs
// here at a 5 µs gap, 40-50 µs at 20 µs, where it would never come back).
const GAP_US = 5;

async function remoteBhPaced(maxNs, cpus) {
  // On one CPU the spinning main thread leaves the worker the CPU only when
  // the scheduler preempts it (a time slice per round trip): few rounds.
  const sameCpu = cpus[0] === cpus[1];
  const rounds = sameCpu ? 200 : ROUNDS;
  const warm = sameCpu ? 20 : WARM;
  const ctx = new AioContext();
  let got = 0;
  const pong = ctx.remoteBhNew(() => got++);
  const worker = new Worker(url, { workerData: { mode: 'driven', maxNs, pong: pong.token, cpu: cpus[1] } });
  const [{ ping, quit }] = await once(worker, 'message');
  await new Promise((r) => setTimeout(r, 20));
  // Preallocated, and nothing allocated per round: a young-generation pause
  // on the main thread is a gap past poll-max-ns, which ends polling.
  const rt = new Float64Array(rounds);
  const gapMs = GAP_US / 1000;
  for (let i = 1; i <= rounds + warm; i++) {
    const t0 = performance.now();
    scheduleRemoteBh(ping);
    while (got < i) ctx.poll(false);
    const t1 = performance.now();
    if (i > warm) rt[i - warm - 1] = (t1 - t0) * 1e6;
    const next = t1 + gapMs;
    while (performance.now() < next);
  }
  const stats = once(worker, 'message');
  scheduleRemoteBh(quit);
  const [{ stats: w }] = await stats;
  await once(worker, 'exit');
  ctx.destroy();
  const res = summary(rt);
  if (maxNs > 0) {
    const polls = w.pollHits + w.pollMisses;
    res.note = `worker: ${polls ? ((100 * w.pollHits) / polls).toFixed(1) : 0} % of ${polls} busy-polls hit`;
  }
  return res;
}

export async function run() {
  console.log('\n## notify-cross-thread (round trips, µs)');
  const all = thread.affinity;
  const placements = all.length >= 2 ? [['cross CPU', [all[0], all[1]]], ['same CPU', [all[0], all[0]]]] : [['one CPU', [all[0], all[0]]]];
  for (const [label, cpus] of placements) {
    thread.setAffinity([cpus[0]]);
    const res = {
      'Atomics.wait/notify (floor)': await atomicsOrSpin('atomics', cpus),
      'MessagePort': await port(cpus),
      'remote BH -> driven context': await remoteBh('driven', cpus),
      'remote BH -> poll(true) loop': await remoteBh('poll', cpus),
      [`poll-max-ns 0, driven worker, requests ${GAP_US} µs apart`]: await remoteBhPaced(0, cpus),
      [`poll-max-ns 32768, driven worker, requests ${GAP_US} µs apart`]: await remoteBhPaced(32768, cpus),
      'shared-memory spin (polling floor)': await atomicsOrSpin('spin', cpus),
    };
    console.log(`-- ${label}`);
    const floor = res['Atomics.wait/notify (floor)'].p50;
    for (const [k, v] of Object.entries(res)) {
      line(`${k}`, `${(v.p50 / 1000).toFixed(2)} / ${(v.p99 / 1000).toFixed(1)}`, 'p50/p99', `x${(v.p50 / floor).toFixed(2)} of Atomics${v.note ? '; ' + v.note : ''}`);
    }
    if (label === 'cross CPU') {
      // "The blocking path" is the blocking round trip of the first target
      // (a remote BH into a blocked driven context, both sides asleep); the
      // same paced traffic with polling off is printed beside it.
      const spin = res['shared-memory spin (polling floor)'].p50;
      const pol = res[`poll-max-ns 32768, driven worker, requests ${GAP_US} µs apart`].p50;
      const blocking = res['remote BH -> driven context'].p50;
      const paced = res[`poll-max-ns 0, driven worker, requests ${GAP_US} µs apart`].p50;
      verdict(pol <= 15 * spin && blocking / pol >= 20,
        `polling on, requests ${GAP_US} µs apart: ${(pol / spin).toFixed(1)}x the spin floor (target <= 15x), ${(blocking / pol).toFixed(0)}x faster than the blocking round trip (target >= 20x); ${(paced / pol).toFixed(1)}x faster than the same traffic with polling off`);
    }
  }
  thread.setAffinity(all);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
