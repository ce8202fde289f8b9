/**
 * Shared-memory stores that the addon runs when this thread's environment is
 * torn down: the worker ends, calls process.exit(), or is terminated (which
 * can stop JavaScript anywhere, `finally` blocks included). A thread uses
 * them to give back what it holds in memory other threads read: a call
 * channel and the request-queue lock (call.ts), and the "closed" marks of
 * the objects it owns, whose fds the addon closes at the same teardown
 * (fd-guard.ts), so other threads stop writing those fd numbers.
 */
import { check, native } from '../native.js';

/** Compare-exchange word[index] from a to b. */
export const EXIT_CAS = 1;
/** Store a. */
export const EXIT_STORE = 2;
/** Wait up to a µs for word[index] to be 0. */
export const EXIT_WAIT_ZERO = 3;
/** Add a. */
export const EXIT_ADD = 4;
/** Write the eventfd held in word[a] (if >= 0), counting itself in word[index] while it does. */
export const EXIT_SIGNAL = 5;

/** The longest an exit hook waits for another thread's guarded section. */
export const EXIT_WAIT_US = 100_000;

/** Registers `quads` (op, index, a, b) on `view`; returns the id for {@link cancelAtExit}. */
export function atExit(view: Int32Array, quads: readonly number[]): number {
  return check(native.atExit(view, Int32Array.from(quads)), 'atExit');
}

/** Drops a registration: the owner has done the work itself. */
export function cancelAtExit(id: number): void {
  if (id > 0) native.atExitCancel(id);
}

/** At this thread's teardown, marks `view[closed]` and waits for writers in `view[writers]` (see fd-guard.ts). */
export function closeAtExit(view: Int32Array, closed: number, writers: number): number {
  return atExit(view, [EXIT_STORE, closed, 1, 0, EXIT_WAIT_ZERO, writers, EXIT_WAIT_US, 0]);
}
