/**
 * The shared control block of an AioContext: the words other threads use to
 * take part in the notify_me / notified protocol and to schedule remote BHs.
 *
 * Int32 words:
 *   NOTIFY_ME       bit 0: attached and back in libuv (QEMU's GSource bit);
 *                   bits 1..31: blocking polls in their wait phase, 2 each
 *   NOTIFIED        1 if someone notified since the context last looked
 *   DESTROYED       1 once the context is destroyed (its fds may be reused)
 *   REMOTE_PENDING  1 if some remote-BH bit may be set
 *   CALL_PENDING    1 if the call inbox may hold requests
 *   WRITERS         threads writing the notifier right now (fd-guard.ts)
 */
import { native } from '../native.js';

export const NOTIFY_ME = 0;
export const NOTIFIED = 1;
export const DESTROYED = 2;
export const REMOTE_PENDING = 3;
export const CALL_PENDING = 4;
export const WRITERS = 5;
export const CONTROL_WORDS = 8;

/** Remote BHs per context (bits of the remote-BH bitmap). */
export const REMOTE_BH_CAPACITY = 4096;

/**
 * aio_notify from any thread: set `notified`, and write the eventfd only if
 * the home thread is (about to be) blocked and nobody has written since it
 * last looked. Pairs with the Atomics.add(NOTIFY_ME) + Atomics.load(NOTIFIED)
 * of the waiting side: sequentially consistent atomics make it a Dekker
 * handshake, so one of the two always sees the other.
 */
export function notifyControl(control: Int32Array, notifierFd: number): boolean {
  if (Atomics.exchange(control, NOTIFIED, 1) !== 0) return false;
  if (Atomics.load(control, NOTIFY_ME) === 0) return false;
  // Not after destroy(): its notifier fd number may belong to another file
  // by then (the bracket of fd-guard.ts, written out: a JavaScript call
  // between the exchange above and the write is a point where
  // worker.terminate() can stop this thread, leaving NOTIFIED set and the
  // context never woken again).
  Atomics.add(control, WRITERS, 1);
  const open = Atomics.load(control, DESTROYED) === 0;
  if (open) native.eventfdWrite(notifierFd);
  Atomics.sub(control, WRITERS, 1);
  return open;
}
