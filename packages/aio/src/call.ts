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
import { EXIT_ADD, EXIT_CAS, EXIT_SIGNAL, EXIT_STORE, EXIT_WAIT_US, EXIT_WAIT_ZERO, atExit, cancelAtExit } from './internal/exit-hooks.js';
import { signalHeldFd, waitForWriters } from './internal/fd-guard.js';
import { DestroyedError, LoopError } from './errors.js';
import { check, native, type PollHandle } from './native.js';

/** Calling threads per context. */
export const CALL_CHANNELS = 8;
const INBOX_BYTES = 1 << 18;
const CHANNEL_RING_BYTES = 1 << 17;
/** The area's own header: a random id (two words), so copies of a handle are known as one area. */
const AREA_HEADER = 16;
const AREA_ID = 0;
const CHANNEL_HEADER = 16; // owner, caller fd, writers, generation
const OWNER = 0;
const CALLER_FD = 1;
/** Home-thread sections signalling CALLER_FD right now (the caller's exit hook waits for 0). */
const WRITERS = 2;
/** Bumped by each claim and by each owner's exit. */
const GEN = 3;

const inboxSize = ByteRing.bytesFor(INBOX_BYTES);
const channelSize = CHANNEL_HEADER + ByteRing.bytesFor(CHANNEL_RING_BYTES);
/** The inbox's lock word, as an index into the area's Int32 words. */
const INBOX_LOCK = AREA_HEADER / 4 + LOCK;

/** @internal */
export function createCallArea(): SharedArrayBuffer {
  const area = new SharedArrayBuffer(AREA_HEADER + inboxSize + CALL_CHANNELS * channelSize);
  const words = new Int32Array(area);
  crypto.getRandomValues(words.subarray(AREA_ID, AREA_ID + 2));
  // No caller's fd yet (0 would be stdin).
  for (let k = 0; k < CALL_CHANNELS; k++) words[channelOffset(k) / 4 + CALLER_FD] = -1;
  return area;
}

function channelOffset(k: number): number {
  return AREA_HEADER + inboxSize + k * channelSize;
}

function inboxOf(area: SharedArrayBuffer): ByteRing {
  return new ByteRing(area, AREA_HEADER, inboxSize);
}

function areaKey(words: Int32Array): string {
  return `${Atomics.load(words, AREA_ID)}:${Atomics.load(words, AREA_ID + 1)}`;
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

/** This thread's channel in one context's call area. */
interface Claim {
  readonly key: string;
  readonly k: number;
  readonly gen: number;
  /** The area's words and this channel's first word in them. */
  readonly words: Int32Array;
  readonly base: number;
  readonly header: Int32Array;
  readonly ring: ByteRing;
  /** The home context's control words and notifier. */
  readonly control: Int32Array;
  readonly notifierFd: number;
  readonly outbox: Outbox;
  readonly exitId: number;
  /** Calls on this claim not settled yet. */
  readonly ids: Set<number>;
}

/** Requests not yet in the home's inbox (it was full), in order. */
interface Outbox {
  readonly inbox: ByteRing;
  readonly queue: Uint8Array[];
  retry: boolean;
}

const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; claim: Claim }>();
let nextId = 1;
let callerFd = -1;
let callerPoll: PollHandle | null = null;
let callerRefd = false;
/** By area id: every copy of a handle (each postMessage makes a new SharedArrayBuffer object) finds the one claim. */
const claims = new Map<string, Claim>();
const claimBySab = new WeakMap<SharedArrayBuffer, Claim>();

function onReplies(): void {
  native.eventfdRead(callerFd);
  for (const c of claims.values()) {
    let took = false;
    for (;;) {
      const rec = c.ring.read();
      if (rec === undefined) {
        // The home thread held replies back for want of room: it retries
        // when it drains its calls, so make it drain.
        if (took && Atomics.load(c.header, WANT) !== 0 && Atomics.exchange(c.header, WANT, 0) !== 0) {
          Atomics.store(c.control, CALL_PENDING, 1);
          notifyControl(c.control, c.notifierFd);
        }
        // Pairs with the exchange of ARMED after a reply is written.
        Atomics.store(c.header, ARMED, 1);
        if (c.ring.empty) break;
        continue;
      }
      took = true;
      const r = deserialize(rec) as Reply;
      // A reply meant for the channel's previous owner (it died with calls in flight).
      if (r.gen === c.gen) settle(r);
    }
    // The home context was destroyed (or its thread ended): nothing more will come.
    if (Atomics.load(c.control, DESTROYED) !== 0) drop(c);
  }
  updateCallerRef();
}

function settle(r: Reply): void {
  const p = pending.get(r.id);
  if (p === undefined) return;
  pending.delete(r.id);
  p.claim.ids.delete(r.id);
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

/** Forgets a claim on a destroyed context and rejects its calls still waiting. */
function drop(c: Claim): void {
  if (claims.get(c.key) !== c) return;
  claims.delete(c.key);
  // Withdraw this thread's fd (a reply the home thread is signalling right
  // now finishes first): the fd outlives this claim, and once this thread
  // ends the addon closes it, while the exit hook below no longer runs.
  Atomics.store(c.words, c.base + CALLER_FD, -1);
  waitForWriters(c.words, c.base + WRITERS);
  cancelAtExit(c.exitId);
  c.outbox.queue.length = 0;
  for (const id of c.ids) {
    const p = pending.get(id);
    pending.delete(id);
    p?.reject(new DestroyedError('the target AioContext'));
  }
  c.ids.clear();
}

function updateCallerRef(): void {
  const want = pending.size > 0;
  if (callerPoll !== null && want !== callerRefd) {
    callerRefd = want;
    native.pollRef(callerPoll, want);
  }
}

function claimFor(area: SharedArrayBuffer, control: Int32Array, notifierFd: number): Claim {
  const seen = claimBySab.get(area);
  if (seen !== undefined && claims.get(seen.key) === seen) return seen;
  const words = new Int32Array(area);
  const key = areaKey(words);
  const have = claims.get(key);
  if (have !== undefined) {
    claimBySab.set(area, have);
    return have;
  }
  if (callerFd < 0) {
    callerFd = check(native.eventfd(0), 'eventfd');
    callerPoll = native.pollStart(callerFd, onReplies);
    callerRefd = true;
  }
  for (let k = 0; k < CALL_CHANNELS; k++) {
    const base = channelOffset(k) / 4;
    if (Atomics.compareExchange(words, base + OWNER, 0, threadId + 1) !== 0) continue;
    const gen = (Atomics.add(words, base + GEN, 1) + 1) | 0;
    // Given back when this thread's environment is torn down, in this
    // order: the inbox lock if held; the fd withdrawn and any signalling of
    // it finished (the addon closes the fd after the hook); the generation
    // moved on, so the home drops the replies it still holds for this
    // thread; the owner word.
    let exitId: number;
    try {
      exitId = atExit(words, [
        EXIT_CAS, INBOX_LOCK, LOCK_TAG, 0,
        EXIT_STORE, base + CALLER_FD, -1, 0,
        EXIT_WAIT_ZERO, base + WRITERS, EXIT_WAIT_US, 0,
        EXIT_ADD, base + GEN, 1, 0,
        EXIT_CAS, base + OWNER, threadId + 1, 0,
      ]);
    } catch (e) {
      Atomics.store(words, base + OWNER, 0);
      throw e;
    }
    const ring = new ByteRing(area, channelOffset(k) + CHANNEL_HEADER, ByteRing.bytesFor(CHANNEL_RING_BYTES));
    // Replies a previous owner did not read: drop them (their generation is
    // old; any still on their way are filtered by generation in onReplies).
    while (ring.read() !== undefined);
    Atomics.store(ring.header, WANT, 0);
    Atomics.store(words, base + CALLER_FD, callerFd);
    Atomics.store(ring.header, ARMED, 1);
    const claim: Claim = {
      key,
      k,
      gen,
      words,
      base,
      header: ring.header,
      ring,
      control,
      notifierFd,
      outbox: { inbox: inboxOf(area), queue: [], retry: false },
      exitId,
      ids: new Set(),
    };
    claims.set(key, claim);
    claimBySab.set(area, claim);
    return claim;
  }
  throw new LoopError('LOOP_ERR_RESOURCE', 'GenericError', `all ${CALL_CHANNELS} call channels of this AioContext are taken by other threads`);
}

function flushOutbox(c: Claim): void {
  const o = c.outbox;
  let wrote = false;
  while (o.queue.length > 0 && o.inbox.write(o.queue[0]!)) {
    o.queue.shift();
    wrote = true;
  }
  if (wrote) {
    // Publish, then wake the home thread only if it sleeps.
    Atomics.store(c.control, CALL_PENDING, 1);
    notifyControl(c.control, c.notifierFd);
  }
  if (o.queue.length > 0 && !o.retry) {
    // The home thread has not caught up: try again after this thread's next loop turn.
    o.retry = true;
    setImmediate(() => {
      o.retry = false;
      if (Atomics.load(c.control, DESTROYED) !== 0) {
        drop(c);
        updateCallerRef();
        return;
      }
      flushOutbox(c);
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
    if (Atomics.load(control, DESTROYED) !== 0) {
      const gone = claimBySab.get(area);
      if (gone !== undefined) drop(gone);
      throw new DestroyedError('the target AioContext');
    }
    const c = claimFor(area, control, notifierFd);
    const id = nextId++;
    const bytes = serialize({ id, ch: c.k, gen: c.gen, url, name, args } satisfies Request);
    if (bytes.length + 4 > INBOX_BYTES) {
      throw new LoopError('LOOP_ERR_CALL_TOO_LARGE', 'GenericError', `a call request of ${bytes.length} bytes exceeds the ${INBOX_BYTES}-byte call queue`);
    }
    const p = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject, claim: c }));
    c.ids.add(id);
    c.outbox.queue.push(bytes);
    flushOutbox(c);
    // Destroyed meanwhile? destroy() sets DESTROYED, then wakes the callers
    // it sees; this thread published its fd and request, then looks: one of
    // the two sees the other, so the call cannot be left waiting.
    if (Atomics.load(control, DESTROYED) !== 0) drop(c);
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
  /** Per channel: replies that did not fit its ring yet, in order. */
  readonly #backlogs: Array<Array<{ gen: number; bytes: Uint8Array }>> = [];
  #exitId: number;
  /** After close(): results of calls still running are not sent (their callers have rejected them). */
  #closed = false;

  constructor(area: SharedArrayBuffer) {
    this.#area = area;
    this.#words = new Int32Array(area);
    this.#inbox = inboxOf(area);
    const quads: number[] = [];
    for (let k = 0; k < CALL_CHANNELS; k++) {
      this.#channels.push(new ByteRing(area, channelOffset(k) + CHANNEL_HEADER, ByteRing.bytesFor(CHANNEL_RING_BYTES)));
      this.#backlogs.push([]);
      const base = channelOffset(k) / 4;
      quads.push(EXIT_SIGNAL, base + WRITERS, base + CALLER_FD, 0);
    }
    // If this thread ends without destroy(): wake every caller, so it sees
    // the context's DESTROYED mark (set by the context's own exit hook,
    // registered before this one) and rejects its waiting calls.
    this.#exitId = atExit(this.#words, quads);
  }

  get area(): SharedArrayBuffer {
    return this.#area;
  }

  /** Starts every queued request; returns how many. */
  drain(): number {
    for (let k = 0; k < CALL_CHANNELS; k++) if (this.#backlogs[k]!.length > 0) this.#flush(k);
    let n = 0;
    for (;;) {
      const rec = this.#inbox.read();
      if (rec === undefined) return n;
      n++;
      this.#run(deserialize(rec) as Request);
    }
  }

  /**
   * The context is being destroyed (DESTROYED is set): wakes every caller so
   * it rejects the calls it still waits for, and drops the exit hook.
   */
  close(): void {
    this.#closed = true;
    for (let k = 0; k < CALL_CHANNELS; k++) {
      const base = channelOffset(k) / 4;
      if (Atomics.load(this.#words, base + OWNER) !== 0) this.#signal(base);
      this.#backlogs[k]!.length = 0;
    }
    cancelAtExit(this.#exitId);
    this.#exitId = 0;
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
    if (this.#closed) return;
    let bytes: Uint8Array;
    try {
      bytes = serialize(r);
    } catch (e) {
      bytes = serialize({ id: r.id, gen: r.gen, ok: false, error: toPlainError(e) } satisfies Reply);
    }
    if (bytes.length + 4 > CHANNEL_RING_BYTES) {
      // It could never be written: the caller gets an error instead.
      const e = new LoopError('LOOP_ERR_CALL_TOO_LARGE', 'GenericError', `a call reply of ${bytes.length} bytes exceeds the ${CHANNEL_RING_BYTES}-byte reply channel`);
      bytes = serialize({ id: r.id, gen: r.gen, ok: false, error: toPlainError(e) } satisfies Reply);
    }
    this.#backlogs[ch]!.push({ gen: r.gen, bytes });
    this.#flush(ch);
  }

  /** Writes channel `ch`'s backlog into its ring while it fits, and signals the caller. */
  #flush(ch: number): void {
    const words = this.#words;
    const base = channelOffset(ch) / 4;
    const backlog = this.#backlogs[ch]!;
    const ring = this.#channels[ch]!;
    let wrote = false;
    while (backlog.length > 0) {
      const { gen, bytes } = backlog[0]!;
      if (Atomics.load(words, base + GEN) !== gen) {
        // The caller has gone (its exit moved the generation on): nobody waits.
        backlog.shift();
        continue;
      }
      if (!ring.write(bytes)) {
        // The caller is slow. Ask it to wake this thread when it has made
        // room (then the drain flushes again), and try once more in case it
        // made room before it could see the request.
        Atomics.store(ring.header, WANT, 1);
        if (!ring.write(bytes)) break;
      }
      backlog.shift();
      wrote = true;
    }
    if (wrote && Atomics.exchange(ring.header, ARMED, 0) === 1) this.#signal(base);
  }

  /**
   * Writes the caller's eventfd. WRITERS brackets the use of the fd: the
   * caller's exit hook withdraws the fd, then waits for WRITERS to be 0
   * before the fd is closed, so a reused fd number is never written.
   */
  #signal(base: number): void {
    signalHeldFd(this.#words, base + WRITERS, base + CALLER_FD);
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
