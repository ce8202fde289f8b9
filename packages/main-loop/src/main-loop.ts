/**
 * The main thread's event loop: one AioContext, attached to Node's own
 * libuv loop, so that bottom halves, timers and fd handlers of the main
 * context dispatch from the loop that runs promises, `fs` and `net`.
 *
 * Unlike QEMU, where the main loop is the program's outer loop, Node already
 * has one; @loop's main loop is the main context riding on it. The attached
 * context holds the process open only while it has work (a scheduled BH, an
 * armed timer, a user fd handler), like any Node handle.
 */
import { isMainThread } from 'node:worker_threads';
import { AioContext } from '@loop/aio';
import { MainLoopError } from './errors.js';

let mainContext: AioContext | undefined;

/**
 * Creates the main AioContext and attaches it to Node's loop. Idempotent:
 * later calls return the same context.
 *
 * @qemu qemu_init_main_loop
 * @throws {MainLoopError} `LOOP_ERR_NOT_MAIN_THREAD` off the main thread.
 * @since 0.1.0
 */
export function initMainLoop(): AioContext {
  if (!isMainThread) {
    throw new MainLoopError('LOOP_ERR_NOT_MAIN_THREAD', 'initMainLoop() must be called on the main thread, not in a worker');
  }
  if (mainContext && !mainContext.destroyed) return mainContext;
  const ctx = new AioContext({ name: 'main' });
  ctx.attach();
  mainContext = ctx;
  return ctx;
}

/**
 * The main AioContext, or undefined before {@link initMainLoop}.
 *
 * @qemu qemu_get_aio_context
 * @since 0.1.0
 */
export function getMainAioContext(): AioContext | undefined {
  return mainContext && !mainContext.destroyed ? mainContext : undefined;
}

/**
 * Whether the calling thread is not the main loop's thread (an IOThread or
 * any other worker).
 *
 * @qemu qemu_in_iothread
 * @since 0.1.0
 */
export function inIOThread(): boolean {
  return !isMainThread;
}
