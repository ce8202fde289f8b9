/**
 * The shared-memory layout between a pool and its workers.
 *
 * A pool owns one slot table: `capacity` slots, each a few Int32 words of
 * metadata (META), two Float64 timestamps (TIMES) and `inlineBytes` bytes of
 * payload (DATA). A task occupies a slot from the moment it is handed to a
 * worker until its completion is consumed. Rings carry only slot numbers:
 *
 * - one SPSC submission ring per worker (pool thread → worker), item = slot,
 *   or {@link EXIT_ITEM} to ask the worker to leave after the items before it;
 * - one MPSC completion ring per pool (workers → pool thread), item = slot.
 *
 * Slot state machine (STATE word, changed only with compare-exchange where
 * two threads race): QUEUED → ACTIVE (worker, CAS) → DONE (worker, store
 * after the result is written); QUEUED → CANCELLED (pool thread, CAS). The
 * CAS pair makes "cancel a queued task" and "start it" mutually exclusive:
 * exactly one wins, so a task is never both cancelled and run.
 *
 * Payloads (arguments and results) are `v8.serialize`d into the slot's DATA
 * bytes when they fit; otherwise (or with a transfer list) they travel as a
 * structured-clone message on a per-worker MessagePort that the other side
 * reads synchronously with `receiveMessageOnPort` when it meets the slot, so
 * the port never causes a wake-up of its own. LEN = {@link VIA_PORT} marks it.
 *
 * @module
 */

/** Int32 words of metadata per slot. */
export const META_WORDS = 8;
/** Slot state. */
export const STATE = 0;
/** Function id (the pool's numbering of `{ module, name }`). */
export const FN = 1;
/** Argument length in bytes, or VIA_PORT. */
export const ARG_LEN = 2;
/** Bit flags, see FLAG_*. */
export const FLAGS = 3;
/** 0: the result is a value; 1: it is a serialized error. */
export const RESULT_KIND = 4;
/** Result length in bytes, or VIA_PORT. */
export const RESULT_LEN = 5;
/**
 * Bumped by the pool each time it hands the slot to a task: an abort names
 * the slot and this number, so one meant for a task that has finished never
 * reaches the next task in the same slot.
 */
export const DISPATCH = 6;

/** The payload carries `[arg, moduleUrl, exportName]` (first use of FN by this worker). */
export const FLAG_DEFINE = 1;

export const QUEUED = 1;
export const ACTIVE = 2;
export const DONE = 3;
export const CANCELLED = 4;

export const RESULT_VALUE = 0;
export const RESULT_ERROR = 1;

export const VIA_PORT = -1;
/**
 * Fast paths: values that need no serializer. LEN holds the code; a number
 * is stored as a Float64 at the start of the slot's DATA bytes.
 */
export const LEN_UNDEFINED = -2;
export const LEN_NULL = -3;
export const LEN_TRUE = -4;
export const LEN_FALSE = -5;
export const LEN_NUMBER = -6;

/** The fast-path code of `v`, or 0 if it needs the serializer. */
export function fastCode(v: unknown): number {
  if (v === undefined) return LEN_UNDEFINED;
  if (typeof v === 'number') return LEN_NUMBER;
  if (v === null) return LEN_NULL;
  if (v === true) return LEN_TRUE;
  if (v === false) return LEN_FALSE;
  return 0;
}

/** Decodes a fast-path value; `f64` views the DATA bytes, `at` is the slot's Float64 index. */
export function readFast(code: number, f64: Float64Array, at: number): unknown {
  switch (code) {
    case LEN_NUMBER:
      return f64[at];
    case LEN_NULL:
      return null;
    case LEN_TRUE:
      return true;
    case LEN_FALSE:
      return false;
    default:
      return undefined;
  }
}
/** Int32 words of the pool's control area. */
export const CONTROL_WORDS = 1;
/**
 * 1 while workers may hold a completion's doorbell until their next task
 * ends: two or more workers are busy, so the pool's thread keeps being
 * woken; 0 otherwise (the pool stores 0, then takes what is in the ring).
 */
export const BATCH_OK = 0;

/** A submission-ring item asking the worker to exit. */
export const EXIT_ITEM = -1;

/** Float64 words of timestamps per slot: start and end of the run (ns, REALTIME clock of @loop/aio, shared by all threads). */
export const TIME_WORDS = 2;
export const T_START = 0;
export const T_END = 1;

/** What a worker receives as workerData. */
export interface WorkerInit {
  readonly index: number;
  readonly meta: SharedArrayBuffer;
  readonly times: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
  readonly inlineBytes: number;
  readonly submit: import('@loop/aio').RingData;
  readonly complete: import('@loop/aio').RingData;
  readonly port: import('node:worker_threads').MessagePort;
  readonly pollMaxNs: number;
  /** The pool's control words (CONTROL_WORDS Int32). */
  readonly control: SharedArrayBuffer;
  /** options.completionBatchUs in ns (0: a doorbell per completion). */
  readonly completionBatchNs: number;
}

/** A payload message on the per-worker port. */
export interface PortPayload {
  readonly slot: number;
  readonly value: unknown;
  /** Results only: `value` is the value itself (structured clone), not v8.serialize bytes. */
  readonly raw?: boolean;
}

/** A control message on the worker's parentPort. */
export interface AbortMessage {
  readonly type: 'abort';
  readonly slot: number;
  readonly dispatch: number;
}

/** An error as it crosses threads: plain data, rebuilt on arrival. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly props: Record<string, unknown>;
  readonly isError: boolean;
}

/** Flattens an error (or any thrown value) into cloneable data. */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e)) {
    const err = e as Error & Record<string, unknown>;
    const props: Record<string, unknown> = {};
    for (const k of Object.keys(err)) {
      if (k === 'name' || k === 'message' || k === 'stack') continue;
      const v = err[k];
      if (v === null || ['string', 'number', 'boolean', 'bigint', 'undefined'].includes(typeof v)) props[k] = v;
    }
    return { name: String(err.name ?? 'Error'), message: String(err.message), stack: err.stack, props, isError: true };
  }
  return { name: 'Error', message: String(e), stack: undefined, props: { value: safeValue(e) }, isError: false };
}

function safeValue(v: unknown): unknown {
  return v === null || typeof v !== 'object' ? v : String(v);
}

/** Rebuilds an error from {@link serializeError}'s data: same name, message, stack and fields. */
export function deserializeError(s: SerializedError): Error {
  const e = new Error(s.message) as Error & Record<string, unknown>;
  Object.defineProperty(e, 'name', { value: s.name, configurable: true, writable: true, enumerable: false });
  if (s.stack !== undefined) e.stack = s.stack;
  for (const [k, v] of Object.entries(s.props)) e[k] = v;
  return e;
}
