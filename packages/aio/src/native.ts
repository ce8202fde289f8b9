/**
 * Loads native/aio.c and gives it a type.
 *
 * The addon is built by node-gyp on `npm install` into build/Release; the
 * same relative path works from src/ (tests) and dist/ (the bundle). On a
 * platform without epoll, eventfd and timerfd, importing this module (and so
 * `@loop/aio`) throws a NativeBackendUnavailableError that names the
 * platform and what is missing: the package never degrades silently.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { NativeBackendUnavailableError, SystemCallError } from './errors.js';

/**
 * Counters kept by the addon for the calling thread (plus one process-wide total).
 *
 * @qemu none
 * @since 0.1.0
 */
export interface NativeCounters {
  /** Distinct per Node environment (main thread, each worker). */
  readonly instanceId: number;
  /** fds opened through the addon by this thread and not yet closed. */
  readonly fdsOpen: number;
  /** uv_poll handles not yet closed. */
  readonly pollsActive: number;
  readonly epollWaits: number;
  /** epoll waits with a nonzero timeout. */
  readonly blockingWaits: number;
  /** eventfd writes made by this thread. */
  readonly eventfdWrites: number;
  /** uv_poll callbacks delivered to this thread. */
  readonly pollCallbacks: number;
  readonly timerfdSets: number;
  /** Driven loops not yet closed. */
  readonly drivesActive: number;
  /** Blocking waits inside the driven loop (native, in the uv_prepare callback). */
  readonly driveWaits: number;
  /** JS dispatches made by the driven loop (one per batch of ready events). */
  readonly driveBatches: number;
  /** Times the driven loop handed control back to libuv. */
  readonly driveReturns: number;
  /** eventfd writes by all threads of the process. */
  readonly processEventfdWrites: number;
}

/** An opaque uv_poll handle. */
export type PollHandle = { readonly __pollHandle: unique symbol };

/** The typed surface of native/aio.c. Calls returning a number give -errno on failure. */
export interface NativeAio {
  eventfd(initial?: number): number;
  eventfdWrite(fd: number): number;
  eventfdRead(fd: number): number;
  close(fd: number): number;
  epollCreate(): number;
  epollCtl(epfd: number, op: number, fd: number, events: number): number;
  epollWait(epfd: number, timeoutNs: number, out: Int32Array): number;
  /**
   * Registers shared-memory stores to run when this thread's environment is
   * torn down: quads (op, index, a, b) on `view`, op 1 compare-exchange a → b,
   * 2 store a, 3 wait up to a µs for the word to be 0, 4 add a, 5 write the
   * eventfd in word a counting itself in the word. Returns an id (> 0).
   */
  atExit(view: Int32Array, ops: Int32Array): number;
  /** Drops an atExit registration; 1 if it was there. */
  atExitCancel(id: number): number;
  nowNs(): number;
  hostNs(): number;
  timerfdCreate(): number;
  timerfdSet(fd: number, deadlineNs: number): number;
  timerfdRead(fd: number): number;
  vclockGet(): number;
  vclockRunning(): boolean;
  vclockSet(ns: number, relative: boolean): number;
  vclockRun(running: boolean): boolean;
  vclockWatch(fd: number, on: boolean): number;
  pollStart(fd: number, cb: () => void): PollHandle;
  pollStop(h: PollHandle): void;
  pollRef(h: PollHandle, ref: boolean): void;
  uvBackendFd(): number;
  driveStart(ctxEpfd: number, cb: () => boolean): PollHandle | number;
  driveStop(h: PollHandle): void;
  gettid(): number;
  setThreadName(name: string): number;
  getThreadName(): string;
  setAffinity(cpus: readonly number[]): number;
  getAffinity(): number[] | number;
  getCpu(): number;
  counters(): NativeCounters;
  readonly constants: {
    readonly EPOLLIN: number;
    readonly EPOLLOUT: number;
    readonly EPOLLERR: number;
    readonly EPOLLHUP: number;
    readonly EPOLLRDHUP: number;
    readonly EPOLLET: number;
    readonly EPOLL_CTL_ADD: number;
    readonly EPOLL_CTL_DEL: number;
    readonly EPOLL_CTL_MOD: number;
  };
}

function load(): NativeAio {
  if (process.platform !== 'linux') {
    throw new NativeBackendUnavailableError(
      `@loop/aio needs Linux: epoll, eventfd and timerfd are not available on platform '${process.platform}'`,
    );
  }
  const require = createRequire(import.meta.url);
  let mod: NativeAio & { unsupported?: boolean };
  try {
    mod = require('../build/Release/loop_aio.node') as NativeAio & { unsupported?: boolean };
  } catch (cause) {
    throw new NativeBackendUnavailableError(
      `@loop/aio: the native addon build/Release/loop_aio.node could not be loaded on ${process.platform}-${process.arch} ` +
        `(run \`npm rebuild @loop/aio\` with npm_config_nodedir=/usr): ${(cause as Error).message}`,
      cause,
    );
  }
  if (mod.unsupported === true) {
    throw new NativeBackendUnavailableError(
      `@loop/aio needs Linux: the addon was built without epoll, eventfd and timerfd on platform '${process.platform}'`,
    );
  }
  return mod;
}

/** The addon, loaded once per thread. */
export const native: NativeAio = load();

/** Throws a SystemCallError when `rc` is a negative errno; returns it otherwise. */
export function check(rc: number, syscall: string, fd?: number): number {
  if (rc < 0) throw new SystemCallError(syscall, -rc, fd);
  return rc;
}
