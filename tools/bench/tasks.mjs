// @ts-check
/**
 * The task module every pool runs in the harness (@loop/thread-pool,
 * piscina and tinypool load the same file, so no pool gets a cheaper task).
 * Plain JS: pool workers import it directly.
 *
 * @module
 */
import { thread } from '@loop/aio';

/** The task whose round trip is measured: nothing but the pool's own path. */
export function noop() {}

/**
 * Pins the worker that runs it (a 1-thread pool has exactly one) and
 * returns the CPUs it may now use, so the caller can check the placement.
 * @param {number[]} cpus
 * @returns {number[]}
 */
export function pin(cpus) {
  thread.setAffinity(cpus);
  return thread.affinity;
}

/** The CPUs the running worker may use (to check inherited placement). */
export function affinity() {
  return thread.affinity;
}
