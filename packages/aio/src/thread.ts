/**
 * Thread utilities from the addon: the OS thread id, thread names and CPU
 * affinity of the calling thread, and the addon's counters.
 *
 * @module
 */
import { check, native, type NativeCounters } from './native.js';

/**
 * The calling thread, as the OS sees it.
 *
 * @qemu qemu_get_thread_id, qemu_thread_set_name, (CPU affinity has no QEMU helper)
 * @since 0.1.0
 */
export const thread = {
  /** The kernel thread id (what `query-iothreads` reports as `thread-id`). */
  get id(): number {
    return native.gettid();
  },
  /** The thread's name (at most 15 bytes are kept). */
  get name(): string {
    return native.getThreadName();
  },
  set name(name: string) {
    check(native.setThreadName(name), 'prctl(PR_SET_NAME)');
  },
  /** The CPUs the calling thread may run on. */
  get affinity(): number[] {
    const r = native.getAffinity();
    if (typeof r === 'number') check(r, 'sched_getaffinity');
    return r as number[];
  },
  /** Pins the calling thread to `cpus`. */
  setAffinity(cpus: readonly number[]): void {
    check(native.setAffinity(cpus), 'sched_setaffinity');
  },
  /** The CPU the calling thread runs on right now. */
  get cpu(): number {
    return native.getCpu();
  },
};

/**
 * The addon's counters for the calling thread (fds open, uv_poll handles,
 * waits, eventfd writes) plus the process-wide eventfd-write total.
 *
 * @qemu none
 * @since 0.1.0
 */
export function nativeCounters(): NativeCounters {
  return native.counters();
}
