/**
 * One pool per AioContext, created on first use (QEMU's aio_get_thread_pool).
 *
 * @module
 */
import { AioContext } from '@loop/aio';
import { ThreadPool } from './pool.js';
import type { ThreadPoolOptions } from './options.js';

const pools = new WeakMap<AioContext, ThreadPool>();

/**
 * Returns the context's pool, creating it on first use: it takes the
 * context's thread-pool-min/max (starting `min` workers at once) and follows
 * their changes. `options` apply only when the pool is created.
 *
 * @qemu aio_get_thread_pool
 *
 * **Threads** The context's home thread (default: the calling thread's current context).
 * @throws {NoContextError} `LOOP_ERR_NO_CONTEXT` without a context in this thread.
 * @throws {TypeError} for a bad option.
 * @example
 * const pool = getThreadPool(ctx, { idleTimeoutMs: 2000 });
 * @since 0.1.0
 */
export function getThreadPool(ctx: AioContext = AioContext.current(), options?: ThreadPoolOptions): ThreadPool {
  let p = pools.get(ctx);
  if (p === undefined) {
    p = new ThreadPool(ctx, options, () => {
      if (pools.get(ctx) === p) pools.delete(ctx);
    });
    pools.set(ctx, p);
  }
  return p;
}

/**
 * The context's pool if one exists, without creating it (statistics must not
 * start workers).
 *
 * @qemu none
 * @since 0.1.0
 */
export function peekThreadPool(ctx: AioContext): ThreadPool | undefined {
  return pools.get(ctx);
}
