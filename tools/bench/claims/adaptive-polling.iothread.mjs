// @ts-check
/**
 * Loaded into the IOThread by adaptive-polling.mjs (`iothread.import()`):
 * the device side of a request/completion stream. It consumes the request
 * ring on the iothread's own AioContext, the way a device model consumes a
 * virtqueue (a poll handler checks the ring without a system call, the
 * doorbell eventfd wakes a sleeping loop), and answers each request on the
 * completion ring, which the main thread's context consumes.
 *
 * The rings' SharedArrayBuffers cannot travel through `handle.call` (its
 * arguments are v8-serialized, which refuses shared memory), so they are
 * handed over once, at setup, on a BroadcastChannel. Nothing on the measured
 * path uses it.
 *
 * @module
 */
import { BroadcastChannel } from 'node:worker_threads';
import { AioContext, Ring } from '@loop/aio';

/** @type {BroadcastChannel | undefined} */
let channel;
/** @type {Promise<{ req: import('@loop/aio').RingData, cpl: import('@loop/aio').RingData }> | undefined} */
let received;
/** @type {Ring | undefined} */
let reqRing;

/**
 * Step 1: subscribe before the main thread posts (a BroadcastChannel only
 * delivers to channels that exist when the message is sent).
 * @param {string} name
 */
export function listen(name) {
  channel = new BroadcastChannel(name);
  const ch = channel;
  received = new Promise((resolve) => {
    ch.onmessage = (/** @type {unknown} */ ev) => resolve(/** @type {{ data: any }} */ (ev).data);
  });
}

/** Step 2: take the rings and start answering; resolves when installed. */
export async function install() {
  if (!received || !channel) throw new Error('listen() first');
  const { req, cpl } = await received;
  channel.close();
  const ctx = AioContext.current();
  reqRing = Ring.from(req);
  const cplRing = Ring.from(cpl);
  ctx.setRingHandler(reqRing, (items, n) => {
    // The completion ring is larger than any queue depth used, so a failed
    // push can only be transient; spinning keeps every request answered.
    for (let i = 0; i < n; i++) while (!cplRing.push(items[i])) {}
  });
  return true;
}

/** Stops answering (before the iothread is deleted). */
export function uninstall() {
  if (reqRing) AioContext.current().setRingHandler(reqRing, null);
  reqRing = undefined;
}
