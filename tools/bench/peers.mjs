// @ts-check
/**
 * @loop/thread-pool against the pools users pick today (piscina, tinypool)
 * and against Node's own primitives as the floor, in one process:
 *
 * - round trip: one no-op task at a time on a 1-thread pool, submit to
 *   result; the floors are an Atomics.wait/notify ping-pong and a
 *   MessagePort echo to a worker (the cheapest blocking hand-off and what a
 *   postMessage pool pays at least), plus setImmediate and setTimeout(0)
 *   hops (the cheapest way back into the event loop at all). Pinned: main
 *   and worker on different CPUs, then both on one CPU.
 * - throughput: N no-op tasks submitted at once on 2 threads; floor: one
 *   postMessage per task to 2 echo workers. Unpinned, then everything on
 *   one CPU (workers inherit the main thread's affinity when they start).
 * - burst after idle: 2-thread pools left idle (threads alive), then 32
 *   tasks at once: time to the first result and to the last.
 *
 * Every peer is warmed up first, then the peers take turns in 3 rounds
 * (the order rotating each round); the figure is the median of the three
 * rounds' values, and p99 the median of their p99s.
 *
 * @module
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { AioContext, thread } from '@loop/aio';
import { defineTask, getThreadPool } from '@loop/thread-pool';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import { runChild } from './child.mjs';
import { waitQuiet } from './quiet.mjs';
import { medianOfRuns, summarize } from './stats.mjs';

const TASKS = new URL('./tasks.mjs', import.meta.url);
const FLOOR = new URL('./workers/floor.worker.mjs', import.meta.url);
const ROUNDS = 3;
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A peer under test: `one()` runs one task and resolves when its result is
 * back; `close()` releases its threads.
 * @typedef {object} Peer
 * @property {string} name
 * @property {'pool' | 'floor'} kind
 * @property {() => Promise<unknown> | void} one
 * @property {(() => Promise<void>)} [many]  N at once, for floors that cannot use `one` concurrently
 * @property {() => Promise<unknown>} close
 */

/** @type {AioContext} */
let ctx;

/**
 * The three pools, each with `threads` threads, all running tasks.mjs.
 * @param {number} threads
 * @param {number[] | undefined} pinTo  pin each (1-thread) pool's worker here
 * @returns {Promise<Peer[]>}
 */
async function pools(threads, pinTo) {
  ctx.setThreadPoolParams({ min: threads, max: threads });
  const loop = getThreadPool(ctx);
  const noop = defineTask(TASKS, 'noop');
  const pin = defineTask(TASKS, 'pin');
  const opts = { filename: TASKS.href, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 };
  const pisc = new Piscina(opts);
  const tiny = new Tinypool(opts);
  if (pinTo) {
    // One worker each: the pin task lands on it. Check it, since a wrong
    // placement would silently change what the row means.
    const got = [await loop.submit(pin, pinTo), await pisc.run(pinTo, { name: 'pin' }), await tiny.run(pinTo, { name: 'pin' })];
    for (const g of got) if (JSON.stringify(g) !== JSON.stringify(pinTo)) throw new Error(`pool worker not pinned: ${JSON.stringify(g)}`);
  }
  return [
    { name: '@loop/thread-pool', kind: 'pool', one: () => loop.submit(noop), close: () => loop.close() },
    { name: 'piscina', kind: 'pool', one: () => pisc.run(undefined, { name: 'noop' }), close: () => pisc.destroy() },
    { name: 'tinypool', kind: 'pool', one: () => tiny.run(undefined, { name: 'noop' }), close: () => tiny.destroy() },
  ];
}

/**
 * An echo worker (MessagePort floor); `one()` posts and awaits the echo.
 * @param {number | undefined} cpu
 */
async function portWorker(cpu) {
  const w = new Worker(FLOOR, { workerData: { mode: 'port', cpu } });
  await once(w, 'message');
  /** @type {(() => void)[]} */
  const waiting = [];
  w.on('message', () => waiting.shift()?.());
  let seq = 0;
  return {
    w,
    one: () => new Promise((/** @type {(v?: unknown) => void} */ r) => {
      waiting.push(r);
      w.postMessage(++seq);
    }),
    close: async () => {
      w.postMessage(-1);
      await once(w, 'exit');
    },
  };
}

/**
 * The Atomics.wait/notify ping-pong floor. Synchronous on the main thread:
 * it blocks while the worker answers, as the floor should.
 * @param {number | undefined} cpu
 * @returns {Promise<Peer>}
 */
async function atomicsPeer(cpu) {
  const sab = new SharedArrayBuffer(8);
  const a = new Int32Array(sab);
  const w = new Worker(FLOOR, { workerData: { mode: 'atomics', sab, cpu } });
  await once(w, 'online');
  let i = 0;
  return {
    name: 'Atomics.wait/notify',
    kind: 'floor',
    one: () => {
      const want = ++i;
      Atomics.store(a, 0, want);
      Atomics.notify(a, 0);
      // Wait on the value just read (see floor.worker.mjs).
      for (let v; (v = Atomics.load(a, 1)) !== want; ) Atomics.wait(a, 1, v, 1000);
    },
    close: async () => {
      Atomics.store(a, 0, -1);
      Atomics.notify(a, 0);
      await once(w, 'exit');
    },
  };
}

/** @returns {Peer[]} the same-thread floors */
function loopHops() {
  return [
    { name: 'setImmediate hop', kind: 'floor', one: () => new Promise((r) => setImmediate(r)), close: async () => {} },
    { name: 'setTimeout(0) hop', kind: 'floor', one: () => new Promise((r) => setTimeout(r, 0)), close: async () => {} },
  ];
}

/**
 * Times `n` sequential `one()` calls, in µs.
 * @param {Peer} p @param {number} n
 */
async function timeSequential(p, n) {
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await p.one();
    lat[i] = (performance.now() - t0) * 1000;
  }
  return summarize(lat);
}

/**
 * Round trips with the peers taking turns.
 * @param {Peer[]} peers @param {number} n @param {number} warm
 */
async function roundTrips(peers, n, warm) {
  for (const p of peers) await timeSequential(p, p.name.startsWith('setTimeout') ? Math.min(warm, 50) : warm);
  /** @type {Record<string, import('./stats.mjs').Summary[]>} */
  const runs = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < peers.length; k++) {
      const p = peers[(k + r) % peers.length];
      // setTimeout(0) costs ~1 ms a hop: fewer samples keep the run short.
      (runs[p.name] ??= []).push(await timeSequential(p, p.name.startsWith('setTimeout') ? Math.min(n, 200) : n));
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, medianOfRuns(v)]));
}

/**
 * Tasks per second with `n` submitted at once.
 * @param {Peer} p @param {number} n
 */
async function timeAtOnce(p, n) {
  const t0 = performance.now();
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = p.one();
  await Promise.all(ps);
  return n / ((performance.now() - t0) / 1000);
}

/**
 * Two echo workers fed round-robin: the MessagePort floor for a 2-thread pool.
 * @param {number | undefined} cpu
 * @returns {Promise<Peer>}
 */
async function portPair(cpu) {
  const ws = [await portWorker(cpu), await portWorker(cpu)];
  let k = 0;
  return { name: 'MessagePort, 2 echo workers', kind: 'floor', one: () => ws[k++ & 1].one(), close: async () => void (await Promise.all(ws.map((w) => w.close()))) };
}

/**
 * @param {Peer[]} peers @param {number} n
 */
async function throughput(peers, n) {
  for (const p of peers) await timeAtOnce(p, Math.max(1000, n / 5));
  /** @type {Record<string, number[]>} */
  const runs = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < peers.length; k++) {
      const p = peers[(k + r) % peers.length];
      (runs[p.name] ??= []).push(await timeAtOnce(p, n));
    }
  }
  return runs;
}

/**
 * Bursts after idle: `count` per peer, interleaved.
 * @param {Peer[]} peers @param {number} count @param {number} gapMs @param {number} size
 */
async function bursts(peers, count, gapMs, size) {
  /** @type {Record<string, { firstUs: number[], allUs: number[] }>} */
  const out = {};
  for (const p of peers) await timeAtOnce(p, size);
  for (let b = 0; b < count; b++) {
    for (const p of peers) {
      await sleep(gapMs);
      const t0 = performance.now();
      let first = 0;
      const ps = [];
      for (let i = 0; i < size; i++) ps.push(Promise.resolve(p.one()).then(() => void (first ||= performance.now())));
      await Promise.all(ps);
      const e = (out[p.name] ??= { firstUs: [], allUs: [] });
      e.firstUs.push((first - t0) * 1000);
      e.allUs.push((performance.now() - t0) * 1000);
    }
  }
  return out;
}

/** @param {Peer[]} peers */
async function closeAll(peers) {
  for (const p of peers) await p.close();
}

runChild(async ({ quick, quietMaxMs }) => {
  const all = thread.affinity;
  ctx = new AioContext({ name: 'bench-peers' });
  ctx.attach();
  const rtN = quick ? 300 : 3000;
  const warm = quick ? 200 : 1000;
  const tputN = quick ? 3000 : 30_000;

  /** @type {Record<string, unknown>} */
  const roundTrip = {};
  /** @type {Record<string, number>} */
  const bg = {};
  const rtPlacements = all.length >= 2 ? [['cross', all[0], all[1]], ['same', all[0], all[0]]] : [['same', all[0], all[0]]];
  for (const [placement, mainCpu, workerCpu] of /** @type {[string, number, number][]} */ (rtPlacements)) {
    thread.setAffinity([mainCpu]);
    const peers = [...(await pools(1, [workerCpu])), await atomicsPeer(workerCpu), { name: 'MessagePort', kind: /** @type {const} */ ('floor'), ...(await portWorker(workerCpu)) }, ...loopHops()];
    bg[`roundTrip.${placement}`] = waitQuiet({ maxMs: quietMaxMs });
    roundTrip[placement] = await roundTrips(peers, rtN, warm);
    await closeAll(peers);
    thread.setAffinity(all);
  }

  /** @type {Record<string, unknown>} */
  const tput = {};
  for (const [placement, cpus] of /** @type {[string, number[]][]} */ ([['free', all], ['one CPU', [all[0]]]])) {
    // Workers start in the pools' constructors and inherit this affinity.
    thread.setAffinity(cpus);
    const peers = [...(await pools(2, undefined)), await portPair(cpus.length === 1 ? cpus[0] : undefined)];
    bg[`throughput.${placement}`] = waitQuiet({ maxMs: quietMaxMs });
    tput[placement] = await throughput(peers, tputN);
    await closeAll(peers);
    thread.setAffinity(all);
  }

  const burstPeers = [...(await pools(2, undefined)), await portPair(undefined)];
  bg.burst = waitQuiet({ maxMs: quietMaxMs });
  const gapMs = quick ? 50 : 200;
  const burst = await bursts(burstPeers, quick ? 3 : 12, gapMs, 32);
  await closeAll(burstPeers);
  ctx.destroy();
  return { rounds: ROUNDS, rtN, tputN, burstSize: 32, burstGapMs: gapMs, roundTrip, throughput: tput, burst, bgCores: bg };
});
