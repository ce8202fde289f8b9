// Cross-thread wake: main thread -> worker -> main round trips, back to back.
// Compares, in one run: remote BHs into a worker context (driven mode, a
// poll(true) loop, and a poll(true) loop with poll-max-ns 32768 on both
// sides) against an Atomics.wait/notify ping-pong (the blocking floor), a
// MessagePort ping-pong, and a pure shared-memory spin (the polling floor).
// Reported for threads pinned to different CPUs and to the same CPU; one way
// is about RT/2. Read p50 ratios against the Atomics floor.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { AioContext, thread } from '../dist/index.js';
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

async function remoteBh(mode, cpus, shrink = 0) {
  const ctx = new AioContext();
  const polling = mode === 'poll-polling' || mode === 'driven-polling';
  if (polling) ctx.setPollParams({ maxNs: 32768, shrink });
  let got = 0;
  const pong = ctx.remoteBhNew(() => got++);
  const worker = new Worker(url, { workerData: { mode, pong: pong.token, cpu: cpus[1], shrink } });
  const exited = once(worker, 'exit');
  const [{ ping, quit }] = await once(worker, 'message');
  const { scheduleRemoteBh } = await import('../dist/index.js');
  await new Promise((r) => setTimeout(r, 20));
  let i0 = 0;
  if (polling) {
    // Polling warm-up (see bench/README.md): the main side answers at once
    // (poll(false) spin), so each side's wait for the other is short and
    // QEMU's grow rule, unchanged, raises poll_ns on both sides to
    // poll-max-ns. The timed rounds below then start in the state the target
    // is about (work arriving inside the polling window); with the old
    // blocking-only warm-up, one slow first wake (> poll-max-ns) left both
    // sides at poll_ns = 0 for the whole run.
    for (; i0 < WARM; i0++) {
      scheduleRemoteBh(ping);
      while (got <= i0) ctx.poll(false);
    }
  }
  const before = ctx.stats;
  const rt = [];
  for (let i = i0 + 1; i <= i0 + ROUNDS + WARM; i++) {
    const t0 = performance.now();
    scheduleRemoteBh(ping);
    while (got < i) ctx.poll(true);
    if (i > i0 + WARM) rt.push((performance.now() - t0) * 1e6);
  }
  const after = ctx.stats;
  scheduleRemoteBh(quit);
  await exited;
  ctx.destroy();
  const res = summary(rt);
  if (polling) {
    // Main side only: how often it blocked, and poll_ns at the end (0 = fell back).
    res.note = `main: ${after.blockingWaits - before.blockingWaits} blocking waits, poll_ns at end ${after.pollNs}`;
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
      'remote BH, poll-max-ns 32768 (poll loops)': await remoteBh('poll-polling', cpus),
      'remote BH, poll-max-ns 32768, poll-shrink 2 (poll loops)': await remoteBh('poll-polling', cpus, 2),
      'remote BH, poll-max-ns 32768 (driven worker)': await remoteBh('driven-polling', cpus),
      'shared-memory spin (polling floor)': await atomicsOrSpin('spin', cpus),
    };
    console.log(`-- ${label}`);
    const floor = res['Atomics.wait/notify (floor)'].p50;
    for (const [k, v] of Object.entries(res)) {
      line(`${k}`, `${(v.p50 / 1000).toFixed(2)} / ${(v.p99 / 1000).toFixed(1)}`, 'p50/p99', `x${(v.p50 / floor).toFixed(2)} of Atomics${v.note ? '; ' + v.note : ''}`);
    }
    if (label === 'cross CPU') {
      // QEMU's default poll-shrink (0) drops poll_ns to 0 after one round
      // trip longer than poll-max-ns (a preemption is enough), and a
      // blocking round trip (~100 µs) never lets it grow back: both sides
      // then stay blocking. poll-shrink 2 (QEMU's own knob) halves instead.
      const spin = res['shared-memory spin (polling floor)'].p50;
      for (const k of ['remote BH, poll-max-ns 32768 (poll loops)', 'remote BH, poll-max-ns 32768, poll-shrink 2 (poll loops)']) {
        const pol = res[k].p50;
        verdict(pol <= 15 * spin && floor / pol >= 20,
          `${k}: ${(pol / spin).toFixed(1)}x the spin floor (target <= 15x), ${(floor / pol).toFixed(0)}x faster than Atomics (target >= 20x)`);
      }
    }
  }
  thread.setAffinity(all);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
