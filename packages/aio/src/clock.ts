/**
 * Clocks: REALTIME, VIRTUAL and HOST, and the process-wide VIRTUAL clock.
 *
 * All values are nanoseconds as a `number`. REALTIME is CLOCK_MONOTONIC
 * counted from the moment the addon was first loaded in the process (the same
 * origin in every thread). HOST is CLOCK_REALTIME in nanoseconds since the
 * epoch; as a double it has a resolution of 256 ns at today's dates, and it
 * jumps when the system time is set. VIRTUAL lives in the addon's process
 * memory, so every thread reads one value: it starts stopped at 0 and moves
 * only when code calls {@link virtualClock} (`set`, `advance`), or with
 * REALTIME between `resume()` and `pause()`.
 *
 * @module
 */
import { native } from './native.js';

/**
 * The clocks a timer can run on. The numbers are QEMU's.
 *
 * @qemu QEMUClockType (QEMU_CLOCK_REALTIME, QEMU_CLOCK_VIRTUAL, QEMU_CLOCK_HOST)
 * @since 0.1.0
 */
export const ClockType = {
  /** Host monotonic time; never stops. */
  REALTIME: 0,
  /** The process-wide virtual clock, driven by {@link virtualClock}. */
  VIRTUAL: 1,
  /** Host wall-clock time; follows changes of the system time. */
  HOST: 2,
} as const;
/** @qemu QEMUClockType @since 0.1.0 */
export type ClockType = (typeof ClockType)[keyof typeof ClockType];

/**
 * Nanoseconds per unit of a timer's expiry value.
 *
 * @qemu SCALE_NS, SCALE_US, SCALE_MS
 * @since 0.1.0
 */
export const Scale = { NS: 1, US: 1_000, MS: 1_000_000 } as const;
/** @qemu SCALE_* @since 0.1.0 */
export type Scale = (typeof Scale)[keyof typeof Scale];

/**
 * The largest nanosecond value kept exactly (2^53 - 1): REALTIME and
 * VIRTUAL parameters above it are clamped to it. HOST values (about 1.8e18
 * today) are beyond it anyway; they are clamped to 2^63 and have the
 * double's resolution (256 ns at today's dates).
 *
 * @qemu none (QEMU keeps int64 nanoseconds)
 * @since 0.1.0
 */
export const MAX_NS = Number.MAX_SAFE_INTEGER;
const MAX_HOST_NS = 2 ** 63;

/** @internal Clamps a nanosecond parameter into [0, 2^53 - 1] ([0, 2^63] for HOST). */
export function clampNs(ns: number, clock: ClockType = 0): number {
  if (!(ns > 0)) return 0;
  const max = clock === 2 ? MAX_HOST_NS : MAX_NS;
  return ns > max ? max : Math.floor(ns);
}

/**
 * Reads a clock, in nanoseconds.
 *
 * @qemu qemu_clock_get_ns
 * @example
 * const t = clockGetNs(ClockType.REALTIME);
 * @since 0.1.0
 */
export function clockGetNs(type: ClockType): number {
  switch (type) {
    case ClockType.REALTIME:
      return native.nowNs();
    case ClockType.VIRTUAL:
      return native.vclockGet();
    case ClockType.HOST:
      return native.hostNs();
    default:
      throw new RangeError(`unknown clock type ${String(type)}`);
  }
}

/**
 * The process-wide VIRTUAL clock: the deterministic test clock.
 *
 * @qemu none (QEMU's VIRTUAL clock follows the guest; this one follows code)
 *
 * **Threads** Any thread; all threads see one value.
 *
 * **Details** Every change wakes every AioContext in the process, which then
 * runs the VIRTUAL timers that became due, in deadline order within each
 * context. While stopped, a VIRTUAL timer that is not yet due gives no
 * deadline (nothing would make it due but code).
 *
 * @example
 * virtualClock.set(0);
 * timer.modNs(1_000);
 * virtualClock.advance(1_000); // the timer fires at the context's next poll
 * @since 0.1.0
 */
export const virtualClock = {
  /** The current value, in nanoseconds. */
  get ns(): number {
    return native.vclockGet();
  },
  /** Whether the clock follows REALTIME (between `resume()` and `pause()`). */
  get running(): boolean {
    return native.vclockRunning();
  },
  /** Sets the clock (clamped to [0, 2^53 - 1]); returns the new value. */
  set(ns: number): number {
    return native.vclockSet(clampNs(ns), false);
  },
  /** Moves the clock forward by `ns` (clamped); returns the new value. */
  advance(ns: number): number {
    return native.vclockSet(clampNs(ns), true);
  },
  /** Stops the clock at its current value. */
  pause(): void {
    native.vclockRun(false);
  },
  /** Lets the clock run with REALTIME from its current value. */
  resume(): void {
    native.vclockRun(true);
  },
};

/**
 * Converts a timeout in nanoseconds to milliseconds, rounding up (-1 stays
 * -1, 0 stays 0, capped at 2^31 - 1).
 *
 * @qemu qemu_timeout_ns_to_ms
 * @since 0.1.0
 */
export function timeoutNsToMs(ns: number): number {
  if (ns < 0) return -1;
  if (ns === 0) return 0;
  return Math.min(Math.ceil(ns / 1e6), 2 ** 31 - 1);
}

/**
 * The sooner of two timeouts, where -1 means "none" and loses to any
 * non-negative value.
 *
 * @qemu qemu_soonest_timeout
 * @since 0.1.0
 */
export function soonestTimeout(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return a < b ? a : b;
}
