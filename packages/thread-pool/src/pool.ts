/**
 * ThreadPool: QEMU's per-AioContext thread pool (util/thread-pool.c) over
 * worker_threads, with a deterministic size (thread-pool-min/max) and a
 * shared-memory dispatch path.
 *
 * The pool lives in its context's thread (the "pool thread"); all its state
 * is plain JavaScript there. Tasks wait in a FIFO queue until a worker has
 * room; handing a task to a worker writes it into a slot of the shared slot
 * table and pushes the slot number on that worker's SPSC ring. Workers push
 * finished slots on one MPSC completion ring, which is a ring handler of
 * the owning context, so completions are delivered by the context's own
 * dispatch (QEMU's completion BH) and the pool thread polls for them exactly
 * where its context polls. A pipeline per worker (~5 ms of work) keeps
 * workers busy without a round trip per task; a task sitting in a worker's
 * ring is still "queued" and can be cancelled (slot states in protocol.ts)
 * or moved to a worker that runs dry (#rebalance). Under load, workers
 * report two short tasks per doorbell (#updateBatching, worker.ts).
 *
 * @module
 */
import { AioContext, ClockType, Ring, adjustPollNs, clockGetNs } from '@loop/aio';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort, type Transferable } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { AbortError, PoolClosedError, WorkerExitError } from './errors.js';
import { resolveOptions, type ResolvedOptions, type ThreadPoolOptions } from './options.js';
import { Histogram, type ThreadPoolStats } from './stats.js';
import {
  ACTIVE,
  ARG_LEN,
  BATCH_OK,
  CANCELLED,
  CONTROL_WORDS,
  DISPATCH,
  DONE,
  EXIT_ITEM,
  FLAG_DEFINE,
  FLAGS,
  FN,
  META_WORDS,
  QUEUED,
  RESULT_ERROR,
  RESULT_KIND,
  RESULT_LEN,
  STATE,
  T_END,
  T_START,
  TIME_WORDS,
  VIA_PORT,
  LEN_NUMBER,
  deserializeError,
  fastCode,
  readFast,
  type AbortMessage,
  type PortPayload,
  type SerializedError,
  type WorkerInit,
} from './protocol.js';

const WORKER_URL = new URL('../dist/worker.js', import.meta.url);
/** Slots of each worker's submission ring (the pipeline depth is at most 1024). */
const SUBMIT_RING_SLOTS = 2048;
const MAX_DEPTH = 1024;
/**
 * Pipeline this many microseconds of work per worker (at least 2 tasks):
 * enough that a worker reports two short tasks per wake-up of the pool's
 * thread (worker.ts, mayDefer) and never waits for a refill that a busy
 * pool thread delivers late. A task stuck behind a long one is not stuck
 * there: a worker that runs dry takes it over (#rebalance).
 */
const PIPELINE_US = 5000;

/**
 * A task: an exported function of a module, `fn(arg, { signal })`, sync or
 * async. Build one with {@link defineTask} or write `{ module, name }`.
 *
 * @qemu ThreadPoolFunc
 * @since 0.1.0
 */
export interface TaskRef<A = unknown, R = unknown> {
  /** A file: URL, an absolute path, or a specifier resolved from @loop/thread-pool. */
  readonly module: string | URL;
  /** The export's name. */
  readonly name: string;
  /** Type carrier only. */
  readonly __task?: (arg: A) => R;
}

/**
 * Names a task: the export `name` of the module at `moduleUrl`.
 *
 * @qemu none
 * @example
 * const hash = defineTask<Buffer, string>(new URL('./tasks.js', import.meta.url), 'sha256');
 * @since 0.1.0
 */
export function defineTask<A = unknown, R = unknown>(moduleUrl: string | URL, exportName: string): TaskRef<A, R> {
  const t = { module: normalizeModule(moduleUrl), name: exportName };
  checkTask(t);
  return Object.freeze(t);
}

/** Options of {@link ThreadPool.submit}. @since 0.1.0 */
export interface SubmitOptions {
  /** Aborting it cancels the task if it has not started; a running task sees it as its own `signal`. */
  readonly signal?: AbortSignal;
  /** Transferables of the argument (sent on a MessagePort instead of shared memory). */
  readonly transfer?: readonly Transferable[];
}

interface Task {
  readonly fnId: number;
  readonly arg: unknown;
  readonly buf: Buffer | null;
  /** Fast-path code of the argument (0: serialized or via the port). */
  readonly code: number;
  readonly transfer: readonly Transferable[] | undefined;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
  slot: number;
  /** The slot's DISPATCH number for this task. */
  dispatch: number;
  worker: WorkerRec | null;
  readonly tSubmit: number;
  settled: boolean;
}

interface WorkerRec {
  readonly index: number;
  readonly worker: Worker;
  readonly ring: Ring;
  readonly port: MessagePort;
  readonly inflight: Task[];
  readonly known: Set<number>;
  retiring: boolean;
  exited: boolean;
  /** Its ring holds written, unpublished slots. */
  unpublished: boolean;
  idleTimer: NodeJS.Timeout | null;
  error: unknown;
  /** It has finished (or acknowledged) at least one task. */
  ran: boolean;
  readonly exitPromise: Promise<void>;
}

/** Workers in a row that exit before they run anything before the pool stops trusting new ones. */
const START_FAILURES_MAX = 3;
/** The respawn delay after that many, doubling per further failure, at most START_BACKOFF_MAX_MS. */
const START_BACKOFF_MS = 100;
const START_BACKOFF_MAX_MS = 10_000;

function normalizeModule(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (typeof m !== 'string' || m.length === 0) throw new TypeError('task.module must be a URL or a non-empty string');
  if (isAbsolute(m)) return pathToFileURL(m).href;
  return m;
}

function checkTask(t: { readonly module: string | URL; readonly name: string }): void {
  if (t === null || typeof t !== 'object') throw new TypeError('task must be { module, name } or defineTask()');
  normalizeModule(t.module);
  if (typeof t.name !== 'string' || t.name.length === 0) throw new TypeError('task.name must be a non-empty string');
}

const now = (): number => clockGetNs(ClockType.REALTIME);

const noop = (): void => {};

/** Holds a revoked task's old slot until its worker acknowledges it (same shape as a Task). */
function standIn(t: Task): Task {
  return {
    fnId: t.fnId,
    arg: undefined,
    buf: null,
    code: 0,
    transfer: undefined,
    resolve: noop,
    reject: noop,
    signal: undefined,
    onAbort: null,
    slot: t.slot,
    dispatch: t.dispatch,
    worker: t.worker,
    tSubmit: t.tSubmit,
    settled: true,
  };
}

// One executor for every submit(): a closure per call would be one more
// allocation on the hottest path (100k pending tasks are 100k promises).
let capturedResolve: ((v: unknown) => void) | null = null;
let capturedReject: ((e: unknown) => void) | null = null;
function captureResolvers(res: (v: never) => void, rej: (e: unknown) => void): void {
  capturedResolve = res as (v: unknown) => void;
  capturedReject = rej;
}

/**
 * A pool of worker threads bound to one AioContext. Get it with
 * {@link getThreadPool}; never construct it directly.
 *
 * @qemu ThreadPool (ThreadPoolAio in QEMU 10)
 *
 * **Threads** Every method runs on the owning context's home thread.
 * Completions are delivered by that context, so it must be attached (main
 * thread) or driven (an IOThread); otherwise they wait until code calls
 * `ctx.poll()`.
 * @since 0.1.0
 */
export class ThreadPool {
  readonly #ctx: AioContext;
  readonly #opts: ResolvedOptions;
  readonly #onClosed: () => void;
  #min: number;
  #max: number;
  readonly #workers = new Set<WorkerRec>();
  #queue: Task[] = [];
  #qHead = 0;
  /** Tasks in #queue already settled (aborted while queued), skipped by #pump. */
  #queuedSettled = 0;
  readonly #slots: Array<Task | undefined>;
  readonly #free: number[] = [];
  readonly #meta: Int32Array;
  readonly #times: Float64Array;
  readonly #bytes: Uint8Array;
  readonly #f64: Float64Array;
  readonly #f64PerSlot: number;
  readonly #complete: Ring;
  #ringRegistered = false;
  readonly #fnIds = new Map<string, number>();
  /** defineTask() results are frozen: their id is cached by identity. */
  readonly #fnByRef = new WeakMap<object, number>();
  readonly #fnDefs: Array<{ module: string; name: string }> = [];
  #dispatched = 0;
  /** Workers that are not retiring (QEMU's cur_threads minus those asked to leave). */
  #live = 0;
  #nextIndex = 0;
  #completed = 0;
  #cancelled = 0;
  #spawned = 0;
  /** Workers in a row that exited before running anything (a broken worker environment). */
  #startFailures = 0;
  /** Set while respawning waits out START_BACKOFF_MS after repeated start failures. */
  #respawnTimer: NodeJS.Timeout | null = null;
  #exited = 0;
  readonly #queueWait = new Histogram();
  readonly #runTime = new Histogram();
  #avgRunUs = 0;
  #closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;
  readonly #unlisten: () => void;
  readonly #scratch = new Int32Array(256);
  // pool-thread polling (attached contexts with poll-max-ns set)
  #unregisterPending = false;
  readonly #unregister = (): void => {
    this.#unregisterPending = false;
    if (this.#dispatched === 0 && this.#ringRegistered && !this.#ctx.destroyed) {
      this.#ringRegistered = false;
      this.#ctx.setRingHandler(this.#complete, null);
    }
  };
  /**
   * Workers whose rings hold slots written by #dispatch and not yet
   * published. The refills after one batch of completions, and on an
   * attached context the submissions of one synchronous stretch (published
   * by a microtask, before the thread can block), reach each worker as one
   * publication: one shared store and at most one doorbell write per worker
   * instead of one per task.
   */
  readonly #unpublished: WorkerRec[] = [];
  #publishQueued = false;
  readonly #publish = (): void => {
    this.#publishQueued = false;
    const ws = this.#unpublished;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      w.unpublished = false;
      w.ring.publish();
    }
    ws.length = 0;
  };
  /** #rebalance's scratch: indexes into a worker's inflight list. */
  readonly #movable: number[] = [];
  /** Words shared with every worker (protocol.ts: BATCH_OK). */
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  #spinPending = false;
  #spinNs = 0;
  #waitStart = 0;
  #lastEnd = 0;

  /** @internal Use {@link getThreadPool}. */
  constructor(ctx: AioContext, options: ThreadPoolOptions | undefined, onClosed: () => void) {
    this.#ctx = ctx;
    this.#opts = resolveOptions(options);
    this.#onClosed = onClosed;
    const cap = this.#opts.capacity;
    this.#slots = new Array<Task | undefined>(cap);
    for (let i = cap - 1; i >= 0; i--) this.#free.push(i);
    this.#meta = new Int32Array(new SharedArrayBuffer(cap * META_WORDS * 4));
    this.#times = new Float64Array(new SharedArrayBuffer(cap * TIME_WORDS * 8));
    this.#bytes = new Uint8Array(new SharedArrayBuffer(cap * this.#opts.inlineBytes));
    this.#f64 = new Float64Array(this.#bytes.buffer);
    this.#f64PerSlot = this.#opts.inlineBytes / 8;
    this.#complete = Ring.create({ kind: 'mpsc', slots: cap, slotWords: 1 });
    const p = ctx.threadPoolParams;
    this.#min = p.min;
    this.#max = p.max;
    this.#unlisten = ctx.addParamsListener((kind) => {
      if (kind === 'thread-pool') this.#applyParams();
    });
    this.#ensureMin();
  }

  /** The owning context. */
  get context(): AioContext {
    return this.#ctx;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Runs `task(arg, { signal })` in a worker and settles with its result.
   *
   * @qemu thread_pool_submit_aio / thread_pool_submit_co
   *
   * **Threads** The owning context's thread only.
   *
   * **Details** The argument is serialized (v8.serialize) at once, so a
   * value that cannot be cloned rejects here; it is copied into shared
   * memory when a worker takes the task, or posted on the worker's
   * MessagePort if it is larger than `inlineBytes` or has a transfer list.
   *
   * **Gotchas** Results of tasks that finish together are delivered in
   * completion order (QEMU does not promise an order either). On an
   * attached context a task reaches its worker when the current synchronous
   * stretch of JavaScript ends (one microtask publishes every submission
   * made in it); on a driven or bare context at once.
   * @throws (rejects) {AbortError} `ABORT_ERR` if `signal` aborts before the task starts;
   *   {PoolClosedError} `LOOP_ERR_POOL_CLOSED` after `close()`; {WorkerExitError}
   *   `LOOP_ERR_WORKER_EXIT` if its worker dies while running it; the task's own error otherwise.
   * @example
   * const n = await pool.submit(defineTask<number, number>(url, 'square'), 7);
   * @since 0.1.0
   */
  submit<A, R>(task: TaskRef<A, R>, arg?: A, options: SubmitOptions = {}): Promise<Awaited<R>> {
    if (this.#closing !== null) return Promise.reject(new PoolClosedError('thread pool is closed'));
    let fnId = this.#fnByRef.get(task);
    if (fnId === undefined) {
      try {
        checkTask(task);
        fnId = this.#fnIdOf(normalizeModule(task.module), task.name);
      } catch (e) {
        return Promise.reject(e);
      }
      if (Object.isFrozen(task)) this.#fnByRef.set(task, fnId);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const transfer = options.transfer !== undefined && options.transfer.length > 0 ? options.transfer : undefined;
    let buf: Buffer | null = null;
    const code = transfer === undefined ? fastCode(arg) : 0;
    if (transfer === undefined && code === 0) {
      try {
        buf = serialize(arg);
      } catch {
        // SharedArrayBuffers and other host objects: structured clone on the port.
        buf = null;
      }
    }
    const promise = new Promise<Awaited<R>>(captureResolvers);
    const resolve = capturedResolve!;
    const reject = capturedReject!;
    capturedResolve = capturedReject = null;
    const t: Task = {
      fnId,
      arg,
      buf,
      code,
      transfer,
      resolve,
      reject,
      signal,
      onAbort: null,
      slot: -1,
      dispatch: 0,
      worker: null,
      tSubmit: now(),
      settled: false,
    };
    if (signal !== undefined) {
      t.onAbort = () => this.#abort(t);
      signal.addEventListener('abort', t.onAbort, { once: true });
    }
    this.#queue.push(t);
    // QEMU: no idle worker and room for one more: start one.
    // The count first: at max (the steady state) the idle scan is skipped.
    if (this.#live < this.#max && !this.#hasIdle()) this.#spawn();
    this.#pump();
    if (this.#unpublished.length > 0) {
      // On an attached context microtasks run before the thread can block,
      // so a loop of submits is published once. A driven context busy-polls
      // inside the same native call before its microtasks run, and a bare
      // context may be waited on with a synchronous poll(): publish now.
      if (this.#ctx.attached) {
        if (!this.#publishQueued) {
          this.#publishQueued = true;
          queueMicrotask(this.#publish);
        }
      } else {
        this.#publish();
      }
    }
    return promise;
  }

  /**
   * Sets thread-pool-min / thread-pool-max on the owning context (the one
   * place they live); the pool follows through its params listener.
   *
   * @qemu aio_context_set_thread_pool_params
   * @throws {InvalidParameterError} `bad thread-pool-min/thread-pool-max values`
   * @since 0.1.0
   */
  setParams(params: { readonly min?: number; readonly max?: number }): void {
    const cur = this.#ctx.threadPoolParams;
    this.#ctx.setThreadPoolParams({ min: params.min ?? cur.min, max: params.max ?? cur.max });
  }

  /** A snapshot of counters and latency percentiles. @since 0.1.0 */
  get stats(): ThreadPoolStats {
    let running = 0;
    let queuedInRings = 0;
    let idle = 0;
    for (const w of this.#workers) {
      if (!w.retiring && w.inflight.length === 0) idle++;
      for (const t of w.inflight) {
        const s = Atomics.load(this.#meta, t.slot * META_WORDS + STATE);
        if (s === ACTIVE) running++;
        else if (s === QUEUED) queuedInRings++;
      }
    }
    return {
      threads: this.#workers.size,
      idle,
      queued: this.#queue.length - this.#qHead - this.#queuedSettled + queuedInRings,
      running,
      completed: this.#completed,
      cancelled: this.#cancelled,
      spawned: this.#spawned,
      exited: this.#exited,
      queueWait: this.#queueWait.summary(),
      runTime: this.#runTime.summary(),
      min: this.#min,
      max: this.#max,
    };
  }

  /**
   * Stops accepting tasks, rejects the queued ones with PoolClosedError,
   * waits for the running ones, then ends every worker and releases the
   * pool's fds and shared memory. Idempotent; the next
   * {@link getThreadPool} for the context creates a new pool.
   *
   * @qemu thread_pool_free
   * @since 0.1.0
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closing = this.#doClose();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #doClose(): Promise<void> {
    // Cancelled slots still written but unpublished would never be
    // acknowledged by their worker, and the drain below would wait forever.
    this.#publish();
    this.#unlisten();
    if (this.#respawnTimer !== null) clearTimeout(this.#respawnTimer);
    this.#respawnTimer = null;
    this.#onClosed();
    const closedError = (): PoolClosedError => new PoolClosedError('thread pool is closed: the task was not started');
    const queued = this.#queue.slice(this.#qHead);
    this.#queue = [];
    this.#qHead = 0;
    this.#queuedSettled = 0;
    for (const t of queued) this.#settle(t, false, closedError());
    for (const w of this.#workers) {
      for (const t of w.inflight) {
        if (Atomics.compareExchange(this.#meta, t.slot * META_WORDS + STATE, QUEUED, CANCELLED) === QUEUED) {
          this.#settle(t, false, closedError());
        }
      }
    }
    if (this.#dispatched > 0) await new Promise<void>((res) => (this.#drained = res));
    const exits: Promise<void>[] = [];
    for (const w of [...this.#workers]) {
      if (w.idleTimer !== null) clearTimeout(w.idleTimer);
      exits.push(w.exitPromise);
      void w.worker.terminate();
    }
    await Promise.all(exits);
    if (this.#ringRegistered) this.#ctx.setRingHandler(this.#complete, null);
    this.#ringRegistered = false;
    this.#complete.close();
  }

  // ------------------------------------------------------------ internals

  #fnIdOf(module: string, name: string): number {
    const key = `${name}\0${module}`;
    let fnId = this.#fnIds.get(key);
    if (fnId === undefined) {
      fnId = this.#fnDefs.length;
      this.#fnDefs.push({ module, name });
      this.#fnIds.set(key, fnId);
    }
    return fnId;
  }

  #hasIdle(): boolean {
    for (const w of this.#workers) if (!w.retiring && w.inflight.length === 0) return true;
    return false;
  }

  #ensureMin(): void {
    if (this.#closing !== null || this.#respawnTimer !== null) return;
    while (this.#live < this.#min) this.#spawn();
  }

  #applyParams(): void {
    const p = this.#ctx.threadPoolParams;
    this.#min = p.min;
    this.#max = p.max;
    this.#ensureMin();
    // Above max: idle ones leave now, busy ones after what they hold.
    for (const pass of [true, false]) {
      for (const w of this.#workers) {
        if (this.#live <= this.#max) break;
        if (w.retiring || (w.inflight.length === 0) !== pass) continue;
        this.#retire(w);
      }
    }
    // Above min: idle ones leave promptly (beyond QEMU, which waits for the timeout).
    for (const w of this.#workers) {
      if (this.#live <= this.#min) break;
      if (w.retiring || w.inflight.length > 0) continue;
      this.#retire(w);
    }
    for (const w of this.#workers) if (!w.retiring && w.inflight.length === 0) this.#armIdle(w);
    this.#pump();
    this.#publish();
  }

  #spawn(): void {
    const index = this.#nextIndex++;
    const ring = Ring.create({ kind: 'spsc', slots: SUBMIT_RING_SLOTS, slotWords: 1 });
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = {
      index,
      meta: this.#meta.buffer as SharedArrayBuffer,
      times: this.#times.buffer as SharedArrayBuffer,
      data: this.#bytes.buffer as SharedArrayBuffer,
      inlineBytes: this.#opts.inlineBytes,
      submit: ring.data,
      complete: this.#complete.data,
      port: port2,
      pollMaxNs: this.#opts.workerPollMaxNs,
      control: this.#control.buffer as SharedArrayBuffer,
      completionBatchNs: this.#opts.completionBatchUs * 1000,
    };
    const worker = new Worker(WORKER_URL, {
      workerData: init,
      transferList: [port2],
      name: 'worker',
      ...(this.#opts.resourceLimits !== undefined ? { resourceLimits: this.#opts.resourceLimits } : {}),
    });
    worker.unref();
    let onExit!: () => void;
    const rec: WorkerRec = {
      index,
      worker,
      ring,
      port: port1,
      inflight: [],
      known: new Set(),
      retiring: false,
      exited: false,
      unpublished: false,
      idleTimer: null,
      error: undefined,
      ran: false,
      exitPromise: new Promise<void>((res) => (onExit = res)),
    };
    worker.on('error', (e) => {
      rec.error = e;
    });
    worker.on('exit', (code) => {
      this.#onExit(rec, code);
      onExit();
    });
    this.#workers.add(rec);
    this.#live++;
    this.#spawned++;
    this.#armIdle(rec);
  }

  #retire(w: WorkerRec): void {
    if (!w.retiring) this.#live--;
    w.retiring = true;
    if (w.idleTimer !== null) clearTimeout(w.idleTimer);
    w.idleTimer = null;
    w.ring.push(EXIT_ITEM);
  }

  /** QEMU's idle wait: a worker above min that stays idle for idleTimeoutMs exits. */
  #armIdle(w: WorkerRec): void {
    if (w.retiring || w.idleTimer !== null || this.#closing !== null) return;
    if (this.#live <= this.#min) return;
    const t = setTimeout(() => {
      w.idleTimer = null;
      if (w.retiring || w.exited || w.inflight.length > 0 || this.#closing !== null) return;
      if (this.#live > this.#min) this.#retire(w);
    }, this.#opts.idleTimeoutMs);
    t.unref();
    w.idleTimer = t;
  }

  #depth(): number {
    const avg = this.#avgRunUs;
    if (avg <= 0) return MAX_DEPTH;
    return Math.max(2, Math.min(MAX_DEPTH, Math.floor(PIPELINE_US / avg)));
  }

  #pick(depth: number): WorkerRec | null {
    let best: WorkerRec | null = null;
    for (const w of this.#workers) {
      if (w.retiring) continue;
      if (w.inflight.length === 0) return w;
      if (best === null || w.inflight.length < best.inflight.length) best = w;
    }
    if (best !== null && best.inflight.length < depth) return best;
    return null;
  }

  #pump(): void {
    const q = this.#queue;
    let dispatched = false;
    const depth = this.#depth();
    while (this.#qHead < q.length && this.#free.length > 0) {
      const t = q[this.#qHead]!;
      if (t.settled) {
        q[this.#qHead++] = undefined as unknown as Task;
        this.#queuedSettled--;
        continue;
      }
      const w = this.#pick(depth);
      if (w === null) break;
      q[this.#qHead++] = undefined as unknown as Task;
      if (this.#dispatch(t, w)) dispatched = true;
    }
    if (this.#qHead === q.length) {
      this.#queue = [];
      this.#qHead = 0;
    } else if (this.#qHead > 4096 && this.#qHead * 2 > q.length) {
      this.#queue = q.slice(this.#qHead);
      this.#qHead = 0;
    }
    if (dispatched) this.#scheduleSpin();
  }

  #dispatch(t: Task, w: WorkerRec): boolean {
    const slot = this.#free.pop()!;
    const meta = this.#meta;
    const m = slot * META_WORDS;
    const define = !w.known.has(t.fnId);
    let buf = t.buf;
    let value: unknown = t.arg;
    if (define) {
      const def = this.#fnDefs[t.fnId]!;
      // From the bytes serialized at submit(), not from the caller's object,
      // which may have changed since (a task moved by #rebalance is handed
      // out a second time).
      value = [buf !== null ? deserialize(buf) : t.arg, def.module, def.name];
      if (buf !== null) buf = serialize(value);
    }
    try {
      if (!define && t.code !== 0) {
        if (t.code === LEN_NUMBER) this.#f64[slot * this.#f64PerSlot] = t.arg as number;
        meta[m + ARG_LEN] = t.code;
      } else if (buf !== null && buf.length <= this.#opts.inlineBytes) {
        this.#bytes.set(buf, slot * this.#opts.inlineBytes);
        meta[m + ARG_LEN] = buf.length;
      } else {
        w.port.postMessage({ slot, value } satisfies PortPayload, t.transfer as Transferable[] | undefined);
        meta[m + ARG_LEN] = VIA_PORT;
      }
    } catch (e) {
      this.#free.push(slot);
      this.#settle(t, false, e);
      return false;
    }
    if (define) w.known.add(t.fnId);
    meta[m + FN] = t.fnId;
    meta[m + FLAGS] = define ? FLAG_DEFINE : 0;
    t.dispatch = (meta[m + DISPATCH]! + 1) | 0;
    meta[m + DISPATCH] = t.dispatch;
    // Publishes the words above (pairs with the worker's CAS on STATE).
    Atomics.store(meta, m + STATE, QUEUED);
    t.slot = slot;
    t.worker = w;
    this.#slots[slot] = t;
    const starving = w.inflight.length < 2;
    w.inflight.push(t);
    if (w.idleTimer !== null) {
      clearTimeout(w.idleTimer);
      w.idleTimer = null;
    }
    if (this.#dispatched++ === 0) this.#waitStart = now();
    if (!this.#ringRegistered) {
      this.#ringRegistered = true;
      this.#ctx.setRingHandler(this.#complete, (items, n) => this.#onCompletions(items, n));
    }
    // Published by #publish: at the end of this batch of completions, or
    // when this synchronous stretch of submits ends. (The ring has room for
    // MAX_DEPTH tasks and an exit item: write() cannot fail here.) The first
    // two tasks of a worker (the one it runs and the one it takes next) are
    // published at once: holding them to the end of the stretch would idle
    // the worker for the whole stretch (1000 submits in a loop: the first
    // task started 6-10 ms after the first submit, the second 4-7 ms after
    // the first ended).
    w.ring.write(slot);
    if (starving) w.ring.publish();
    else if (!w.unpublished) {
      w.unpublished = true;
      this.#unpublished.push(w);
    }
    return true;
  }

  /**
   * Lets workers report two short tasks per doorbell (worker.ts, mayDefer)
   * while two or more of them are busy: a held result is then taken at the
   * next wake-up by another worker's result, if its own next task has not
   * ended first. Called after every batch of completions.
   */
  #updateBatching(): void {
    let allow = 0;
    if (this.#opts.completionBatchUs > 0 && this.#closing === null && this.#dispatched > 1) {
      let busy = 0;
      for (const w of this.#workers) if (w.inflight.length > 0 && ++busy === 2) break;
      if (busy === 2) allow = 1;
    }
    if (this.#control[BATCH_OK] === allow) return;
    Atomics.store(this.#control, BATCH_OK, allow);
    // A worker that read 1 before this store has its result in the ring
    // already (it writes the item, then reads the flag): take it now.
    if (allow === 0) this.#drainCompletions();
  }

  /**
   * When the queue is empty and a worker has run dry, moves tasks that wait
   * in other workers' rings to it: each is revoked with the compare-exchange
   * of a cancel (QUEUED to CANCELLED, so one that has just started stays
   * where it is) and queued again at the head. Its old slot stays in use,
   * held by a settled stand-in, until the old worker acknowledges it. From a
   * worker that is running a task, the idle workers' share of its queued
   * ones, rounded up (a task behind a running one of unknown length is worth
   * moving); from one that has not started yet, rounded down. Only tasks
   * whose argument travels in the slot move (a fast value, or bytes
   * serialized at submit()): one posted on the first worker's port was
   * cloned (or its transfer list moved) at hand-out, and handing it out again
   * would clone the caller's object a second time.
   */
  #rebalance(): void {
    if (this.#qHead < this.#queue.length) return;
    // Runs after every batch of completions: no allocation unless a task moves.
    let idle = 0;
    let loaded = 0;
    for (const w of this.#workers) {
      if (w.inflight.length > 1) loaded++;
      else if (!w.retiring && w.inflight.length === 0) idle++;
    }
    if (idle === 0 || loaded === 0) return;
    const meta = this.#meta;
    const movable = this.#movable;
    let moved: Task[] | null = null;
    for (const w of this.#workers) {
      const inflight = w.inflight;
      if (inflight.length < 2) continue;
      // From the tail: the queued tasks that may move, back to the one it runs.
      movable.length = 0;
      let running = false;
      for (let i = inflight.length - 1; i >= 0; i--) {
        const t = inflight[i]!;
        const state = Atomics.load(meta, t.slot * META_WORDS + STATE);
        if (state === QUEUED && !t.settled) {
          if (this.#inlineArg(t)) movable.push(i);
        } else if (state !== CANCELLED) {
          // Running, or done and not yet taken. (CANCELLED: a stand-in or
          // an aborted task that its worker has not acknowledged yet.)
          running = state === ACTIVE;
          break;
        }
      }
      if (movable.length === 0) continue;
      const share = (movable.length * idle) / (idle + 1);
      const take = running ? Math.ceil(share) : Math.floor(share);
      for (let j = 0; j < take; j++) {
        const i = movable[j]!;
        const t = inflight[i]!;
        if (Atomics.compareExchange(meta, t.slot * META_WORDS + STATE, QUEUED, CANCELLED) !== QUEUED) break;
        const stand = standIn(t);
        inflight[i] = stand;
        this.#slots[t.slot] = stand;
        t.slot = -1;
        t.worker = null;
        (moved ??= []).push(t);
      }
    }
    if (moved === null) return;
    // Oldest first, ahead of anything queued later.
    moved.sort((a, b) => a.tSubmit - b.tSubmit);
    this.#queue.splice(this.#qHead, 0, ...moved);
    this.#pump();
  }

  #inlineArg(t: Task): boolean {
    return t.transfer === undefined && (t.code !== 0 || (t.buf !== null && t.buf.length <= this.#opts.inlineBytes));
  }

  #abort(t: Task): void {
    // The listener was added with { once: true } and has just fired: removing
    // it again in #settle is a search of the signal's listeners (with 40k
    // tasks on one signal, most of 5 s).
    t.onAbort = null;
    if (t.settled) return;
    const reason = t.signal?.reason;
    if (t.slot < 0) {
      // Left in the queue, settled: #pump skips it (a search and splice per
      // abort was quadratic: 40k tasks on one signal took 5 s to abort).
      this.#queuedSettled++;
      this.#cancelled++;
      this.#settle(t, false, new AbortError(reason));
      return;
    }
    if (Atomics.compareExchange(this.#meta, t.slot * META_WORDS + STATE, QUEUED, CANCELLED) === QUEUED) {
      this.#cancelled++;
      this.#settle(t, false, new AbortError(reason));
      return;
    }
    // Running: never killed; its function sees the abort on its own signal.
    if (t.worker !== null && !t.worker.exited) {
      t.worker.worker.postMessage({ type: 'abort', slot: t.slot, dispatch: t.dispatch } satisfies AbortMessage);
    }
  }

  #settle(t: Task, ok: boolean, value: unknown): void {
    if (t.settled) return;
    t.settled = true;
    if (t.onAbort !== null) t.signal!.removeEventListener('abort', t.onAbort);
    if (ok) t.resolve(value);
    else t.reject(value);
  }

  #drainCompletions(): void {
    if (!this.#ringRegistered && this.#dispatched === 0) return;
    const out = this.#scratch;
    let n: number;
    do {
      n = this.#complete.take(out, out.length);
      if (n > 0) this.#onCompletions(out, n);
    } while (n === out.length);
  }

  #onCompletions(items: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) this.#finish(items[i]!);
    this.#afterCompletions();
  }

  #afterCompletions(): void {
    if (this.#lastEnd > this.#waitStart) {
      // The block time is measured up to when the result was published
      // (the worker's end stamp), not to when this thread woke up, so a
      // slow wake-up does not by itself switch polling off.
      const blockNs = Math.max(0, this.#lastEnd - this.#waitStart);
      const pp = this.#ctx.pollParams;
      if (pp.maxNs > 0) this.#spinNs = adjustPollNs(this.#spinNs, blockNs, pp);
      this.#waitStart = now();
    }
    if (this.#closing === null) {
      this.#pump();
      this.#rebalance();
      this.#publish();
    }
    this.#updateBatching();
    if (this.#dispatched === 0) {
      // The ring handler keeps an attached context (and so the process)
      // alive: drop it once the pool is idle, but not between two tasks of
      // a back-to-back caller (whose next submit runs before this immediate).
      if (this.#ringRegistered && !this.#unregisterPending) {
        this.#unregisterPending = true;
        setImmediate(this.#unregister);
      }
      if (this.#drained !== null) {
        const d = this.#drained;
        this.#drained = null;
        d();
      }
    } else {
      this.#scheduleSpin();
    }
  }

  /** Takes one finished (or cancelled and acknowledged) slot. */
  #finish(slot: number): void {
    const t = this.#slots[slot];
    if (t === undefined) return;
    const meta = this.#meta;
    const m = slot * META_WORDS;
    const state = Atomics.load(meta, m + STATE);
    if (state !== DONE && state !== CANCELLED) return;
    const w = t.worker!;
    if (state === DONE) {
      // Only a task run proves the worker started (a slot cancelled here,
      // e.g. a stand-in found at its exit, does not).
      w.ran = true;
      this.#startFailures = 0;
    }
    if (w.inflight[0] === t) w.inflight.shift();
    else {
      const k = w.inflight.indexOf(t);
      if (k >= 0) w.inflight.splice(k, 1);
    }
    this.#slots[slot] = undefined;
    this.#dispatched--;
    if (state === DONE) {
      const len = meta[m + RESULT_LEN]!;
      const value = len < VIA_PORT ? readFast(len, this.#f64, slot * this.#f64PerSlot) : this.#decodeResult(slot, len, w);
      const start = this.#times[slot * TIME_WORDS + T_START]!;
      const end = this.#times[slot * TIME_WORDS + T_END]!;
      const runUs = (end - start) / 1000;
      if (end > this.#lastEnd) this.#lastEnd = end;
      this.#queueWait.record((start - t.tSubmit) / 1000);
      this.#runTime.record(runUs);
      this.#avgRunUs = this.#avgRunUs === 0 ? runUs : this.#avgRunUs * 0.9 + runUs * 0.1;
      this.#completed++;
      if (meta[m + RESULT_KIND] === RESULT_ERROR) this.#settle(t, false, rebuildError(value));
      else this.#settle(t, true, value);
    }
    this.#free.push(slot);
    if (w.inflight.length === 0 && !w.retiring) this.#armIdle(w);
  }

  /**
   * A result that needs the deserializer or came on the port. Kept out of
   * #finish, whose fast path (a number, boolean, null or undefined) runs
   * once per completion: a smaller function is optimised sooner and
   * compiles in less time on a CPU the workers need.
   */
  #decodeResult(slot: number, len: number, w: WorkerRec): unknown {
    try {
      if (len === VIA_PORT) {
        const msg = readPort(w.port, slot);
        return msg.raw === true ? msg.value : deserialize(msg.value as Buffer);
      }
      const off = slot * this.#opts.inlineBytes;
      return deserialize(Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + off, len));
    } catch (e) {
      return e;
    }
  }

  #onExit(w: WorkerRec, code: number): void {
    if (w.exited) return;
    w.exited = true;
    if (!w.retiring) this.#live--;
    this.#workers.delete(w);
    this.#exited++;
    if (w.idleTimer !== null) clearTimeout(w.idleTimer);
    w.idleTimer = null;
    // Everything it finished is in the completion ring: take it first.
    this.#drainCompletions();
    const requeue: Task[] = [];
    let started = w.ran || w.retiring;
    for (const t of [...w.inflight]) {
      const slot = t.slot;
      const state = Atomics.load(this.#meta, slot * META_WORDS + STATE);
      if (state === DONE || state === CANCELLED) {
        this.#finish(slot);
        continue;
      }
      w.inflight.splice(w.inflight.indexOf(t), 1);
      this.#slots[slot] = undefined;
      this.#free.push(slot);
      this.#dispatched--;
      t.slot = -1;
      t.worker = null;
      if (state === ACTIVE) {
        started = true;
        this.#settle(t, false, new WorkerExitError(code, w.error));
      } else requeue.push(t); // QUEUED: never started, runs elsewhere
    }
    if (!started && this.#closing === null && ++this.#startFailures >= START_FAILURES_MAX) {
      // Workers die before they run anything (bad resourceLimits, a broken
      // environment): the queued tasks would wait for ever behind an endless
      // respawn. Reject them with the worker's error, and respawn after a
      // growing delay instead of at once.
      const err = (): WorkerExitError => new WorkerExitError(code, w.error, true);
      for (const t of requeue) this.#settle(t, false, err());
      requeue.length = 0;
      for (let i = this.#qHead; i < this.#queue.length; i++) this.#settle(this.#queue[i]!, false, err());
      this.#queue = [];
      this.#qHead = 0;
      this.#queuedSettled = 0;
      const delay = Math.min(START_BACKOFF_MAX_MS, START_BACKOFF_MS * 2 ** (this.#startFailures - START_FAILURES_MAX));
      if (this.#respawnTimer === null) {
        this.#respawnTimer = setTimeout(() => {
          this.#respawnTimer = null;
          this.#ensureMin();
          if (this.#qHead < this.#queue.length && this.#live < this.#max && !this.#hasIdle()) this.#spawn();
          this.#pump();
          this.#publish();
        }, delay);
        this.#respawnTimer.unref();
      }
    }
    if (requeue.length > 0) {
      if (this.#closing !== null) {
        for (const t of requeue) this.#settle(t, false, new PoolClosedError());
      } else {
        this.#queue.splice(this.#qHead, 0, ...requeue);
      }
    }
    w.ring.close();
    w.port.close();
    if (this.#closing === null) {
      this.#ensureMin();
      if (this.#qHead < this.#queue.length && this.#live < this.#max && !this.#hasIdle()) this.#spawn();
    }
    this.#afterCompletions();
  }

  // ------------------------------------------- polling in the pool thread

  /**
   * Attached contexts do not busy-poll on their own; when the owning context
   * has poll-max-ns set, the pool polls its completion ring for up to the
   * adaptive window in a setImmediate (after Node's poll phase), as QEMU's
   * aio_poll would before blocking. Driven contexts poll the ring natively.
   */
  #scheduleSpin(): void {
    if (this.#spinPending || this.#spinNs === 0 && this.#ctx.pollParams.maxNs === 0) return;
    if (this.#ctx.driven) return;
    this.#spinPending = true;
    setImmediate(this.#spin);
  }

  readonly #spin = (): void => {
    this.#spinPending = false;
    if (this.#dispatched === 0 || !this.#ringRegistered) return;
    const pp = this.#ctx.pollParams;
    if (pp.maxNs === 0) return;
    if (this.#spinNs === 0) return; // grows again once results come within poll-max-ns
    const ring = this.#complete;
    ring.disarm();
    const start = performance.now();
    const budgetMs = this.#spinNs / 1e6;
    while (!ring.readable && performance.now() - start < budgetMs);
    // Leave the doorbell armed (this thread goes back to sleep in libuv),
    // then look once more: pairs with the producer's publish-then-exchange.
    // Found items are delivered here, in the home thread between two
    // dispatches of the context, rather than after another loop turn.
    while (ring.arm()) {
      ring.disarm();
      this.#drainCompletions();
    }
  };
}

/** The rejection value of a task that threw (a SerializedError from the worker, or a decoding failure). */
function rebuildError(value: unknown): unknown {
  const s = value as SerializedError;
  return s !== null && typeof s === 'object' && 'isError' in s ? (s.isError ? deserializeError(s) : s.props.value) : value;
}

function readPort(port: MessagePort, slot: number): PortPayload {
  for (;;) {
    const msg = receiveMessageOnPort(port);
    if (msg === undefined) throw new Error(`thread-pool: result of slot ${slot} missing`);
    const p = msg.message as PortPayload;
    if (p.slot === slot) return p;
  }
}
