/**
 * @loop/thread-pool: QEMU's per-AioContext thread pool for Node.js.
 * This file only re-exports.
 *
 * @module
 */
export { ThreadPool, defineTask } from './pool.js';
export type { SubmitOptions, TaskRef } from './pool.js';
export { getThreadPool, peekThreadPool } from './registry.js';
export { AbortError, PoolClosedError, WorkerExitError } from './errors.js';
export type { ThreadPoolOptions } from './options.js';
export { IDLE_TIMEOUT_MS_DEFAULT, WORKER_POLL_MAX_NS_DEFAULT } from './options.js';
export type { LatencySummary, ThreadPoolStats } from './stats.js';
