/**
 * The body of an IOThread, loaded as the worker's entry module: it names the
 * thread `IO <id>`, creates the thread's AioContext, applies the parameters
 * the object had when it was completed, runs the context in driven mode
 * (QEMU's `iothread_run`) and reports its OS thread id and context handle.
 *
 * The same module is the target of the calls the owning thread makes
 * through the context handle (`setPollParams`, `applyParams`, `stop`, ...):
 * they run in the iothread, on its context.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AioContext, nativeCounters, thread } from '@loop/aio';
import { peekThreadPool, type ThreadPoolStats } from '@loop/thread-pool';

/** Values QEMU applies to an iothread's context, in its order. */
export interface IOThreadParams {
  readonly pollMaxNs: number;
  readonly pollGrow: number;
  readonly pollShrink: number;
  readonly aioMaxBatch: number;
  readonly threadPoolMin: number;
  readonly threadPoolMax: number;
}

/** What the worker is started with. */
export interface IOThreadStart {
  readonly loopIothread: true;
  readonly threadName: string;
  readonly params: IOThreadParams;
}

/** The worker's first message. */
export type IOThreadHello =
  | { readonly type: 'ready'; readonly tid: number; readonly handle: unknown }
  | { readonly type: 'error'; readonly error: { name: string; message: string; code?: string; stack?: string } };

function context(): AioContext {
  return AioContext.current();
}

/** Applies the three poll values (resets the polling time). */
export function setPollParams(params: Pick<IOThreadParams, 'pollMaxNs' | 'pollGrow' | 'pollShrink'>): void {
  context().setPollParams({ maxNs: params.pollMaxNs, grow: params.pollGrow, shrink: params.pollShrink });
}

/**
 * QEMU's iothread update_params: the poll values, then aio-max-batch, then
 * the thread-pool pair, stopping at the first error.
 */
export function applyParams(params: IOThreadParams): void {
  const ctx = context();
  setPollParams(params);
  ctx.setAioParams({ maxBatch: params.aioMaxBatch });
  ctx.setThreadPoolParams({ min: params.threadPoolMin, max: params.threadPoolMax });
}

/** Loads a module into this iothread; resolves to its export names. */
export async function importModule(url: string): Promise<string[]> {
  const ns = (await import(url)) as Record<string, unknown>;
  return Object.keys(ns).sort();
}

/** Pins this iothread to `cpus`. */
export function setAffinity(cpus: readonly number[]): number[] {
  thread.setAffinity(cpus);
  return thread.affinity;
}

/** The context's state, for statistics and tests. */
export function describe(): {
  driven: boolean;
  tid: number;
  name: string;
  pollParams: AioContext['pollParams'];
  aioParams: AioContext['aioParams'];
  threadPoolParams: AioContext['threadPoolParams'];
  stats: AioContext['stats'];
  counters: ReturnType<typeof nativeCounters>;
} {
  const ctx = context();
  return {
    driven: ctx.driven,
    tid: thread.id,
    name: thread.name,
    pollParams: ctx.pollParams,
    aioParams: ctx.aioParams,
    threadPoolParams: ctx.threadPoolParams,
    stats: ctx.stats,
    counters: nativeCounters(),
  };
}

/** The statistics of this iothread's thread pool, or null when code has not used it yet. */
export function poolStats(): ThreadPoolStats | null {
  return peekThreadPool(context())?.stats ?? null;
}

/**
 * Stops the loop from inside it, as QEMU's iothread_stop does with a
 * one-shot BH: the context leaves driven mode and is destroyed, after
 * which the thread has nothing left to run and exits.
 */
export function stop(): void {
  const ctx = context();
  // The pool's workers go first: close() lets running tasks finish.
  const pool = peekThreadPool(ctx);
  if (pool) {
    void pool.close().then(
      () => stopLoop(ctx),
      () => stopLoop(ctx),
    );
    return;
  }
  stopLoop(ctx);
}

function stopLoop(ctx: AioContext): void {
  ctx.bhScheduleOneshot(() => {
    ctx.detach();
    // Destroy outside the dispatch that runs this BH.
    setImmediate(() => ctx.destroy());
  }, 'iothread-stop');
}

function toPlain(err: unknown): { name: string; message: string; code?: string; stack?: string } {
  const e = err as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown };
  const out: { name: string; message: string; code?: string; stack?: string } = {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
  if (typeof e?.code === 'string') out.code = e.code;
  if (typeof e?.stack === 'string') out.stack = e.stack;
  return out;
}

function start(data: IOThreadStart): void {
  const port = parentPort!;
  let ctx: AioContext | undefined;
  try {
    thread.name = data.threadName;
    ctx = new AioContext({ name: data.threadName });
    ctx.drive();
    applyParams(data.params);
    const handle = ctx.handle().data;
    port.postMessage({ type: 'ready', tid: thread.id, handle } satisfies IOThreadHello);
  } catch (err) {
    ctx?.destroy();
    port.postMessage({ type: 'error', error: toPlain(err) } satisfies IOThreadHello);
  }
}

if (!isMainThread && (workerData as Partial<IOThreadStart> | undefined)?.loopIothread === true) {
  start(workerData as IOThreadStart);
}
