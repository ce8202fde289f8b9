/**
 * Event notifiers: level-style wake-up objects backed by an eventfd.
 *
 * @module
 */
import { check, native } from './native.js';
import { DestroyedError } from './errors.js';
import { closeAfterWriters } from './internal/fd-guard.js';
import { cancelAtExit, closeAtExit } from './internal/exit-hooks.js';

/** Words of the shared state: closed flag, writers in progress (fd-guard.ts). */
const CLOSED = 0;
const WRITERS = 1;

const kShared: unique symbol = Symbol('shared');

/**
 * The plain, transferable form of an EventNotifier (see {@link EventNotifier.share}).
 *
 * @qemu none
 * @since 0.1.0
 */
export interface SharedEventNotifier {
  readonly fd: number;
  /** Int32 word 0: 1 once the owner has closed the notifier; word 1: writers in progress. */
  readonly state: SharedArrayBuffer;
}

/**
 * An eventfd that is either set (readable) or clear.
 *
 * @qemu EventNotifier (event_notifier_init, _set, _test_and_clear, _cleanup)
 *
 * **Threads** `set()` from any thread (through {@link EventNotifier.from} on
 * the receiving side); `testAndClear()` and `close()` on the creating thread.
 *
 * **Details** Setting it twice before it is drained gives one read callback.
 * After `close()`, `set()` on any copy is a no-op, so a reused fd number is
 * never written by mistake: a `set()` racing with `close()` in another thread
 * either writes before the fd is closed (close() waits for it) or not at all.
 * @since 0.1.0
 */
export class EventNotifier {
  readonly #fd: number;
  readonly #state: Int32Array;
  readonly #owner: boolean;
  #exitId = 0;

  /**
   * Creates a notifier, set if `active`.
   *
   * @qemu event_notifier_init
   * @throws {SystemCallError} `LOOP_ERR_SYSCALL` when eventfd() fails.
   */
  constructor(active?: boolean);
  constructor(active: boolean | typeof kShared = false, shared?: SharedEventNotifier) {
    if (active === kShared && shared !== undefined) {
      this.#fd = shared.fd;
      this.#state = new Int32Array(shared.state);
      this.#owner = false;
    } else {
      this.#fd = check(native.eventfd(active === true ? 1 : 0), 'eventfd');
      this.#state = new Int32Array(new SharedArrayBuffer(8));
      this.#owner = true;
      // Closed for the other threads if this one ends without close().
      this.#exitId = closeAtExit(this.#state, CLOSED, WRITERS);
    }
  }

  /**
   * Rebuilds, in the receiving thread, a notifier shared with {@link share}.
   * The copy can `set()`, `testAndClear()` and see `closed`, but not close.
   */
  static from(shared: SharedEventNotifier): EventNotifier {
    return new (EventNotifier as unknown as new (a: typeof kShared, s: SharedEventNotifier) => EventNotifier)(
      kShared,
      shared,
    );
  }

  /** The eventfd (a process-wide fd number). */
  get fd(): number {
    return this.#fd;
  }

  /** Whether `close()` has been called (on any copy's owner). */
  get closed(): boolean {
    return Atomics.load(this.#state, CLOSED) !== 0;
  }

  /**
   * Makes the notifier readable. Returns false if it is closed.
   *
   * @qemu event_notifier_set
   */
  set(): boolean {
    // The bracket of fd-guard.ts, with no JavaScript call inside it (a
    // terminated thread would leave the count up, and every close() would
    // wait its full bound).
    const st = this.#state;
    Atomics.add(st, WRITERS, 1);
    const open = Atomics.load(st, CLOSED) === 0;
    const rc = open ? native.eventfdWrite(this.#fd) : 0;
    Atomics.sub(st, WRITERS, 1);
    if (open) check(rc, 'write', this.#fd);
    return open;
  }

  /**
   * Drains the notifier; returns whether it was set.
   *
   * @qemu event_notifier_test_and_clear
   */
  testAndClear(): boolean {
    // A copy's read is a use of the fd like set(): bracketed the same way.
    const st = this.#state;
    Atomics.add(st, WRITERS, 1);
    const open = Atomics.load(st, CLOSED) === 0;
    const rc = open ? native.eventfdRead(this.#fd) : 0;
    Atomics.sub(st, WRITERS, 1);
    return open && check(rc, 'read', this.#fd) > 0;
  }

  /** The transferable form, for `EventNotifier.from` in another thread. */
  share(): SharedEventNotifier {
    return { fd: this.#fd, state: this.#state.buffer as SharedArrayBuffer };
  }

  /**
   * Closes the eventfd; idempotent.
   *
   * @qemu event_notifier_cleanup
   * @throws {DestroyedError} `LOOP_ERR_DESTROYED` on a copy that does not own the fd.
   */
  close(): void {
    if (!this.#owner) throw new DestroyedError('a shared EventNotifier cannot be closed by its user; it');
    if (!closeAfterWriters(this.#state, CLOSED, WRITERS)) return;
    cancelAtExit(this.#exitId);
    native.close(this.#fd);
  }

  /** Closes the notifier if this copy owns it. */
  [Symbol.dispose](): void {
    if (this.#owner) this.close();
  }
}

