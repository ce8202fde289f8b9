/**
 * The cross-thread side of an AioContext (tokio's Handle to its Driver).
 *
 * A ContextHandle is plain data and SharedArrayBuffers only, so it survives
 * `postMessage` (post the handle itself, or `handle.data`) and is rebuilt in
 * the receiving thread with {@link ContextHandle.from}; that thread needs no
 * context of its own. From any thread it can notify the context and
 * schedule remote BHs. Nothing here sends a MessagePort message: every
 * operation is a few atomic operations on shared memory plus, only when the
 * home thread sleeps, one eventfd write.
 *
 * @module
 */
import { callInto } from './call.js';
import type { AioContextStats } from './context.js';
import { CONTROL_WORDS, DESTROYED, REMOTE_PENDING, notifyControl } from './internal/control.js';

/**
 * What a remote BH is scheduled by: plain data, valid in any thread until
 * the BH is deleted.
 *
 * @qemu none (QEMU schedules a QEMUBH from any thread by pointer)
 * @since 0.1.0
 */
export interface RemoteBhToken {
  readonly type: 'loop-aio-remote-bh';
  /** Bit index in the context's remote-BH bitmap. */
  readonly index: number;
  readonly notifierFd: number;
  readonly control: SharedArrayBuffer;
  readonly bits: SharedArrayBuffer;
}

/**
 * The plain form of a ContextHandle.
 *
 * @qemu none
 * @since 0.1.0
 */
export interface ContextHandleData {
  readonly type: 'loop-aio-context-handle';
  readonly name: string;
  readonly notifierFd: number;
  readonly control: SharedArrayBuffer;
  readonly bits: SharedArrayBuffer;
  /** Requests and replies of `call()`. */
  readonly calls: SharedArrayBuffer;
  /** The context's counters, published after each iteration (8 float64). */
  readonly stats: SharedArrayBuffer;
}

const views = new WeakMap<SharedArrayBuffer, Int32Array>();
function view(sab: SharedArrayBuffer): Int32Array {
  let v = views.get(sab);
  if (v === undefined) {
    v = new Int32Array(sab);
    views.set(sab, v);
  }
  return v;
}

/**
 * Schedules a remote BH from any thread: an atomic OR of its bit, a
 * "pending" store, and a notify that writes the eventfd only when the home
 * thread is blocked. Scheduling it many times before it runs gives one run;
 * a schedule that races with a run gives at least one run after it.
 *
 * @qemu qemu_bh_schedule (called from another thread)
 * @example
 * // in a worker, with `token` received from the home thread:
 * scheduleRemoteBh(token);
 * @since 0.1.0
 */
export function scheduleRemoteBh(token: RemoteBhToken): void {
  const control = view(token.control);
  if (Atomics.load(control, DESTROYED) !== 0) return;
  const bits = view(token.bits);
  Atomics.or(bits, token.index >> 5, 1 << (token.index & 31));
  // Publish after the bit (pairs with the exchange of REMOTE_PENDING, then of
  // each bitmap word, in the home thread's drain).
  Atomics.store(control, REMOTE_PENDING, 1);
  notifyControl(control, token.notifierFd);
}

/**
 * A transferable handle on an AioContext, usable from any thread.
 *
 * @qemu none (QEMU shares the AioContext pointer between threads)
 *
 * **Threads** Any. Created by {@link AioContext.handle} on the home thread.
 * @example
 * // home thread
 * worker.postMessage({ handle: ctx.handle(), token: ctx.remoteBhNew(flush).token });
 * // worker
 * const h = ContextHandle.from(msg.handle);
 * scheduleRemoteBh(msg.token);
 * h.notify();
 * @since 0.1.0
 */
export class ContextHandle implements ContextHandleData {
  readonly type = 'loop-aio-context-handle' as const;
  readonly name: string;
  readonly notifierFd: number;
  readonly control: SharedArrayBuffer;
  readonly bits: SharedArrayBuffer;
  readonly calls: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;

  /** @internal Use {@link AioContext.handle} or {@link ContextHandle.from}. */
  constructor(data: ContextHandleData) {
    this.name = data.name;
    this.notifierFd = data.notifierFd;
    this.control = data.control;
    this.bits = data.bits;
    this.calls = data.calls;
    this.stats = data.stats;
  }

  /**
   * Rebuilds a handle received from another thread (a posted ContextHandle
   * arrives as plain data).
   *
   * @throws {TypeError} when `data` is not a context handle.
   */
  static from(data: ContextHandleData): ContextHandle {
    if (
      data === null ||
      typeof data !== 'object' ||
      data.type !== 'loop-aio-context-handle' ||
      !(data.control instanceof SharedArrayBuffer) ||
      data.control.byteLength < CONTROL_WORDS * 4
    ) {
      throw new TypeError('ContextHandle.from: not the data of a ContextHandle');
    }
    return data instanceof ContextHandle ? data : new ContextHandle(data);
  }

  /** The plain data (what `postMessage` carries). */
  get data(): ContextHandleData {
    return {
      type: this.type,
      name: this.name,
      notifierFd: this.notifierFd,
      control: this.control,
      bits: this.bits,
      calls: this.calls,
      stats: this.stats,
    };
  }

  /**
   * The context's counters as of its last completed iteration (see
   * {@link AioContext.stats}); readable from any thread.
   */
  readStats(): AioContextStats {
    const s = new Float64Array(this.stats);
    return {
      pollNs: s[0]!,
      pollHits: s[1]!,
      pollMisses: s[2]!,
      blockingWaits: s[3]!,
      iterations: s[4]!,
      bhsDispatched: s[5]!,
      timersDispatched: s[6]!,
      fdDispatched: s[7]!,
      timerWakeAheadNs: s[8]!,
      timerSpinNs: s[9]!,
    };
  }

  /**
   * The token of the context's remote BH number `index` (`bh.token.index` in
   * the home thread). A token holds SharedArrayBuffers, which `handle.call`
   * cannot carry (its messages are v8-serialized bytes in shared memory);
   * a thread that already holds the handle rebuilds the token from the
   * index instead.
   *
   * @qemu none
   */
  remoteBhToken(index: number): RemoteBhToken {
    if (!Number.isInteger(index) || index < 0) throw new TypeError(`remoteBhToken: ${index} is not a remote BH index`);
    return { type: 'loop-aio-remote-bh', index, notifierFd: this.notifierFd, control: this.control, bits: this.bits };
  }

  /** Whether the context has been destroyed. */
  get destroyed(): boolean {
    return Atomics.load(view(this.control), DESTROYED) !== 0;
  }

  /**
   * Wakes the context if it sleeps; see {@link AioContext.notify}. Returns
   * whether this call wrote the eventfd (false when the context is awake,
   * was already notified, or is destroyed).
   *
   * @qemu aio_notify
   */
  notify(): boolean {
    return notifyControl(view(this.control), this.notifierFd);
  }

  /**
   * Schedules a remote BH of this context; see {@link scheduleRemoteBh}.
   *
   * @qemu qemu_bh_schedule
   */
  scheduleRemoteBh(token: RemoteBhToken): void {
    scheduleRemoteBh(token);
  }

  /**
   * Runs `exportName` of the ES module at `moduleUrl` in the context's home
   * thread with `args` (structured-cloneable) and resolves with its result
   * (awaited if it is a promise). A thrown error rejects the promise with an
   * Error of the same name, message, stack and `code`. Requests and replies
   * go through shared memory, not MessagePort.
   *
   * @qemu none (QEMU code calls across threads with aio_bh_schedule_oneshot + a wait)
   *
   * **Threads** Any thread, with or without an AioContext. The home context
   * must be attached (or otherwise return to Node's loop): the call's
   * module import and promise run there between dispatches.
   *
   * **Gotchas** One request may be at most about 256 KiB serialized; at most
   * 8 threads can call into one context.
   * @example
   * const sum = await handle.call(new URL('./math.js', import.meta.url).href, 'add', 1, 2);
   */
  call(moduleUrl: string | URL, exportName: string, ...args: unknown[]): Promise<unknown> {
    return callInto(this.calls, view(this.control), this.notifierFd, String(moduleUrl), exportName, args);
  }
}
