/**
 * Errors raised by @loop/thread-pool. Each carries a stable `code` and the
 * QMP class a monitor would report (they extend @loop/aio's LoopError).
 *
 * @module
 */
import { LoopError } from '@loop/aio';

/**
 * A task was submitted to, or still queued in, a pool that is closing.
 *
 * @qemu none (QEMU requires an empty pool when it frees one)
 * @since 0.1.0
 */
export class PoolClosedError extends LoopError {
  constructor(message = 'thread pool is closed: the task was not started') {
    super('LOOP_ERR_POOL_CLOSED', 'GenericError', message);
  }
}

/**
 * The worker running a task exited (process.exit, an uncaught exception in
 * one of its callbacks, a resourceLimits overflow, terminate) before the
 * task finished. `exitCode` is the worker's exit code; `cause` the error the
 * worker reported, if any.
 *
 * @qemu none (a QEMU worker cannot die without the process)
 * @since 0.1.0
 */
export class WorkerExitError extends LoopError {
  readonly exitCode: number;
  /** `beforeStart`: the pool's workers kept exiting before they could run any task. */
  constructor(exitCode: number, cause: unknown, beforeStart = false) {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    const what = beforeStart ? 'before it could run a task (3 in a row)' : 'while running the task';
    super('LOOP_ERR_WORKER_EXIT', 'GenericError', `thread-pool worker exited with code ${exitCode} ${what}${why}`, {
      cause,
    });
    this.exitCode = exitCode;
  }
}

/**
 * A queued task was cancelled through its AbortSignal before it started.
 * `name` is 'AbortError' and `code` 'ABORT_ERR', as Node's own; `cause` is
 * the signal's reason.
 *
 * @qemu thread_pool_cancel (the -ECANCELED completion)
 * @since 0.1.0
 */
export class AbortError extends LoopError {
  constructor(reason: unknown) {
    super('ABORT_ERR', 'GenericError', 'The operation was aborted', { cause: reason });
  }
}
