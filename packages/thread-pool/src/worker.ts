/**
 * The worker entry of @loop/thread-pool (loaded by URL as dist/worker.js,
 * never imported). QEMU's `worker_thread` shaped for Node: the thread runs
 * its own AioContext driven with adaptive polling; the pool's submission
 * ring is a ring handler on it, so while tasks keep coming the worker picks
 * them up by busy-polling shared memory (no system call, no wake-up), and
 * when the flow stops its polling time shrinks and it blocks in epoll_wait
 * without burning CPU.
 *
 * Tasks run one at a time, in ring order, as QEMU's workers run requests.
 * An async task function holds the worker until its promise settles (the
 * driven loop keeps promises, timers and fs working meanwhile).
 *
 * @module
 */
import { AioContext, ClockType, Ring, clockGetNs, thread } from '@loop/aio';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { deserialize, serialize } from 'node:v8';
import {
  ACTIVE,
  ARG_LEN,
  BATCH_OK,
  CANCELLED,
  DISPATCH,
  DONE,
  EXIT_ITEM,
  FLAG_DEFINE,
  FLAGS,
  FN,
  LEN_NUMBER,
  META_WORDS,
  QUEUED,
  RESULT_ERROR,
  RESULT_KIND,
  RESULT_LEN,
  RESULT_VALUE,
  STATE,
  T_END,
  T_START,
  TIME_WORDS,
  VIA_PORT,
  fastCode,
  readFast,
  serializeError,
  type AbortMessage,
  type PortPayload,
  type WorkerInit,
} from './protocol.js';
import { RunHistory } from './run-history.js';

type TaskFn = (arg: unknown, info: { signal: AbortSignal }) => unknown;

const init = workerData as WorkerInit;
try {
  thread.name = 'worker';
} catch {
  // Naming is cosmetic.
}
const ctx = new AioContext({ name: `thread-pool-worker-${init.index}` });
if (init.pollMaxNs > 0) ctx.setPollParams({ maxNs: init.pollMaxNs, grow: 2, shrink: 2 });
const submitRing = Ring.from(init.submit);
const completeRing = Ring.from(init.complete);
const meta = new Int32Array(init.meta);
const times = new Float64Array(init.times);
const bytes = new Uint8Array(init.data);
const inlineBytes = init.inlineBytes;
const port = init.port;
const f64 = new Float64Array(init.data);
const f64PerSlot = inlineBytes / 8;
const nowNs = (): number => clockGetNs(ClockType.REALTIME);

const fns = new Map<number, TaskFn>();
const defs = new Map<number, { module: string; name: string }>();
let pending: number[] = [];
let head = 0;
let busy = false;
let exiting = false;
let current = -1;
let controller: AbortController | null = null;
let currentDispatch = 0;
let currentAborted = false;
/** A completion is in the ring with its doorbell not yet rung (complete / flushDeferred). */
let deferred = false;
const control = new Int32Array(init.control);
const batchNs = init.completionBatchNs;
const runs = new RunHistory();

/** The second argument of a task: its signal is created on first use. */
const info = {
  get signal(): AbortSignal {
    if (controller === null) {
      controller = new AbortController();
      if (currentAborted) controller.abort();
    }
    return controller.signal;
  },
};

parentPort?.on('message', (m: AbortMessage) => {
  // The pool sends an abort only for a task this worker has started (its
  // compare-exchange from QUEUED failed), so the task is current or done:
  // one that matches no current task is for a finished one, ignored.
  if (m.type === 'abort' && m.slot === current && m.dispatch === currentDispatch) {
    currentAborted = true;
    controller?.abort();
  }
});

function readPort(slot: number): unknown {
  for (;;) {
    const msg = receiveMessageOnPort(port);
    if (msg === undefined) throw new Error(`thread-pool: payload of slot ${slot} missing`);
    const p = msg.message as PortPayload;
    if (p.slot === slot) return p.value;
  }
}

function readArg(slot: number): unknown {
  const m = slot * META_WORDS;
  const len = meta[m + ARG_LEN]!;
  let payload: unknown;
  if (len < VIA_PORT) {
    payload = readFast(len, f64, slot * f64PerSlot);
  } else if (len === VIA_PORT) {
    payload = readPort(slot);
  } else {
    const off = slot * inlineBytes;
    payload = deserialize(Buffer.from(bytes.subarray(off, off + len)));
  }
  if ((meta[m + FLAGS]! & FLAG_DEFINE) !== 0) {
    const [arg, module, name] = payload as [unknown, string, string];
    defs.set(meta[m + FN]!, { module, name });
    return arg;
  }
  return payload;
}

async function load(fnId: number): Promise<TaskFn> {
  const def = defs.get(fnId);
  if (def === undefined) throw new Error(`thread-pool: unknown task ${fnId}`);
  const ns = (await import(def.module)) as Record<string, unknown>;
  const fn = ns[def.name];
  if (typeof fn !== 'function') {
    const e = new TypeError(`task '${def.name}' is not an exported function of ${def.module}`) as TypeError & { code: string };
    e.code = 'LOOP_ERR_NO_EXPORT';
    throw e;
  }
  fns.set(fnId, fn as TaskFn);
  return fn as TaskFn;
}

function finish(slot: number, kind: number, value: unknown): void {
  const m = slot * META_WORDS;
  const end = nowNs();
  times[slot * TIME_WORDS + T_END] = end;
  runs.record(meta[m + FN]!, end - times[slot * TIME_WORDS + T_START]!);
  const code = kind === RESULT_ERROR ? 0 : fastCode(value);
  if (code !== 0) {
    if (code === LEN_NUMBER) f64[slot * f64PerSlot] = value as number;
    meta[m + RESULT_KIND] = kind;
    meta[m + RESULT_LEN] = code;
    current = -1;
    controller = null;
    Atomics.store(meta, m + STATE, DONE);
    complete(slot);
    return;
  }
  let buf: Buffer | null = null;
  try {
    buf = serialize(kind === RESULT_ERROR ? serializeError(value) : value);
  } catch {
    // SharedArrayBuffers and other host objects: structured clone on the port.
    try {
      port.postMessage({ slot, value, raw: true } satisfies PortPayload);
    } catch (e) {
      kind = RESULT_ERROR;
      buf = serialize(serializeError(e));
    }
  }
  meta[m + RESULT_KIND] = kind;
  if (buf === null) {
    meta[m + RESULT_LEN] = VIA_PORT;
  } else if (buf.length <= inlineBytes) {
    bytes.set(buf, slot * inlineBytes);
    meta[m + RESULT_LEN] = buf.length;
  } else {
    port.postMessage({ slot, value: buf } satisfies PortPayload);
    meta[m + RESULT_LEN] = VIA_PORT;
  }
  current = -1;
  controller = null;
  // Publish: the result words above happen-before this store (pairs with
  // the pool's Atomics.load of STATE when it takes the completion).
  Atomics.store(meta, m + STATE, DONE);
  complete(slot);
}

function complete(slot: number): void {
  // The completion ring has a slot for every slot of the table: never full.
  // The item is visible to the pool at once (an MPSC slot publishes itself);
  // only the doorbell may wait, see mayDefer.
  while (!completeRing.write(slot)) Atomics.wait(meta, 0, 0x7fffffff, 0.05);
  if (mayDefer()) {
    deferred = true;
    return;
  }
  deferred = false;
  completeRing.publish();
}

/**
 * Whether this completion's doorbell can wait for the next task's. On 2
 * vCPUs each doorbell wakes the pool's thread onto the worker's CPU between
 * two tasks (~80 µs of CPU per wake-up here); reporting two short tasks with
 * one wake-up halves that. Only with the next task already in hand, one
 * result at a time, when each of the last 16 to 32 runs of the next task's
 * function took at most completionBatchUs, and while the pool allows it
 * (BATCH_OK: another worker is busy, so its results wake the pool's thread,
 * which then takes this one too, visible in the ring since write()).
 */
function mayDefer(): boolean {
  if (deferred || batchNs === 0 || head >= pending.length) return false;
  const next = pending[head]!;
  if (next === EXIT_ITEM) return false;
  if (!runs.shortWithin(meta[next * META_WORDS + FN]!, batchNs)) return false;
  // After the item's own publishing store: pairs with the pool's store of 0
  // followed by its look at the ring (one of the two sees the other).
  return Atomics.load(control, BATCH_OK) === 1;
}

/** Publishes a completion whose doorbell waited, before this worker can wait itself. */
function flushDeferred(): void {
  if (deferred) {
    deferred = false;
    completeRing.publish();
  }
}

function exit(): void {
  exiting = true;
  ctx.setRingHandler(submitRing, null);
  ctx.destroy();
  port.close();
  process.exit(0);
}

/** Runs queued items until one goes async or the queue is empty. */
function pump(): void {
  runPending();
  flushDeferred();
}

function runPending(): void {
  while (!busy && head < pending.length) {
    const slot = pending[head++]!;
    if (head === pending.length) {
      pending = [];
      head = 0;
    }
    if (slot === EXIT_ITEM) {
      exit();
      return;
    }
    const m = slot * META_WORDS;
    const fnId = meta[m + FN]!;
    if (Atomics.compareExchange(meta, m + STATE, QUEUED, ACTIVE) !== QUEUED) {
      // Cancelled by the pool: consume its payload (it may define the
      // function) and acknowledge, so the pool can reuse the slot.
      try {
        readArg(slot);
      } catch {
        // Nothing to keep.
      }
      if (Atomics.load(meta, m + STATE) === CANCELLED) complete(slot);
      continue;
    }
    times[slot * TIME_WORDS + T_START] = nowNs();
    current = slot;
    currentDispatch = meta[m + DISPATCH]!;
    currentAborted = false;
    let arg: unknown;
    try {
      arg = readArg(slot);
    } catch (e) {
      finish(slot, RESULT_ERROR, e);
      continue;
    }
    const fn = fns.get(fnId);
    if (fn === undefined) {
      busy = true;
      load(fnId).then(
        (f) => {
          // The run starts now: loading the module is queue wait, not run
          // time (stats, and the run history that batching relies on).
          times[slot * TIME_WORDS + T_START] = nowNs();
          run(slot, f, arg);
        },
        (e) => {
          times[slot * TIME_WORDS + T_START] = nowNs();
          settle(slot, RESULT_ERROR, e);
        },
      );
      return;
    }
    if (run(slot, fn, arg)) return;
  }
}

function settle(slot: number, kind: number, value: unknown): void {
  finish(slot, kind, value);
  busy = false;
  if (!exiting) pump();
}

/** Calls the task; returns true if it went async (the worker is busy until it settles). */
function run(slot: number, fn: TaskFn, arg: unknown): boolean {
  controller = null;
  let r: unknown;
  try {
    r = fn(arg, info);
  } catch (e) {
    if (busy) settle(slot, RESULT_ERROR, e);
    else finish(slot, RESULT_ERROR, e);
    return false;
  }
  if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
    busy = true;
    (r as PromiseLike<unknown>).then(
      (v) => settle(slot, RESULT_VALUE, v),
      (e) => settle(slot, RESULT_ERROR, e),
    );
    return true;
  }
  if (busy) settle(slot, RESULT_VALUE, r);
  else finish(slot, RESULT_VALUE, r);
  return false;
}

ctx.setRingHandler(submitRing, (items, count) => {
  for (let i = 0; i < count; i++) pending.push(items[i]!);
  pump();
});
ctx.drive();
