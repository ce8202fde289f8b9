/**
 * Timers and timer lists.
 *
 * Each AioContext owns one {@link TimerList} per clock (QEMU's timer list
 * group). A list keeps its armed timers in a heap ordered by expiry and then
 * by arming order, tells its context when its earliest deadline changes, and
 * runs due timers reading its clock once per pass.
 *
 * @module
 */
import { ClockType, clampNs, clockGetNs, type Scale } from './clock.js';
import { TimerHeap, type HeapEntry } from './internal/timer-heap.js';
import { native } from './native.js';

let armSeq = 0;

/**
 * One clock's list of timers in one context.
 *
 * @qemu QEMUTimerList (timerlist_*)
 * @since 0.1.0
 */
export class TimerList {
  readonly clockType: ClockType;
  readonly #heap = new TimerHeap<Timer>();
  readonly #notify: () => void;
  /** Timer callbacks run so far. */
  dispatched = 0;

  /** @internal Created by AioContext. */
  constructor(clockType: ClockType, notify: () => void) {
    this.clockType = clockType;
    this.#notify = notify;
  }

  /** Number of armed timers. */
  get size(): number {
    return this.#heap.size;
  }

  /** @internal */
  insert(t: Timer): void {
    this.#heap.push(t);
    if (this.#heap.peek() === t) this.#notify();
  }

  /** @internal */
  remove(t: Timer): void {
    this.#heap.remove(t);
  }

  /**
   * Nanoseconds until the earliest timer expires: -1 if none (or if the
   * clock is the stopped VIRTUAL clock and the timer is not yet due), 0 if
   * one is due.
   *
   * @qemu timerlist_deadline_ns
   */
  deadlineNs(): number {
    const head = this.#heap.peek();
    if (head === undefined) return -1;
    const now = clockGetNs(this.clockType);
    const d = head.expireNs - now;
    if (d <= 0) return 0;
    if (this.clockType === ClockType.VIRTUAL && !native.vclockRunning()) return -1;
    return d;
  }

  /** Whether any timer is due now. */
  hasExpired(): boolean {
    const head = this.#heap.peek();
    return head !== undefined && head.expireNs <= clockGetNs(this.clockType);
  }

  /**
   * Runs the timers due at the clock's current value, read once. A timer
   * re-armed by its callback to a time not after that value runs again in
   * the same pass. Returns whether any timer ran.
   *
   * @qemu timerlist_run_timers
   */
  run(): boolean {
    const heap = this.#heap;
    let head = heap.peek();
    if (head === undefined) return false;
    const now = clockGetNs(this.clockType);
    let progress = false;
    while (head !== undefined && head.expireNs <= now) {
      heap.pop();
      head.expireNs = -1;
      progress = true;
      this.dispatched++;
      head.cb();
      head = heap.peek();
    }
    return progress;
  }

  /** @internal Disarms every timer (context destruction). */
  clear(): void {
    for (const t of this.#heap.drain()) t.expireNs = -1;
  }
}

/**
 * A timer bound to one context and one clock. Created by
 * {@link AioContext.timerNew}.
 *
 * @qemu QEMUTimer (timer_mod, timer_mod_ns, timer_mod_anticipate, timer_del, timer_pending)
 *
 * **Threads** Home thread of its context.
 *
 * **Details** Expiry values are absolute times on the timer's clock, in
 * units of its scale. Deadlines reach the kernel with nanosecond precision
 * (a timerfd or a ppoll timeout), not on setTimeout's millisecond grid.
 * Timers with equal expiry fire in the order they were armed.
 * @since 0.1.0
 */
export class Timer implements HeapEntry {
  /** @internal */ expireNs = -1;
  /** @internal */ seq = 0;
  /** @internal */ heapIndex = -1;
  /** The callback. */
  readonly cb: () => void;
  /** Nanoseconds per unit of `mod()`'s argument. */
  readonly scale: Scale;
  readonly #list: TimerList;

  /** @internal Use {@link AioContext.timerNew}. */
  constructor(list: TimerList, scale: Scale, cb: () => void) {
    this.#list = list;
    this.scale = scale;
    this.cb = cb;
  }

  /** The clock this timer runs on. */
  get clockType(): ClockType {
    return this.#list.clockType;
  }

  /**
   * Whether the timer is armed. Inside its own callback it is not.
   *
   * @qemu timer_pending
   */
  get pending(): boolean {
    return this.expireNs >= 0;
  }

  /**
   * The expiry in nanoseconds, or -1 when not armed.
   *
   * @qemu timer_expire_time_ns
   */
  get expireTime(): number {
    return this.expireNs;
  }

  /**
   * Arms the timer to fire when its clock reaches `expire × scale` ns;
   * re-arms it if armed. Negative values become 0; values above 2^53 ns are
   * clamped.
   *
   * @qemu timer_mod
   */
  mod(expire: number): void {
    this.modNs(expire * this.scale);
  }

  /**
   * Like {@link mod}, with the expiry in nanoseconds.
   *
   * @qemu timer_mod_ns
   */
  modNs(ns: number): void {
    if (this.expireNs >= 0) this.#list.remove(this);
    this.expireNs = clampNs(ns, this.#list.clockType);
    this.seq = ++armSeq;
    this.#list.insert(this);
  }

  /**
   * Arms the timer only if it is not armed or `expire` is earlier than its
   * current expiry.
   *
   * @qemu timer_mod_anticipate
   */
  modAnticipate(expire: number): void {
    const ns = clampNs(expire * this.scale, this.#list.clockType);
    if (this.expireNs < 0 || ns < this.expireNs) this.modNs(ns);
  }

  /**
   * Like {@link modAnticipate}, with the expiry in nanoseconds.
   *
   * @qemu timer_mod_anticipate_ns
   */
  modAnticipateNs(ns: number): void {
    const v = clampNs(ns, this.#list.clockType);
    if (this.expireNs < 0 || v < this.expireNs) this.modNs(v);
  }

  /**
   * Disarms the timer; does nothing if it is not armed.
   *
   * @qemu timer_del
   */
  del(): void {
    if (this.expireNs < 0) return;
    this.#list.remove(this);
    this.expireNs = -1;
  }

  /**
   * Whether the timer counts as expired at `t` (in its scale's units).
   * As in QEMU, a disarmed timer reports expired for any t ≥ 0.
   *
   * @qemu timer_expired
   */
  expired(t: number): boolean {
    return this.expireNs <= t * this.scale;
  }
}
