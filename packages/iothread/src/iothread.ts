/**
 * `iothread`: a user-creatable object that owns a thread running its own
 * AioContext (QEMU's iothread.c).
 *
 * Lifecycle:
 *
 *   created ──complete()──▶ starting ──ready──▶ running ──object-del──▶ stopping ──▶ stopped
 *                              │
 *                              └── the thread failed to start: creation fails, nothing is left
 *
 * - *starting*: a worker thread is started with the parameters the object
 *   has; it names itself `IO <id>`, creates its context, applies the
 *   parameters (an invalid thread-pool pair fails the creation here, as in
 *   QEMU) and runs it driven. `complete()` settles only when it reported
 *   its OS thread id.
 * - *running*: property writes reach the context at once, through the
 *   context handle (a cross-thread call into the iothread); `aioContext` is
 *   the handle, `import()` loads code into the thread.
 * - *stopping*: finalize asks the loop to stop from inside (a one-shot BH),
 *   then waits for the thread to exit; a thread that user code keeps busy
 *   is terminated after a grace period, so deletion never hangs.
 *
 * The worker does not keep the process alive by itself (like a daemon
 * thread): the process lives as long as its main thread has work, and exits
 * cleanly with iothreads still running.
 */
import { Worker } from 'node:worker_threads';
import { ContextHandle, type ContextHandleData } from '@loop/aio';
import type { ThreadPoolStats } from '@loop/thread-pool';
import { objectGetObjectsRoot, QomError, typeRegister, userCreatableId, type Int64, type QomObject } from '@loop/qom';
import { addLoopIntProperty, EventLoopBase, toContextNumber } from './event-loop-base.js';
import type { IOThreadHello, IOThreadParams, IOThreadStart } from './worker.js';

/** QEMU's default `poll-max-ns` on POSIX hosts. */
export const IOTHREAD_POLL_MAX_NS_DEFAULT = 32768;

/** How long deletion waits for a stopped loop's thread to exit before terminating it. */
const STOP_GRACE_MS = 5000;

const WORKER_URL = new URL('../dist/worker.js', import.meta.url);

/** An error the iothread thread reported, rebuilt in this thread. */
export class IOThreadError extends Error {
  readonly code: string;
  readonly qmpClass = 'GenericError' as const;
  constructor(message: string, code = 'LOOP_ERR_IOTHREAD', stack?: string) {
    super(message);
    this.name = 'IOThreadError';
    this.code = code;
    if (stack) this.stack = stack;
  }
}

/** Creation order of the live iothreads (QEMU lists them in hash order; we keep creation order). */
const live = new Set<IOThread>();

/**
 * @qemu IOThread (TYPE_IOTHREAD)
 * @since 0.1.0
 */
export class IOThread extends EventLoopBase {
  #pollMaxNs: Int64 = IOTHREAD_POLL_MAX_NS_DEFAULT;
  #pollGrow: Int64 = 0;
  #pollShrink: Int64 = 0;
  #worker: Worker | undefined;
  #handle: ContextHandle | undefined;
  #threadId = -1;
  #exited: Promise<void> | undefined;
  #stopping = false;

  get pollMaxNs(): Int64 {
    return this.#pollMaxNs;
  }

  get pollGrow(): Int64 {
    return this.#pollGrow;
  }

  get pollShrink(): Int64 {
    return this.#pollShrink;
  }

  /**
   * The OS thread id of the iothread (-1 before it started), as
   * `query-iothreads` reports it and `taskset -p` takes it.
   *
   * @qemu IOThread.thread_id
   */
  get threadId(): number {
    return this.#threadId;
  }

  /** Whether the thread runs. */
  get running(): boolean {
    return this.#handle !== undefined && !this.#stopping;
  }

  /**
   * The handle of the iothread's AioContext: notify it, schedule remote
   * BHs, or `call(moduleUrl, exportName, ...args)` to run code in it.
   *
   * @qemu iothread_get_aio_context
   * @throws {IOThreadError} `LOOP_ERR_IOTHREAD_NOT_RUNNING` before completion or after deletion.
   */
  get aioContext(): ContextHandle {
    if (!this.#handle || this.#stopping) {
      throw new IOThreadError(`iothread '${userCreatableId(this) ?? '?'}' is not running`, 'LOOP_ERR_IOTHREAD_NOT_RUNNING');
    }
    return this.#handle;
  }

  /**
   * Loads a module into the iothread (it sees the iothread's context as
   * `AioContext.current()`). Resolves to the module's export names; a
   * module that throws while loading rejects with its error, and the
   * iothread keeps running.
   */
  async import(moduleUrl: string | URL): Promise<string[]> {
    return (await this.#call('importModule', String(moduleUrl))) as string[];
  }

  /**
   * Pins the iothread to `cpus` (what QEMU users do with `taskset` on the
   * thread id). Resolves to the CPUs it may now run on.
   */
  async setAffinity(cpus: readonly number[]): Promise<number[]> {
    return (await this.#call('setAffinity', [...cpus])) as number[];
  }

  /**
   * The statistics of the thread pool of the iothread's context (QEMU's
   * aio_get_thread_pool of the iothread), or null while code in the
   * iothread has not used it.
   */
  async poolStats(): Promise<ThreadPoolStats | null> {
    return (await this.#call('poolStats')) as ThreadPoolStats | null;
  }

  /** A snapshot of the iothread context's parameters and statistics. */
  async contextInfo(): Promise<{
    driven: boolean;
    tid: number;
    name: string;
    pollParams: { maxNs: number; grow: number; shrink: number };
    aioParams: { maxBatch: number };
    threadPoolParams: { min: number; max: number };
    stats: Record<string, number>;
    counters: Record<string, number>;
  }> {
    return (await this.#call('describe')) as never;
  }

  #params(): IOThreadParams {
    return {
      pollMaxNs: toContextNumber(this.#pollMaxNs),
      pollGrow: toContextNumber(this.#pollGrow),
      pollShrink: toContextNumber(this.#pollShrink),
      aioMaxBatch: toContextNumber(this.aioMaxBatch),
      threadPoolMin: toContextNumber(this.threadPoolMin),
      threadPoolMax: toContextNumber(this.threadPoolMax),
    };
  }

  async #call(name: string, ...args: unknown[]): Promise<unknown> {
    const handle = this.aioContext;
    try {
      return await handle.call(WORKER_URL.href, name, ...args);
    } catch (err) {
      throw rebuild(err);
    }
  }

  /** QEMU applies the three poll values when one of them is written on a running iothread. */
  async #applyPoll(): Promise<void> {
    if (!this.running) return;
    await this.#call('setPollParams', this.#params());
  }

  protected override async updateParams(): Promise<void> {
    if (!this.running) return;
    await this.#call('applyParams', this.#params());
  }

  protected override async init(): Promise<void> {
    const id = userCreatableId(this) ?? 'iothread';
    const start: IOThreadStart = { loopIothread: true, threadName: `IO ${id}`, params: this.#params() };
    const worker = new Worker(WORKER_URL, { workerData: start, name: `IO ${id}` });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    let hello: IOThreadHello;
    try {
      hello = await new Promise<IOThreadHello>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new IOThreadError(`iothread '${id}' exited with code ${code} while starting`)));
      });
    } catch (err) {
      await worker.terminate();
      await exited;
      throw rebuild(err);
    }
    if (hello.type === 'error') {
      // The thread cleaned up after itself; wait until it is gone.
      await exited;
      throw rebuild(hello.error);
    }
    worker.unref();
    // A thread that dies on its own (a crash in user code) is no longer running.
    worker.on('error', () => {});
    this.#worker = worker;
    this.#exited = exited.then(() => {
      this.#handle = undefined;
      this.#threadId = -1;
    });
    this.#handle = ContextHandle.from(hello.handle as ContextHandleData);
    this.#threadId = hello.tid;
    live.add(this);
  }

  protected override async finalize(): Promise<void> {
    live.delete(this);
    const worker = this.#worker;
    if (worker && this.#handle && !this.#stopping) {
      this.#stopping = true;
      try {
        await this.#handle.call(WORKER_URL.href, 'stop');
      } catch {
        // The thread is already gone or dying; terminate() below settles it.
      }
      const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#worker = undefined;
    await super.finalize();
  }

  static {
    typeRegister<IOThread>({
      name: 'iothread',
      parent: 'event-loop-base',
      instanceClass: IOThread,
      classInit: (klass) => {
        const apply = (o: IOThread): Promise<void> => o.#applyPoll();
        addLoopIntProperty<IOThread>(klass, 'poll-max-ns', (o) => o.#pollMaxNs, (o, v) => (o.#pollMaxNs = v), apply);
        addLoopIntProperty<IOThread>(klass, 'poll-grow', (o) => o.#pollGrow, (o, v) => (o.#pollGrow = v), apply);
        addLoopIntProperty<IOThread>(klass, 'poll-shrink', (o) => o.#pollShrink, (o, v) => (o.#pollShrink = v), apply);
      },
    });
  }
}

function rebuild(err: unknown): Error {
  if (err instanceof QomError || err instanceof IOThreadError) return err;
  const e = err as { message?: unknown; code?: unknown; stack?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? e.code : 'LOOP_ERR_IOTHREAD';
  return new IOThreadError(message, code, typeof e?.stack === 'string' ? e.stack : undefined);
}

/** One entry of `query-iothreads`. @qemu IOThreadInfo */
export interface IOThreadInfo {
  id: string;
  'thread-id': number;
  'poll-max-ns': Int64;
  'poll-grow': Int64;
  'poll-shrink': Int64;
  'aio-max-batch': Int64;
}

/**
 * QMP `query-iothreads`: every iothread that is a direct child of
 * `/objects`, in creation order (QEMU's order is its hash table's; clients
 * must not rely on either). Thread-pool limits are not reported, as in QEMU.
 *
 * @qemu qmp_query_iothreads
 * @since 0.1.0
 */
export function queryIothreads(): IOThreadInfo[] {
  const container = objectGetObjectsRoot();
  const out: IOThreadInfo[] = [];
  for (const t of live) {
    if ((t as QomObject).parent !== container || t.id === undefined) continue;
    out.push({
      id: t.id,
      'thread-id': t.threadId,
      'poll-max-ns': t.pollMaxNs,
      'poll-grow': t.pollGrow,
      'poll-shrink': t.pollShrink,
      'aio-max-batch': t.aioMaxBatch,
    });
  }
  return out;
}
