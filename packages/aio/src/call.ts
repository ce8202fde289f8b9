/**
 * Cross-thread calls: `handle.call(moduleUrl, exportName, ...args)` runs an
 * exported function in the context's home thread and settles a promise in
 * the calling thread, through shared memory only (no MessagePort message).
 *
 * Layout of a context's call area (one SharedArrayBuffer, created with its
 * first handle):
 *
 *   inbox       ByteRing of requests, written by any thread under its lock
 *   channel[k]  per calling thread: an owner word, the caller's eventfd, and
 *               a ByteRing of replies written by the home thread
 *
 * A calling thread claims one channel per context at its first call (there
 * are CALL_CHANNELS) and watches its own private eventfd with a uv_poll, so
 * it needs no AioContext. When the thread ends, exits or is terminated, the
 * addon's exit hook gives the channel back (and the inbox lock, should the
 * thread die holding it): it withdraws the caller's fd, waits for a reply
 * being signalled to it, and frees the owner word. Each claim bumps the
 * channel's generation; requests and replies carry it, so a late reply to
 * a dead caller is dropped, never delivered to the channel's next owner,
 * and never written to a reused fd number. Requests and replies are
 * v8.serialize()d; errors travel as `{ name, message, stack, code }` and
 * are rebuilt with their message and stack.
 *
 * @module
 */
import { serialize, deserialize } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { ARMED, ByteRing, LOCK, LOCK_TAG, WANT } from './internal/byte-ring.js';
import { CALL_PENDING, DESTROYED, notifyControl } from './internal/control.js';
import { DestroyedError, LoopError } from './errors.js';
import { check, native, type PollHandle } from './native.js';

/** Calling threads per context. */
export const CALL_CHANNELS = 8;
const INBOX_BYTES = 1 << 18;
const CHANNEL_RING_BYTES = 1 << 17;
const CHANNEL_HEADER = 16; // owner, caller fd, writers, generation
const OWNER = 0;
const CALLER_FD = 1;
/** Home-thread sections signalling CALLER_FD right now (the exit hook waits for 0). */
const WRITERS = 2;
/** Bumped by each claim. */
const GEN = 3;
/** Exit-hook operations (native atExit). */
const EXIT_CAS = 1;
const EXIT_STORE = 2;
const EXIT_WAIT_ZERO = 3;
/** The longest the exit hook waits for a home thread's signalling section. */
const EXIT_WAIT_US = 100_000;

const inboxSize = ByteRing.bytesFor(INBOX_BYTES);
const channelSize = CHANNEL_HEADER + ByteRing.bytesFor(CHANNEL_RING_BYTES);

/** @internal */
export function createCallArea(): SharedArrayBuffer {
  return new SharedArrayBuffer(inboxSize + CALL_CHANNELS * channelSize);
}

function channelOffset(k: number): number {
  return inboxSize + k * channelSize;
}

interface Request {
  readonly id: number;
  readonly ch: number;
  readonly gen: number;
  readonly url: string;
  readonly name: string;
  readonly args: unknown[];
}

interface Reply {
  readonly id: number;
  readonly gen: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { name: string; message: string; stack?: string; code?: string };
}

// ---------------------------------------------------------------- caller side

interface Channel {
  readonly header: Int32Array;
  readonly ring: ByteRing;
  readonly gen: number;
  /** The home context's control words and notifier, to wake it when room is made. */
  readonly control: Int32Array;
  readonly notifierFd: number;
}

const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let nextId = 1;
let callerFd = -1;
let callerPoll: PollHandle | null = null;
let callerRefd = false;
const myChannels: Channel[] = [];
const claimed = new WeakMap<SharedArrayBuffer, { readonly k: number; readonly gen: number }>();

function onReplies(): void {
  native.eventfdRead(callerFd);
  for (const ch of myChannels) {
    let took = false;
    for (;;) {
      const rec = ch.ring.read();
      if (rec === undefined) {
        // The home thread held replies back for want of room: it retries
        // when it drains its calls, so make it drain.
        if (took && Atomics.load(ch.header, WANT) !== 0 && Atomics.exchange(ch.header, WANT, 0) !== 0) {
          Atomics.store(ch.control, CALL_PENDING, 1);
          notifyControl(ch.control, ch.notifierFd);
        }
        // Pairs with the exchange of ARMED after a reply is written.
        Atomics.store(ch.header, ARMED, 1);
        if (ch.ring.empty) break;
        continue;
      }
      took = true;
      const r = deserialize(rec) as Reply;
      // A reply meant for the channel's previous owner (it died with calls in flight).
      if (r.gen === ch.gen) settle(r);
    }
  }
  updateCallerRef();
}

function settle(r: Reply): void {
  const p = pending.get(r.id);
  if (p === undefined) return;
  pending.delete(r.id);
  if (r.ok) {
    p.resolve(r.value);
  } else {
    const e = r.error ?? { name: 'Error', message: 'call failed' };
    const err = new Error(e.message) as Error & { code?: string };
    err.name = e.name;
    if (e.stack !== undefined) err.stack = e.stack;
    if (e.code !== undefined) err.code = e.code;
    p.reject(err);
  }
}

function updateCallerRef(): void {
  const want = pending.size > 0;
  if (callerPoll !== null && want !== callerRefd) {
    callerRefd = want;
    native.pollRef(callerPoll, want);
  }
}

function claimChannel(area: SharedArrayBuffer, control: Int32Array, notifierFd: number): { readonly k: number; readonly gen: number } {
  const have = claimed.get(area);
  if (have !== undefined) return have;
  if (callerFd < 0) {
    callerFd = check(native.eventfd(0), 'eventfd');
    callerPoll = native.pollStart(callerFd, onReplies);
    callerRefd = true;
  }
  const words = new Int32Array(area);
  for (let k = 0; k < CALL_CHANNELS; k++) {
    const base = channelOffset(k) / 4;
    if (Atomics.compareExchange(words, base + OWNER, 0, threadId + 1) === 0) {
      const gen = (Atomics.add(words, base + GEN, 1) + 1) | 0;
      Atomics.store(words, base + CALLER_FD, callerFd);
      // Given back when this thread's environment is torn down, in this
      // order: the inbox lock if held; the fd withdrawn and any signalling
      // of it finished (the fd is closed after the hook); the owner word.
      const ops = Int32Array.of(
        EXIT_CAS, LOCK, LOCK_TAG, 0,
        EXIT_STORE, base + CALLER_FD, -1, 0,
        EXIT_WAIT_ZERO, base + WRITERS, EXIT_WAIT_US, 0,
        EXIT_CAS, base + OWNER, threadId + 1, 0,
      );
      const rc = native.atExit(words, ops);
      if (rc < 0) {
        Atomics.store(words, base + CALLER_FD, -1);
        Atomics.store(words, base + OWNER, 0);
        check(rc, 'atExit');
      }
      const ring = new ByteRing(area, channelOffset(k) + CHANNEL_HEADER, ByteRing.bytesFor(CHANNEL_RING_BYTES));
      Atomics.store(ring.header, ARMED, 1);
      myChannels.push({ header: ring.header, ring, gen, control, notifierFd });
      const claim = { k, gen };
      claimed.set(area, claim);
      return claim;
    }
  }
  throw new LoopError('LOOP_ERR_RESOURCE', 'GenericError', `all ${CALL_CHANNELS} call channels of this AioContext are taken by other threads`);
}

/** Requests not yet in a target's inbox (it was full), per target, in order. */
interface Outbox {
  readonly inbox: ByteRing;
  readonly control: Int32Array;
  readonly notifierFd: number;
  readonly queue: Uint8Array[];
  retry: boolean;
}
const outboxes = new WeakMap<SharedArrayBuffer, Outbox>();

function outboxFor(area: SharedArrayBuffer, control: Int32Array, notifierFd: number): Outbox {
  let o = outboxes.get(area);
  if (o === undefined) {
    o = { inbox: new ByteRing(area, 0, inboxSize), control, notifierFd, queue: [], retry: false };
    outboxes.set(area, o);
  }
  return o;
}

function flushOutbox(o: Outbox): void {
  let wrote = false;
  while (o.queue.length > 0 && o.inbox.write(o.queue[0]!)) {
    o.queue.shift();
    wrote = true;
  }
  if (wrote) {
    // Publish, then wake the home thread only if it sleeps.
    Atomics.store(o.control, CALL_PENDING, 1);
    notifyControl(o.control, o.notifierFd);
  }
  if (o.queue.length > 0 && !o.retry) {
    // The home thread has not caught up: try again after this thread's next loop turn.
    o.retry = true;
    setImmediate(() => {
      o.retry = false;
      if (Atomics.load(o.control, DESTROYED) !== 0) {
        o.queue.length = 0;
        return;
      }
      flushOutbox(o);
    });
  }
}

/** @internal The body of ContextHandle.call. */
export function callInto(
  area: SharedArrayBuffer,
  control: Int32Array,
  notifierFd: number,
  url: string,
  name: string,
  args: unknown[],
): Promise<unknown> {
  try {
    if (Atomics.load(control, DESTROYED) !== 0) throw new DestroyedError('the target AioContext');
    const { k: ch, gen } = claimChannel(area, control, notifierFd);
    const id = nextId++;
    const bytes = serialize({ id, ch, gen, url, name, args } satisfies Request);
    if (bytes.length + 4 > INBOX_BYTES) {
      throw new LoopError('LOOP_ERR_CALL_TOO_LARGE', 'GenericError', `a call request of ${bytes.length} bytes exceeds the ${INBOX_BYTES}-byte call queue`);
    }
    const p = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
    const target = outboxFor(area, control, notifierFd);
    target.queue.push(bytes);
    flushOutbox(target);
    updateCallerRef();
    return p;
  } catch (e) {
    return Promise.reject(e);
  }
}

// ------------------------------------------------------------------ home side

/** @internal The home thread's end of a call area. */
export class CallInbox {
  readonly #area: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #inbox: ByteRing;
  readonly #channels: ByteRing[] = [];
  readonly #backlog: Array<{ ch: number; gen: number; bytes: Uint8Array }> = [];

  constructor(area: SharedArrayBuffer) {
    this.#area = area;
    this.#words = new Int32Array(area);
    this.#inbox = new ByteRing(area, 0, inboxSize);
    for (let k = 0; k < CALL_CHANNELS; k++) {
      this.#channels.push(new ByteRing(area, channelOffset(k) + CHANNEL_HEADER, ByteRing.bytesFor(CHANNEL_RING_BYTES)));
    }
  }

  get area(): SharedArrayBuffer {
    return this.#area;
  }

  /** Starts every queued request; returns how many. */
  drain(): number {
    this.#flushBacklog();
    let n = 0;
    for (;;) {
      const rec = this.#inbox.read();
      if (rec === undefined) return n;
      n++;
      this.#run(deserialize(rec) as Request);
    }
  }

  #run(req: Request): void {
    const run = async (): Promise<unknown> => {
      const mod = (await import(req.url)) as Record<string, unknown>;
      const fn = mod[req.name];
      if (typeof fn !== 'function') {
        throw new LoopError('LOOP_ERR_NO_EXPORT', 'GenericError', `${req.url} has no exported function '${req.name}'`);
      }
      return await (fn as (...a: unknown[]) => unknown)(...req.args);
    };
    const { id, gen } = req;
    run().then(
      (value) => this.#reply(req.ch, { id, gen, ok: true, value }),
      (err: unknown) => this.#reply(req.ch, { id, gen, ok: false, error: toPlainError(err) }),
    );
  }

  #reply(ch: number, r: Reply): void {
    let bytes: Uint8Array;
    try {
      bytes = serialize(r);
    } catch (e) {
      bytes = serialize({ id: r.id, gen: r.gen, ok: false, error: toPlainError(e) } satisfies Reply);
    }
    this.#backlog.push({ ch, gen: r.gen, bytes });
    this.#flushBacklog();
  }

  #flushBacklog(): void {
    const words = this.#words;
    while (this.#backlog.length > 0) {
      const { ch, gen, bytes } = this.#backlog[0]!;
      const base = channelOffset(ch) / 4;
      if (Atomics.load(words, base + GEN) !== gen) {
        // The caller has gone and its channel was given back: nobody waits.
        this.#backlog.shift();
        continue;
      }
      const ring = this.#channels[ch]!;
      if (!ring.write(bytes)) {
        // The caller is slow. Ask it to wake this thread when it has made
        // room (then this backlog is flushed by the drain), and try once
        // more in case it made room before it could see the request.
        Atomics.store(ring.header, WANT, 1);
        if (!ring.write(bytes)) return;
      }
      this.#backlog.shift();
      if (Atomics.exchange(ring.header, ARMED, 0) === 1) {
        // WRITERS brackets the use of the fd: the caller's exit hook withdraws
        // the fd, then waits for WRITERS to be 0 before the fd is closed, so a
        // reused fd number is never written.
        Atomics.add(words, base + WRITERS, 1);
        const fd = Atomics.load(words, base + CALLER_FD);
        if (fd >= 0) native.eventfdWrite(fd);
        Atomics.sub(words, base + WRITERS, 1);
      }
    }
  }
}

function toPlainError(err: unknown): NonNullable<Reply['error']> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      ...(err.stack !== undefined ? { stack: err.stack } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}
