// @ts-check
/**
 * Claim 2 (QEMU's adaptive-polling seed: polling for up to ~32 µs before
 * blocking improves IOPS at iodepth 1 and 32).
 *
 * The path a device model would use: an IOThread created through QOM
 * (`objectAdd`, as `-object iothread,...` does), its poll-max-ns changed
 * with `qom-set` while it runs, and a request/completion stream over two
 * shared-memory rings: requests main → iothread on a ring consumed by the
 * iothread's context (poll handler = non-empty check, doorbell eventfd only
 * when it sleeps), completions iothread → main on a ring consumed by the
 * main thread's attached context (which does not poll: QEMU's main loop
 * does not by default either). Queue depth 1 keeps one request in flight;
 * depth 32 refills on every completion. A second series gives the main
 * thread's context the same poll-max-ns: in QEMU's measurement the
 * submitter is a guest vCPU, which KVM's halt polling keeps awake between
 * requests, so "only the iothread polls" understates what the seed measured.
 *
 * Per cell: throughput, p50/p99 latency (submit to completion seen by the
 * main thread) and CPU per request of both threads (schedstat of each
 * thread, in ns), plus the iothread's poll hits/misses and blocking waits.
 * Cells alternate over poll-max-ns and depth inside each run, the order
 * reversed every other run; 3 runs (1 in quick mode) for each placement:
 * main and iothread on different CPUs, and both on one CPU.
 *
 * @module
 */
import { BroadcastChannel } from 'node:worker_threads';
import { AioContext, Ring, nativeCounters, thread } from '@loop/aio';
import { objectAdd, objectDel, objectResolvePath, qomSet } from '@loop/qom';
import '@loop/iothread';
import { runChild } from '../child.mjs';
import { threadCpuIsExact, threadCpuNs, waitQuiet } from '../quiet.mjs';
import { summarize } from '../stats.mjs';

const CODE = new URL('./adaptive-polling.iothread.mjs', import.meta.url).href;
export const POLL_VALUES = [0, 1024, 4096, 8192, 16384, 32768, 65536];
export const DEPTHS = [1, 32];
const SLOTS = 1024;

/**
 * @typedef {object} Cell
 * @property {string} placement
 * @property {number} run
 * @property {number} pollMaxNs
 * @property {number} depth
 * @property {boolean} mainPolls  the main thread's context polls too (same poll-max-ns)
 * @property {number} requests
 * @property {number} perSec
 * @property {number} p50Us
 * @property {number} p99Us
 * @property {number} cpuMainNsPerReq
 * @property {number} cpuIoNsPerReq
 * @property {number} pollHits
 * @property {number} pollMisses
 * @property {number} ioSleeps      blocking waits of the iothread's driven loop
 * @property {number} mainWakes     uv_poll callbacks of the main thread (each a wake from libuv's epoll)
 * @property {number} mainPollHits  polling windows of the main thread's context that found work
 * @property {number} eventfdWrites doorbell writes, all threads
 * @property {number} bgCores
 */

runChild(async ({ quick, quietMaxMs }) => {
  const all = thread.affinity;
  const placements = all.length >= 2 ? [['cross', [all[0]], [all[1]]], ['same', [all[0]], [all[0]]]] : [['same', [all[0]], [all[0]]]];
  const runs = quick ? 1 : 3;
  const measureMs = quick ? 40 : 250;
  const warmMs = quick ? 15 : 50;

  const main = new AioContext({ name: 'bench-claim2-main' });
  main.attach();

  /** @type {Cell[]} */
  const cells = [];
  for (const [placement, mainCpus, ioCpus] of /** @type {[string, number[], number[]][]} */ (placements)) {
    const id = `claim2${placement}`;
    await objectAdd({ 'qom-type': 'iothread', id, 'poll-max-ns': 0 });
    const io = /** @type {import('@loop/iothread').IOThread} */ (objectResolvePath(`/objects/${id}`).obj);
    thread.setAffinity(mainCpus);
    await io.setAffinity(ioCpus);
    await io.import(CODE);
    const req = Ring.create({ kind: 'spsc', slots: SLOTS });
    const cpl = Ring.create({ kind: 'spsc', slots: SLOTS });
    const channelName = `loop-bench-${process.pid}-${id}`;
    await io.aioContext.call(CODE, 'listen', channelName);
    const bc = new BroadcastChannel(channelName);
    bc.postMessage({ req: req.data, cpl: cpl.data });
    bc.close();
    await io.aioContext.call(CODE, 'install');

    // The stream's state, shared by the completion handler and the driver.
    const sentAt = new Float64Array(SLOTS);
    let lat = new Float64Array(1 << 16);
    let nLat = 0;
    let nextId = 0;
    let inFlight = 0;
    let sending = false;
    let recording = false;
    /** @type {(() => void) | null} */
    let drained = null;
    const send = () => {
      sentAt[nextId & (SLOTS - 1)] = performance.now();
      // Depth ≤ 32 of 1024 slots: the ring cannot be full.
      req.push(nextId++ & 0x7fffffff);
      inFlight++;
    };
    main.setRingHandler(cpl, (items, n) => {
      const t = performance.now();
      for (let i = 0; i < n; i++) {
        if (recording) {
          if (nLat === lat.length) {
            const bigger = new Float64Array(lat.length * 2);
            bigger.set(lat);
            lat = bigger;
          }
          lat[nLat++] = (t - sentAt[items[i] & (SLOTS - 1)]) * 1000;
        }
        inFlight--;
        if (sending) send();
      }
      if (inFlight === 0 && drained) drained();
    });

    /**
     * Streams at `depth` for `ms` milliseconds; returns what happened.
     * @param {number} depth @param {number} ms @param {boolean} record
     */
    const stream = async (depth, ms, record) => {
      nLat = 0;
      recording = record;
      sending = true;
      const done = new Promise((/** @type {(v?: unknown) => void} */ r) => (drained = r));
      for (let i = 0; i < depth; i++) send();
      await new Promise((r) => setTimeout(r, ms));
      sending = false;
      await done;
      drained = null;
      recording = false;
      return summarize(lat.subarray(0, nLat));
    };

    for (let run = 0; run < runs; run++) {
      const order = POLL_VALUES.flatMap((p) => DEPTHS.flatMap((d) => [false, true].map((mp) => /** @type {const} */ ([p, d, mp]))));
      if (run % 2 === 1) order.reverse();
      const bg = waitQuiet({ maxMs: quietMaxMs });
      for (const [pollMaxNs, depth, mainPolls] of order) {
        // Polling on both sides at 0 is the same cell as the blocking one.
        if (pollMaxNs === 0 && mainPolls) continue;
        // qom-set on a running iothread: QEMU applies the poll values at once
        // and restarts the adaptive poll time from 0.
        await qomSet(`/objects/${id}`, 'poll-max-ns', pollMaxNs);
        main.setPollParams({ maxNs: mainPolls ? pollMaxNs : 0 });
        await stream(depth, warmMs, false);
        const c0 = await io.contextInfo();
        const n0 = nativeCounters();
        const ms0 = main.stats;
        const m0 = threadCpuNs(process.pid);
        const i0 = threadCpuNs(io.threadId);
        const t0 = performance.now();
        const lat = await stream(depth, measureMs, true);
        const wallS = (performance.now() - t0) / 1000;
        const m1 = threadCpuNs(process.pid);
        const i1 = threadCpuNs(io.threadId);
        const n1 = nativeCounters();
        const ms1 = main.stats;
        const c1 = await io.contextInfo();
        cells.push({
          placement,
          run,
          pollMaxNs,
          depth,
          mainPolls,
          requests: lat.n,
          perSec: lat.n / wallS,
          p50Us: lat.p50,
          p99Us: lat.p99,
          cpuMainNsPerReq: (m1 - m0) / lat.n,
          cpuIoNsPerReq: (i1 - i0) / lat.n,
          pollHits: c1.stats.pollHits - c0.stats.pollHits,
          pollMisses: c1.stats.pollMisses - c0.stats.pollMisses,
          ioSleeps: c1.counters.driveWaits - c0.counters.driveWaits,
          mainWakes: n1.pollCallbacks - n0.pollCallbacks,
          mainPollHits: ms1.pollHits - ms0.pollHits,
          eventfdWrites: n1.processEventfdWrites - n0.processEventfdWrites,
          bgCores: bg,
        });
      }
    }
    main.setRingHandler(cpl, null);
    main.setPollParams({ maxNs: 0 });
    await io.aioContext.call(CODE, 'uninstall');
    await objectDel(id);
    req.close();
    cpl.close();
    thread.setAffinity(all);
  }
  main.destroy();
  return { pollValues: POLL_VALUES, depths: DEPTHS, measureMs, cpuExact: threadCpuIsExact(), cells };
});
