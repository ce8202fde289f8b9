/**
 * A ring of variable-length byte records in a SharedArrayBuffer, for the
 * requests and replies of cross-thread calls. Writers take a spin lock (a
 * compare-exchange of LOCK from 0 to the thread's tag: writers are few and
 * hold it for one copy; a half-written record is invisible until TAIL
 * moves, so a lock given back by a dead writer's exit hook is safe); the
 * single reader needs none. Positions are free-running Int32 byte counters;
 * only their difference is used. A record is a 4-byte length and the bytes.
 *
 * The doorbell word ARMED follows the ring protocol of ring.ts: the reader
 * sets it before it may sleep and re-checks; a writer exchanges it with 0
 * after publishing and rings only if it was 1.
 */

import { threadId } from 'node:worker_threads';

/** The lock word, holding its holder's tag (0: free). */
export const LOCK = 0;
/**
 * This thread's lock tag. A tag, not just 1, so that a thread terminated
 * while it holds the lock can have it released by its exit hook (a
 * compare-exchange from its own tag; see call.ts).
 */
export const LOCK_TAG = threadId + 1;
const HEAD = 1;
const TAIL = 2;
export const ARMED = 3;
/**
 * Set by a writer that found the ring full and keeps the record for later:
 * the reader, once it has made room, clears it and wakes the writer's
 * thread (the writer cannot know when to retry otherwise).
 */
export const WANT = 4;
const HEADER_BYTES = 32;

export class ByteRing {
  readonly #h: Int32Array;
  readonly #d: Uint8Array;
  readonly #cap: number;
  readonly #len = new DataView(new ArrayBuffer(4));

  /** A view on `bytes` bytes of `sab` at `offset` (header included). */
  constructor(sab: SharedArrayBuffer, offset: number, bytes: number) {
    this.#h = new Int32Array(sab, offset, HEADER_BYTES / 4);
    this.#cap = bytes - HEADER_BYTES;
    this.#d = new Uint8Array(sab, offset + HEADER_BYTES, this.#cap);
  }

  /** Bytes to reserve for a ring of `capacity` data bytes (a power of two). */
  static bytesFor(capacity: number): number {
    if ((capacity & (capacity - 1)) !== 0) throw new RangeError('ByteRing capacity must be a power of two');
    return HEADER_BYTES + capacity;
  }

  get header(): Int32Array {
    return this.#h;
  }

  get empty(): boolean {
    return Atomics.load(this.#h, HEAD) === Atomics.load(this.#h, TAIL);
  }

  /** Appends one record; returns false if it does not fit now. */
  write(bytes: Uint8Array): boolean {
    const need = bytes.length + 4;
    if (need > this.#cap) return false;
    const h = this.#h;
    while (Atomics.compareExchange(h, LOCK, 0, LOCK_TAG) !== 0) {
      // spin: the holder only copies bytes
    }
    try {
      const head = Atomics.load(h, HEAD);
      const tail = Atomics.load(h, TAIL);
      if (this.#cap - ((tail - head) | 0) < need) return false;
      this.#len.setInt32(0, bytes.length, true);
      this.#copyIn(tail, new Uint8Array(this.#len.buffer));
      this.#copyIn((tail + 4) | 0, bytes);
      Atomics.store(h, TAIL, (tail + need) | 0);
      return true;
    } finally {
      Atomics.store(h, LOCK, 0);
    }
  }

  /** Takes the next record, or undefined when empty. Single reader only. */
  read(): Uint8Array | undefined {
    const h = this.#h;
    const head = Atomics.load(h, HEAD);
    if (head === Atomics.load(h, TAIL)) return undefined;
    const lenBytes = this.#copyOut(head, 4);
    const len = new DataView(lenBytes.buffer).getInt32(0, true);
    const out = this.#copyOut((head + 4) | 0, len);
    Atomics.store(h, HEAD, (head + 4 + len) | 0);
    return out;
  }

  #index(pos: number): number {
    return (pos >>> 0) % this.#cap;
  }

  #copyIn(pos: number, src: Uint8Array): void {
    const i = this.#index(pos);
    const first = Math.min(src.length, this.#cap - i);
    this.#d.set(src.subarray(0, first), i);
    if (first < src.length) this.#d.set(src.subarray(first), 0);
  }

  #copyOut(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const i = this.#index(pos);
    const first = Math.min(len, this.#cap - i);
    out.set(this.#d.subarray(i, i + first), 0);
    if (first < len) out.set(this.#d.subarray(0, len - first), first);
    return out;
  }
}
