// @ts-check
/**
 * The far side of the Node-primitive floors in peers.mjs: an
 * Atomics.wait/notify ping-pong (the blocking-wake floor: no library can
 * hand work to a sleeping thread faster on this kernel) and a MessagePort
 * echo (what a pool built on postMessage pays at least).
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { thread } from '@loop/aio';

const { mode, cpu } = workerData;
if (cpu !== undefined) thread.setAffinity([cpu]);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

if (mode === 'atomics') {
  // Word 0: request counter written by main; word 1: the answer.
  const w = new Int32Array(workerData.sab);
  let seen = 0;
  for (;;) {
    // Wait on the value just read: re-reading for Atomics.wait could miss a
    // request that landed in between and sleep until the next one.
    let v;
    while ((v = Atomics.load(w, 0)) === seen) Atomics.wait(w, 0, v);
    seen = v;
    if (v === -1) break;
    Atomics.store(w, 1, v);
    Atomics.notify(w, 1);
  }
  port.close();
} else {
  port.on('message', (m) => {
    if (m === -1) port.close();
    else port.postMessage(m);
  });
  port.postMessage('ready');
}
