/**
 * Shared-memory rings of fixed-size slots: single-producer/single-consumer
 * and multi-producer/single-consumer, for requests and completions between
 * threads.
 *
 * A ring is a SharedArrayBuffer plus an eventfd (its doorbell), so it is
 * plain data: post `ring.data` (or the ring) to another thread and rebuild it
 * with {@link Ring.from}. The consumer is an AioContext
 * ({@link AioContext.setRingHandler}); the producers are any threads.
 *
 * Doorbell protocol (the notify_me protocol with the producer clearing the
 * flag, as measured in driven-loop-findings.md Q4): the consumer sets ARMED
 * when it has drained the ring and may sleep, then looks at the ring once
 * more; a producer publishes its item and then exchanges ARMED with 0,
 * writing the eventfd only if it was 1. So each consumer sleep costs at most
 * one eventfd write, however many items arrive, and while the consumer is
 * awake (or busy-polling, which clears ARMED) producers make no system call.
 * Sequentially consistent Atomics make the two store→load pairs a Dekker
 * handshake: either the producer sees ARMED or the consumer sees the item.
 *
 * SPSC: HEAD and TAIL are free-running Int32 counters (wrapping is fine:
 * only their difference is used); the producer owns TAIL, the consumer HEAD.
 * MPSC: each slot has a sequence word (Vyukov's bounded queue): a producer
 * claims position p when the slot's sequence equals p (compare-exchange on
 * TAIL), writes, and stores p + 1; the consumer reads when it sees p + 1 and
 * stores p + slots, which hands the slot to the producer one lap later.
 *
 * @module
 */
import { check, native } from './native.js';
import { closeAfterWriters, waitForWriters } from './internal/fd-guard.js';
import { cancelAtExit, closeAtExit } from './internal/exit-hooks.js';

// Each header word on its own 128 bytes (a cache line, and the pair of
// lines x86's adjacent-line prefetcher moves together): the consumer writes
// HEAD and ARMED, the producer writes TAIL, and CLOSED is read on every
// push. On one shared line every push and every take bounced the line
// between the two CPUs.
const LINE_WORDS = 32;
const HEAD = 0;
const TAIL = LINE_WORDS;
const ARMED = 2 * LINE_WORDS;
const CLOSED = 3 * LINE_WORDS;
/** Producers writing the doorbell right now (fd-guard.ts); on CLOSED's line. */
const WRITERS = CLOSED + 1;
const HEADER_WORDS = 4 * LINE_WORDS;

/**
 * The kind of a ring.
 *
 * @qemu none
 * @since 0.1.0
 */
export type RingKind = 'spsc' | 'mpsc';

/**
 * Options of {@link Ring.create}.
 *
 * @qemu none
 * @since 0.1.0
 */
export interface RingOptions {
  /** 'spsc' (one producer thread) or 'mpsc' (any number). Default 'spsc'. */
  readonly kind?: RingKind;
  /** Number of slots, a power of two (default 1024). */
  readonly slots?: number;
  /** Int32 words per item (default 1). */
  readonly slotWords?: number;
}

/**
 * The plain, transferable form of a ring.
 *
 * @qemu none
 * @since 0.1.0
 */
export interface RingData {
  readonly type: 'loop-aio-ring';
  readonly kind: RingKind;
  readonly slots: number;
  readonly slotWords: number;
  readonly buffer: SharedArrayBuffer;
  readonly notifierFd: number;
}

/**
 * A bounded ring of fixed-size Int32 items in shared memory.
 *
 * @qemu none (QEMU's closest are virtqueues with notification suppression)
 *
 * **Threads** `push` from the producer thread(s); the consumer side is
 * driven by the AioContext the ring is registered with.
 *
 * **Gotchas** `push` returns false when the ring is full; the item is not
 * queued. The eventfd belongs to the thread that created the ring: keep that
 * thread alive while the ring is in use.
 * @since 0.1.0
 */
export class Ring implements RingData {
  readonly type = 'loop-aio-ring' as const;
  readonly kind: RingKind;
  readonly slots: number;
  readonly slotWords: number;
  readonly buffer: SharedArrayBuffer;
  readonly notifierFd: number;
  readonly #h: Int32Array;
  readonly #seq: Int32Array;
  readonly #d: Int32Array;
  readonly #mask: number;
  readonly #owner: boolean;
  #exitId = 0;
  readonly #spsc: boolean;
  #headSeen = 0;
  /** Producer side: items written and not yet published, and (SPSC) the tail they end at. */
  #staged = false;
  #stagedTail = 0;

  /** @internal Use {@link Ring.create} or {@link Ring.from}. */
  constructor(data: RingData, owner: boolean) {
    this.kind = data.kind;
    this.slots = data.slots;
    this.slotWords = data.slotWords;
    this.buffer = data.buffer;
    this.notifierFd = data.notifierFd;
    this.#mask = data.slots - 1;
    this.#h = new Int32Array(data.buffer, 0, HEADER_WORDS);
    this.#seq = new Int32Array(data.buffer, HEADER_WORDS * 4, data.kind === 'mpsc' ? data.slots : 0);
    const dataOffset = (HEADER_WORDS + (data.kind === 'mpsc' ? data.slots : 0)) * 4;
    this.#d = new Int32Array(data.buffer, dataOffset, data.slots * data.slotWords);
    this.#owner = owner;
    this.#spsc = data.kind === 'spsc';
    this.#headSeen = Atomics.load(this.#h, HEAD);
  }

  /**
   * Creates a ring and its doorbell eventfd.
   *
   * @throws {RangeError} for a slot count that is not a power of two in
   *   [2, 2^24] or a slotWords outside [1, 1024].
   */
  static create(options: RingOptions = {}): Ring {
    const kind = options.kind ?? 'spsc';
    const slots = options.slots ?? 1024;
    const slotWords = options.slotWords ?? 1;
    if (kind !== 'spsc' && kind !== 'mpsc') throw new RangeError(`options.kind must be 'spsc' or 'mpsc'`);
    if (!Number.isInteger(slots) || slots < 2 || slots > 2 ** 24 || (slots & (slots - 1)) !== 0) {
      throw new RangeError('options.slots must be a power of two between 2 and 16777216');
    }
    if (!Number.isInteger(slotWords) || slotWords < 1 || slotWords > 1024) {
      throw new RangeError('options.slotWords must be an integer between 1 and 1024');
    }
    const words = HEADER_WORDS + (kind === 'mpsc' ? slots : 0) + slots * slotWords;
    const buffer = new SharedArrayBuffer(words * 4);
    const fd = check(native.eventfd(0), 'eventfd');
    const ring = new Ring({ type: 'loop-aio-ring', kind, slots, slotWords, buffer, notifierFd: fd }, true);
    if (kind === 'mpsc') for (let i = 0; i < slots; i++) ring.#seq[i] = i;
    // Closed for the other threads if this one ends without close() (the
    // addon then closes the doorbell).
    ring.#exitId = closeAtExit(ring.#h, CLOSED, WRITERS);
    return ring;
  }

  /** Rebuilds a ring received from another thread. */
  static from(data: RingData): Ring {
    if (data === null || typeof data !== 'object' || data.type !== 'loop-aio-ring' || !(data.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError('Ring.from: not the data of a Ring');
    }
    return data instanceof Ring ? data : new Ring(data, false);
  }

  /** The plain data to post to another thread. */
  get data(): RingData {
    return {
      type: this.type,
      kind: this.kind,
      slots: this.slots,
      slotWords: this.slotWords,
      buffer: this.buffer,
      notifierFd: this.notifierFd,
    };
  }

  /** Items queued and visible to the consumer (a snapshot; SPSC items written and not yet published are not counted, MPSC ones are). */
  get size(): number {
    return (Atomics.load(this.#h, TAIL) - Atomics.load(this.#h, HEAD)) | 0;
  }

  /** Consumer side: whether there is an item to take (no system call; from another thread the answer may be stale). */
  get readable(): boolean {
    // Called by the consumer, which owns HEAD (a plain read of its own store).
    const head = this.#h[HEAD]!;
    if (this.#spsc) return Atomics.load(this.#h, TAIL) !== head;
    return Atomics.load(this.#seq, head & this.#mask) === ((head + 1) | 0);
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return Atomics.load(this.#h, CLOSED) !== 0;
  }

  /**
   * Queues one item (a number for one-word slots, or `slotWords` numbers).
   * Returns false if the ring is full or closed. Writes the doorbell only if
   * the consumer is armed (about to sleep, or asleep). Same as
   * {@link write} followed by {@link publish}.
   */
  push(item: number | ArrayLike<number>): boolean {
    if (!this.write(item)) return false;
    this.publish();
    return true;
  }

  /**
   * Queues one item without ringing the doorbell; a producer that queues a
   * burst calls {@link publish} once after it. In an SPSC ring the items
   * stay invisible to the consumer until then (one shared store per burst);
   * in an MPSC ring each item is visible at once (a slot's own sequence word
   * publishes it) and only the doorbell waits. Returns false if the ring is
   * full or closed. Nothing queued is lost if publish() is late, but a
   * sleeping consumer is not woken before it. Producer side only; an SPSC
   * producer keeps the unpublished tail in its Ring object, so it must use
   * one Ring object for all its writes.
   */
  write(item: number | ArrayLike<number>): boolean {
    const h = this.#h;
    const w = this.slotWords;
    // Plain reads where no ordering is needed (Atomics.load is a builtin
    // call of about 16 ns in this V8, a plain read about 1): CLOSED is
    // advisory (a push racing close() may still land; the doorbell write
    // re-checks it), and TAIL belongs to the one producer, which reads back
    // its own store.
    if (h[CLOSED] !== 0) return false;
    let pos: number;
    if (this.#spsc) {
      pos = this.#staged ? this.#stagedTail : h[TAIL]!;
      // The consumer's HEAD only moves forward: re-read it only when the
      // ring looks full from the last value seen.
      if (((pos - this.#headSeen) | 0) >= this.slots) {
        this.#headSeen = Atomics.load(h, HEAD);
        if (((pos - this.#headSeen) | 0) >= this.slots) return false;
      }
      if (w === 1 && typeof item === 'number') this.#d[pos & this.#mask] = item;
      else this.#write(pos, item, w);
      this.#stagedTail = (pos + 1) | 0;
      this.#staged = true;
    } else {
      const seq = this.#seq;
      for (;;) {
        pos = Atomics.load(h, TAIL);
        const s = Atomics.load(seq, pos & this.#mask);
        const diff = (s - pos) | 0;
        if (diff === 0) {
          if (Atomics.compareExchange(h, TAIL, pos, (pos + 1) | 0) === pos) break;
        } else if (diff < 0) {
          return false; // full
        }
      }
      this.#write(pos, item, w);
      Atomics.store(seq, pos & this.#mask, (pos + 1) | 0);
      this.#staged = true;
    }
    return true;
  }

  /**
   * Makes the items queued by {@link write} visible and rings the doorbell
   * if the consumer is armed. Cheap when nothing was written.
   */
  publish(): void {
    if (!this.#staged) return;
    this.#staged = false;
    if (this.#spsc) Atomics.store(this.#h, TAIL, this.#stagedTail);
    this.#kick();
  }

  #write(pos: number, item: number | ArrayLike<number>, w: number): void {
    const off = (pos & this.#mask) * w;
    if (typeof item === 'number') {
      this.#d[off] = item;
    } else {
      for (let i = 0; i < w; i++) this.#d[off + i] = item[i] ?? 0;
    }
  }

  #kick(): void {
    // Pairs with the Atomics.store(ARMED, 1) + readable check in arm().
    if (Atomics.load(this.#h, ARMED) !== 0 && Atomics.exchange(this.#h, ARMED, 0) === 1) {
      // The bracket of fd-guard.ts written out: no JavaScript call between
      // the exchange of ARMED and the write (a termination point there would
      // leave ARMED cleared and the consumer never woken again).
      const h = this.#h;
      Atomics.add(h, WRITERS, 1);
      if (Atomics.load(h, CLOSED) === 0) native.eventfdWrite(this.notifierFd);
      Atomics.sub(h, WRITERS, 1);
    }
  }

  /**
   * @internal Consumer: copies up to `max` items into `out` (which holds at
   * least max × slotWords words) and frees their slots. Returns the count.
   */
  take(out: Int32Array, max: number): number {
    const h = this.#h;
    const w = this.slotWords;
    const d = this.#d;
    // HEAD belongs to the one consumer: a plain read of its own store.
    let head = h[HEAD]!;
    let n = 0;
    if (this.#spsc) {
      const avail = (Atomics.load(h, TAIL) - head) | 0;
      const count = avail < max ? avail : max;
      for (; n < count; n++, head = (head + 1) | 0) {
        const off = (head & this.#mask) * w;
        if (w === 1) out[n] = d[off]!;
        else out.set(d.subarray(off, off + w), n * w);
      }
      Atomics.store(h, HEAD, head);
    } else {
      const seq = this.#seq;
      for (; n < max; n++, head = (head + 1) | 0) {
        const i = head & this.#mask;
        if (Atomics.load(seq, i) !== ((head + 1) | 0)) break;
        const off = i * w;
        if (w === 1) out[n] = d[off]!;
        else out.set(d.subarray(off, off + w), n * w);
        Atomics.store(seq, i, (head + this.slots) | 0);
      }
      Atomics.store(h, HEAD, head);
    }
    return n;
  }

  /** @internal Consumer: wants a doorbell for the next item; returns whether one is already readable. */
  arm(): boolean {
    Atomics.store(this.#h, ARMED, 1);
    return this.readable;
  }

  /** @internal Consumer: busy-polling, producers need not ring. */
  disarm(): void {
    Atomics.store(this.#h, ARMED, 0);
  }

  /** @internal Consumer: drains the doorbell (unless closed: the consumer may live in another thread than the creator). */
  drainDoorbell(): void {
    const h = this.#h;
    Atomics.add(h, WRITERS, 1);
    if (Atomics.load(h, CLOSED) === 0) native.eventfdRead(this.notifierFd);
    Atomics.sub(h, WRITERS, 1);
  }

  /**
   * Closes the ring: later pushes fail, and the creating thread closes the
   * eventfd. Idempotent.
   */
  close(): void {
    if (!closeAfterWriters(this.#h, CLOSED, WRITERS)) {
      // A copy closed it first: the creator still owns the fd and its exit hook.
      if (!this.#owner || this.#exitId === 0) return;
      waitForWriters(this.#h, WRITERS);
    }
    if (!this.#owner) return;
    cancelAtExit(this.#exitId);
    this.#exitId = 0;
    native.close(this.notifierFd);
  }
}
