/**
 * AioContext: a small, self-contained event loop (QEMU's util/async.c and
 * util/aio-posix.c, in our own code).
 *
 * A context owns an epoll set holding its notifier eventfd, a timerfd for its
 * earliest deadline, the process-wide VIRTUAL-clock eventfd and the user's
 * fds; a bottom-half queue; one timer list per clock; and its tunables. It
 * runs in one of two ways:
 *
 * - `poll(blocking)`: QEMU's `aio_poll`, called from JavaScript; a blocking
 *   call blocks the thread in epoll_wait (nested waits, tests, IOThreads).
 * - attached: `attach()` watches the epoll fd with a uv_poll on the thread's
 *   libuv loop, so the context dispatches from Node's own loop, as QEMU's
 *   main context does as a GSource. Each dispatch is a top-level callback, so
 *   microtasks and nextTicks queued by handlers run before libuv blocks again.
 *
 * The notify_me / notified protocol lives in a SharedArrayBuffer so that a
 * ContextHandle in another thread can take part in it: `notify()` writes the
 * eventfd only when the home thread is (about to be) blocked, so a busy
 * context is not woken by a system call.
 *
 * @module
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { BH } from './bh.js';
import { ClockType, Scale, clockGetNs, soonestTimeout } from './clock.js';
import {
  DestroyedError,
  InvalidParameterError,
  LoopError,
  NoContextError,
  SystemCallError,
  WrongThreadError,
} from './errors.js';
import { BH_DELETED, BH_ONESHOT, BH_SCHEDULED, BhList, type BhState } from './internal/bh-list.js';
import {
  CALL_PENDING,
  CONTROL_WORDS,
  DESTROYED,
  NOTIFIED,
  NOTIFY_ME,
  REMOTE_BH_CAPACITY,
  REMOTE_PENDING,
  WRITERS,
  notifyControl,
} from './internal/control.js';
import { check, native, type PollHandle } from './native.js';
import type { EventNotifier } from './notifier.js';
import { ContextHandle, type RemoteBhToken } from './handle.js';
import { CallInbox, createCallArea } from './call.js';
import type { Ring } from './ring.js';
import { adjustPollNs, type PollParams } from './polling.js';
import { Timer, TimerList } from './timer.js';
import { closeAfterWriters } from './internal/fd-guard.js';
import { cancelAtExit, closeAtExit } from './internal/exit-hooks.js';
import { WakeLatency } from './internal/wake-latency.js';
import { pollBeginChannel, pollEndChannel, pollGrowChannel, pollShrinkChannel } from './trace.js';

const { EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLET, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } =
  native.constants;
const READ_EVENTS = EPOLLIN | EPOLLHUP | EPOLLERR;

/**
 * Items one ring dispatch takes when aio-max-batch is 0.
 *
 * @qemu none
 * @since 0.1.0
 */
export const RING_DEFAULT_BATCH = 1024;
const WRITE_EVENTS = EPOLLOUT | EPOLLERR;


const INT64_MAX_TEXT = '9223372036854775807';
const THREAD_POOL_MAX_DEFAULT = 64;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Callbacks of one fd registration. Absent callbacks are not called; a
 * registration with none of `read`, `write` and `poll` removes the handler.
 *
 * @qemu aio_set_fd_handler (io_read, io_write, io_poll, io_poll_ready) and
 *   aio_set_event_notifier_poll (io_poll_begin, io_poll_end)
 * @since 0.1.0
 */
export interface FdHandler {
  /** The fd is readable (or hung up, or in error). */
  readonly read?: (fd: number) => void;
  /** The fd is writable (or in error). */
  readonly write?: (fd: number) => void;
  /** Busy-poll check without a system call: return true when there is work. Ignored without `pollReady`. */
  readonly poll?: () => boolean;
  /** Called when `poll` reported work and no fd event is pending. */
  readonly pollReady?: () => void;
  /** The context entered busy-polling mode. */
  readonly pollBegin?: () => void;
  /** The context left busy-polling mode. */
  readonly pollEnd?: () => void;
}

/**
 * Callbacks of an event-notifier registration; they receive the notifier.
 *
 * @qemu aio_set_event_notifier
 * @since 0.1.0
 */
export interface EventNotifierHandler {
  readonly read?: (n: EventNotifier) => void;
  readonly poll?: (n: EventNotifier) => boolean;
  readonly pollReady?: (n: EventNotifier) => void;
}

/**
 * Options of `setPollParams`; omitted fields keep their value.
 *
 * @qemu aio_context_set_poll_params (max_ns, grow, shrink)
 * @since 0.1.0
 */
export interface PollParamsInput {
  readonly maxNs?: number;
  readonly grow?: number;
  readonly shrink?: number;
}

/**
 * Options of `setAioParams`.
 *
 * @qemu aio_context_set_aio_params (max_batch)
 * @since 0.1.0
 */
export interface AioParams {
  /** Maximum requests an engine submits in one batch; 0 = engine default. */
  readonly maxBatch: number;
}

/**
 * Options of `setTimerParams`.
 *
 * @qemu none (QEMU sleeps until a deadline; see `spinNs`)
 * @since 0.1.0
 */
export interface TimerParams {
  /**
   * How long before a REALTIME or HOST timer's deadline an attached or
   * driven context stops sleeping and busy-waits for it instead.
   *
   * A sleeping thread wakes some time after its timerfd expires: 45 to
   * 110 µs (p5-p90) on the 2-vCPU reference VM, where a halted vCPU must be
   * woken by the host; a few µs on bare metal. A timer fires that late.
   *
   * - `'auto'` (the default): the context learns how late its own wake-ups
   *   come (the 25th percentile of the last ones, at most 200 µs; see
   *   `stats.timerWakeAheadNs`) and arms its timerfd that early, so it
   *   busy-waits only on the wake-ups that came sooner than that, for what
   *   is left (a few µs per expiry on average; `stats.timerSpinNs` counts
   *   it). On the reference VM a 200 µs timer fires about 10-20 µs late
   *   instead of 75-90. A timer re-armed less than that far ahead each
   *   time (a period shorter than the wake-up) is waited for by spinning
   *   throughout: it fires on time and keeps the thread busy; use `0` for
   *   such a timer if CPU matters more than lateness.
   * - `0`: sleep until the deadline, as QEMU does.
   * - a number up to 1 000 000 (1 ms): wake that long before the deadline
   *   and busy-wait the rest; with a value above the wake-up cost timers
   *   fire within a few µs, for up to that much CPU per expiry.
   *
   * VIRTUAL timers never spin (their time moves by code). While spinning
   * the context still looks at notifications, rings and its fds (every
   * 16 µs) and stops for them; microtasks of the handlers that ran in the
   * same dispatch, and libuv's own events, wait for the spin. `ctx.poll()`
   * called from JavaScript neither spins nor wakes early: a blocking
   * `poll()` sleeps until the deadline, as QEMU's aio_poll does.
   */
  readonly spinNs: number | 'auto';
}

/** The largest accepted `TimerParams.spinNs`. */
const TIMER_SPIN_NS_MAX = 1_000_000;

/**
 * Options of `setThreadPoolParams`.
 *
 * @qemu aio_context_set_thread_pool_params (min, max)
 * @since 0.1.0
 */
export interface ThreadPoolParams {
  readonly min: number;
  readonly max: number;
}

/**
 * What changed, as told to a params listener.
 *
 * @qemu none
 * @since 0.1.0
 */
export type ParamsKind = 'poll' | 'aio' | 'timer' | 'thread-pool';

/**
 * Counters of one context, as a snapshot.
 *
 * @qemu none (QEMU exposes poll_ns only through trace events)
 * @since 0.1.0
 */
export interface AioContextStats {
  /** Current adaptive polling time in ns. */
  readonly pollNs: number;
  /** Busy-polling windows that found work. */
  readonly pollHits: number;
  /** Busy-polling windows that ended without work. */
  readonly pollMisses: number;
  /** Waits in the kernel with a nonzero timeout. */
  readonly blockingWaits: number;
  /** Iterations: `poll()` calls plus attached dispatches. */
  readonly iterations: number;
  /** BH callbacks run. */
  readonly bhsDispatched: number;
  /** Timer callbacks run. */
  readonly timersDispatched: number;
  /** fd read/write/pollReady callbacks run (user handlers only). */
  readonly fdDispatched: number;
  /** How long before a wall-clock timer's deadline the context wakes now (see `TimerParams.spinNs`). */
  readonly timerWakeAheadNs: number;
  /** Total ns busy-waited for timer deadlines (see `TimerParams.spinNs`). */
  readonly timerSpinNs: number;
}

/**
 * Options of `new AioContext()`.
 *
 * @qemu none
 * @since 0.1.0
 */
export interface AioContextOptions {
  /** A name for trace events and errors. */
  readonly name?: string;
  /**
   * The clock that measures busy-polling windows and block times for
   * adaptive polling (default REALTIME). Tests pass VIRTUAL together with
   * `beforeWait` to drive the grow/shrink sequence without sleeping.
   */
  readonly pollClock?: ClockType;
  /** Called just before each wait in the kernel, with its timeout in ns (a test seam). */
  readonly beforeWait?: (timeoutNs: number) => void;
}

/**
 * A BH scheduled from any thread by its {@link RemoteBH.token}. Created by
 * {@link AioContext.remoteBhNew}.
 *
 * @qemu QEMUBH (scheduled from another thread)
 * @since 0.1.0
 */
export class RemoteBH {
  /** Plain data: post it to the threads that schedule this BH. */
  readonly token: RemoteBhToken;
  readonly #delete: () => void;
  /** @internal */
  constructor(token: RemoteBhToken, del: () => void) {
    this.token = token;
    this.#delete = del;
  }
  /**
   * Deletes the BH on its home thread: it never runs again and its token
   * slot is reused. Idempotent.
   *
   * @qemu qemu_bh_delete
   */
  delete(): void {
    this.#delete();
  }
}

/** One fd registration (QEMU's AioHandler). */
class FdRecord {
  revents = 0;
  pollReadyFlag = false;
  onPollList = false;
  inReady = false;
  deleted = false;
  constructor(
    readonly fd: number,
    readonly events: number,
    readonly internal: boolean,
    readonly ioRead: ((fd: number) => void) | undefined,
    readonly ioWrite: ((fd: number) => void) | undefined,
    readonly ioPoll: (() => boolean) | undefined,
    readonly ioPollReady: (() => void) | undefined,
    readonly ioPollBegin: (() => void) | undefined,
    readonly ioPollEnd: (() => void) | undefined,
  ) {}
}

let currentContext: AioContext | null = null;
let contextIds = 0;

function checkInt64(name: string, v: number | undefined): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new InvalidParameterError(`${name} value must be in range [0, ${INT64_MAX_TEXT}]`);
  }
}

/**
 * A self-contained event loop: bottom halves, timers on three clocks, fd
 * handlers, a notifier and adaptive polling.
 *
 * @qemu AioContext (aio_context_new)
 *
 * **Threads** Created on, and bound to, its home thread: `poll`, handler
 * and timer registration, BH creation and `attach` must be called there
 * (they throw `LOOP_ERR_WRONG_THREAD` elsewhere). `notify()` is safe from
 * any thread through a handle.
 *
 * @example
 * using ctx = new AioContext();
 * ctx.bhScheduleOneshot(() => console.log('later'));
 * ctx.poll(false); // prints "later"
 * @since 0.1.0
 */
export class AioContext {
  /** A process-unique number (per thread). */
  readonly id: number;
  readonly name: string;
  readonly #home = threadId;
  readonly #epfd: number;
  readonly #notifierFd: number;
  readonly #timerfd: number;
  /** This thread's libuv backend fd; in the set (edge-triggered) while detached. */
  readonly #uvFd: number;
  #uvInSet = false;
  #uvWoke = false;
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  readonly #remoteBits = new Int32Array(new SharedArrayBuffer(REMOTE_BH_CAPACITY / 8));
  readonly #remoteSlots: Array<BhState | undefined> = [];
  readonly #remoteFree: number[] = [];
  #handle: ContextHandle | null = null;
  /** The counters of `stats`, published after each iteration for ContextHandle.stats. */
  readonly #sharedStats = new Float64Array(new SharedArrayBuffer(8 * 10));
  #calls: CallInbox | null = null;
  #exitId = 0;
  readonly #ringBhs = new Map<number, BH>();
  readonly #rings = new Map<number, { ring: Ring; again: BH }>();
  readonly #out = new Int32Array(256);
  readonly #handlers = new Map<number, FdRecord>();
  #pollList: FdRecord[] = [];
  #userHandlers = 0;
  #pollDisableCnt = 0;
  #walking = 0;
  #needSweep = false;
  readonly #bh: BhList;
  readonly #timers: TimerList[];
  #destroyed = false;

  // adaptive polling
  #pollMaxNs = 0;
  #timerSpinNs = 0;
  #timerSpinAuto = true;
  readonly #readyLists: FdRecord[][] = [];
  readonly #wakeLatency = new WakeLatency();
  /** The timerfd expiry whose wake-up has not been sampled yet (-1: none). */
  #wakeSampleDeadline = -1;
  #timerSpunNs = 0;
  #pollGrow = 0;
  #pollShrink = 0;
  /** The three above as one object, rebuilt on change (the per-poll rule must not allocate). */
  #pollParamsNow: PollParams = { maxNs: 0, grow: 0, shrink: 0 };
  #pollNs = 0;
  #pollStarted = false;
  #pollTimeout = 0;
  readonly #pollClock: ClockType;
  readonly #beforeWait: ((timeoutNs: number) => void) | undefined;

  // other tunables
  #aioMaxBatch = 0;
  #threadPoolMin = 0;
  #threadPoolMax = THREAD_POOL_MAX_DEFAULT;
  readonly #listeners = new Set<(kind: ParamsKind, ctx: AioContext) => void>();

  // attached mode
  #pollHandle: PollHandle | null = null;
  #driven = false;
  /** Driven mode: when the last busy-poll/block phase began (-1: none). */
  #drivenPollStart = -1;
  /** Driven mode: handlers found ready by busy-polling, dispatched next. */
  #carryReady: FdRecord[] = [];
  /** The list a dispatch hands back, empty, for the next busy-poll (no garbage per round). */
  #carrySpare: FdRecord[] = [];
  /** Inside the driven loop's call into JS (#onAttachedReadable). */
  #inDriveCall = false;
  /**
   * Driven mode with polling: the native loop's next call starts with the
   * busy-poll phase (see #prepareAttached).
   */
  #pollPending = false;
  /** Work is runnable at once: ask the driven loop to call again (see native drive_on_prepare). */
  #againRequested = false;
  #destroyPending = false;
  #refd = true;
  #dispatching = false;
  #armedDeadline = -1;

  // stats
  #pollHits = 0;
  #pollMisses = 0;
  #blockingWaits = 0;
  #iterations = 0;
  #fdDispatched = 0;

  /**
   * Creates a context with its epoll set, notifier and timerfd.
   *
   * @qemu aio_context_new
   * @throws {SystemCallError} `LOOP_ERR_SYSCALL` when the kernel refuses an fd
   *   (the message names the call, e.g. `eventfd failed: EMFILE`).
   */
  constructor(options: AioContextOptions = {}) {
    this.id = ++contextIds;
    this.name = options.name ?? `aio-context-${this.id}`;
    this.#pollClock = options.pollClock ?? ClockType.REALTIME;
    this.#beforeWait = options.beforeWait;
    this.#bh = new BhList(() => this.notify());
    const onTimer = (): void => this.#timerChanged();
    this.#timers = [
      new TimerList(ClockType.REALTIME, onTimer),
      new TimerList(ClockType.VIRTUAL, onTimer),
      new TimerList(ClockType.HOST, onTimer),
    ];
    this.#epfd = check(native.epollCreate(), 'epoll_create1');
    const opened: number[] = [this.#epfd];
    try {
      this.#notifierFd = check(native.eventfd(0), 'eventfd');
      opened.push(this.#notifierFd);
      this.#timerfd = check(native.timerfdCreate(), 'timerfd_create');
      opened.push(this.#timerfd);
    } catch (e) {
      for (const fd of opened) native.close(fd);
      throw e;
    }
    const ctl = this.#control;
    const notifierFd = this.#notifierFd;
    this.#addRecord(
      new FdRecord(
        notifierFd,
        READ_EVENTS,
        true,
        () => void native.eventfdRead(notifierFd),
        undefined,
        () => Atomics.load(ctl, NOTIFIED) !== 0,
        () => {},
        undefined,
        undefined,
      ),
    );
    const timerfd = this.#timerfd;
    this.#addRecord(
      new FdRecord(timerfd, READ_EVENTS, true, () => {
        native.timerfdRead(timerfd);
        this.#armedDeadline = -1;
      }, undefined, undefined, undefined, undefined, undefined),
    );
    // Every VIRTUAL clock change writes the notifier, so due VIRTUAL timers
    // run in every context of the process.
    native.vclockWatch(notifierFd, true);
    this.#uvFd = isMainThread ? -1 : native.uvBackendFd();
    // If this thread ends without destroy(), the addon closes the fds above;
    // other threads must see DESTROYED first and stop writing the notifier.
    this.#exitId = closeAtExit(this.#control, DESTROYED, WRITERS);
  }

  /**
   * In a worker, libuv's own fd joins the set for blocking waits, so a
   * blocking poll() can be interrupted by worker.terminate() and process
   * exit (Node wakes the worker's loop through it). A wake-up by it alone is
   * not reported: poll() waits again after passing through JavaScript, where
   * a pending termination takes effect. It is added lazily and kept; the
   * kernel limits how many sets may watch one fd (about 1000), and past that
   * the context still works, only without this guard.
   */
  #uvSetMember(on: boolean): void {
    if (on === this.#uvInSet || this.#uvFd < 0) return;
    const rc = native.epollCtl(this.#epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, this.#uvFd, EPOLLIN | EPOLLET);
    this.#uvInSet = on && rc >= 0;
  }

  /**
   * The context the calling thread runs (recorded by `attach()`).
   *
   * @qemu qemu_get_current_aio_context
   * @throws {NoContextError} `LOOP_ERR_NO_CONTEXT` (`no AioContext in this thread`).
   */
  static current(): AioContext {
    if (currentContext === null) throw new NoContextError();
    return currentContext;
  }

  /** Whether `destroy()` has been called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Whether the context is attached to this thread's libuv loop. */
  get attached(): boolean {
    return this.#pollHandle !== null && !this.#driven;
  }

  /** The epoll fd (for diagnostics and the driven loop). */
  get fd(): number {
    return this.#epfd;
  }

  /** The notifier eventfd. */
  get notifierFd(): number {
    return this.#notifierFd;
  }

  /** @internal The shared control block (notify_me, notified, destroyed). */
  get control(): SharedArrayBuffer {
    return this.#control.buffer as SharedArrayBuffer;
  }

  /** A snapshot of this context's counters. */
  get stats(): AioContextStats {
    let timers = 0;
    for (let i = 0; i < this.#timers.length; i++) timers += this.#timers[i]!.dispatched;
    return {
      pollNs: this.#pollNs,
      pollHits: this.#pollHits,
      pollMisses: this.#pollMisses,
      blockingWaits: this.#blockingWaits,
      iterations: this.#iterations,
      bhsDispatched: this.#bh.dispatched,
      timersDispatched: timers,
      fdDispatched: this.#fdDispatched,
      timerWakeAheadNs: this.#timerSpinWindow(),
      timerSpinNs: this.#timerSpunNs,
    };
  }

  #publishStats(): void {
    const s = this.#sharedStats;
    let timers = 0;
    for (let i = 0; i < this.#timers.length; i++) timers += this.#timers[i]!.dispatched;
    s[0] = this.#pollNs;
    s[1] = this.#pollHits;
    s[2] = this.#pollMisses;
    s[3] = this.#blockingWaits;
    s[4] = this.#iterations;
    s[5] = this.#bh.dispatched;
    s[6] = timers;
    s[7] = this.#fdDispatched;
    s[8] = this.#timerSpinWindow();
    s[9] = this.#timerSpunNs;
  }

  /** Current poll parameters. */
  get pollParams(): PollParams {
    return { maxNs: this.#pollMaxNs, grow: this.#pollGrow, shrink: this.#pollShrink };
  }

  /** Current timer parameters. */
  get timerParams(): TimerParams {
    return { spinNs: this.#timerSpinAuto ? 'auto' : this.#timerSpinNs };
  }

  /** Current aio parameters. */
  get aioParams(): AioParams {
    return { maxBatch: this.#aioMaxBatch };
  }

  /** Current thread-pool limits (stored here, applied by @loop/thread-pool). */
  get threadPoolParams(): ThreadPoolParams {
    return { min: this.#threadPoolMin, max: this.#threadPoolMax };
  }

  #assertHome(method: string): void {
    if (threadId !== this.#home) throw new WrongThreadError(method);
    if (this.#destroyed) throw new DestroyedError(`AioContext '${this.name}'`);
  }

  // ---------------------------------------------------------------- notify

  /**
   * Wakes the context if it is blocked (or about to block); otherwise only
   * records that it must look again. Never counts as progress.
   *
   * @qemu aio_notify
   *
   * **Details** The eventfd is written only when the home thread is in, or
   * entering, a wait (notify_me ≠ 0), and only by the first notification
   * since the context last looked (a second one finds `notified` set).
   */
  notify(): void {
    // Pairs with the Atomics.add(NOTIFY_ME) + load(NOTIFIED) in poll() and
    // #prepareAttached(): one side always sees the other's store.
    notifyControl(this.#control, this.#notifierFd);
    if (this.#pollHandle !== null && !this.#refd) this.#setRef(true);
  }

  /**
   * Clears `notified` after the context has looked at everything.
   *
   * @qemu aio_notify_accept
   */
  #notifyAccept(): void {
    Atomics.store(this.#control, NOTIFIED, 0);
  }

  // ------------------------------------------------------------ bottom halves

  /**
   * Creates an unscheduled bottom half.
   *
   * @qemu aio_bh_new / aio_bh_new_full
   * @example
   * const bh = ctx.bhNew(() => flush(), 'flush');
   * bh.schedule();
   */
  bhNew(cb: () => void, name?: string): BH {
    this.#assertHome('bhNew');
    return new BH(this.#bh, cb, name ?? (cb.name || 'bh'));
  }

  /**
   * Runs `cb` once at the next BH round; it cannot be cancelled.
   *
   * @qemu aio_bh_schedule_oneshot
   */
  bhScheduleOneshot(cb: () => void, name?: string): void {
    this.#assertHome('bhScheduleOneshot');
    const state: BhState = { flags: 0, cb, name: name ?? (cb.name || 'bh') };
    this.#bh.enqueue(state, BH_SCHEDULED | BH_ONESHOT);
  }

  /**
   * Creates a BH that other threads schedule by its token with
   * {@link scheduleRemoteBh}. Its callback runs on this thread, in BH order
   * (a remote schedule enqueues it like a local one). At most 4096 remote
   * BHs exist per context at a time.
   *
   * @qemu aio_bh_new (a QEMUBH scheduled from another thread)
   * @throws {LoopError} `LOOP_ERR_RESOURCE` when 4096 remote BHs exist.
   */
  remoteBhNew(cb: () => void, name?: string): RemoteBH {
    this.#assertHome('remoteBhNew');
    let index = this.#remoteFree.pop();
    if (index === undefined) {
      if (this.#remoteSlots.length >= REMOTE_BH_CAPACITY) {
        throw new LoopError('LOOP_ERR_RESOURCE', 'GenericError', `AioContext '${this.name}' has ${REMOTE_BH_CAPACITY} remote BHs already`);
      }
      index = this.#remoteSlots.length;
      this.#remoteSlots.push(undefined);
    }
    const state: BhState = { flags: 0, cb, name: name ?? (cb.name || 'remote-bh') };
    this.#remoteSlots[index] = state;
    const token: RemoteBhToken = {
      type: 'loop-aio-remote-bh',
      index,
      notifierFd: this.#notifierFd,
      control: this.#control.buffer as SharedArrayBuffer,
      bits: this.#remoteBits.buffer as SharedArrayBuffer,
    };
    return new RemoteBH(token, () => {
      if (this.#remoteSlots[index] !== state) return;
      state.flags |= BH_DELETED;
      this.#remoteSlots[index] = undefined;
      Atomics.and(this.#remoteBits, index >> 5, ~(1 << (index & 31)));
      this.#remoteFree.push(index);
    });
  }

  /**
   * A transferable handle for other threads: notify, remote BHs.
   *
   * @qemu none
   */
  handle(): ContextHandle {
    this.#assertHome('handle');
    if (this.#handle === null) {
      this.#calls = new CallInbox(createCallArea());
      this.#handle = new ContextHandle({
        type: 'loop-aio-context-handle',
        name: this.name,
        notifierFd: this.#notifierFd,
        control: this.#control.buffer as SharedArrayBuffer,
        bits: this.#remoteBits.buffer as SharedArrayBuffer,
        calls: this.#calls.area,
        stats: this.#sharedStats.buffer as SharedArrayBuffer,
      });
    }
    return this.#handle;
  }

  /** Starts the calls queued by other threads (their results are sent back asynchronously). */
  #drainCalls(): void {
    if (this.#calls === null || Atomics.load(this.#control, CALL_PENDING) === 0) return;
    Atomics.store(this.#control, CALL_PENDING, 0);
    this.#calls.drain();
  }

  /** Moves remote schedules into the local BH queue. */
  #drainRemote(): void {
    this.#drainCalls();
    if (Atomics.load(this.#control, REMOTE_PENDING) === 0) return;
    Atomics.store(this.#control, REMOTE_PENDING, 0);
    const bits = this.#remoteBits;
    const words = (this.#remoteSlots.length + 31) >> 5;
    for (let w = 0; w < words; w++) {
      if (Atomics.load(bits, w) === 0) continue;
      let v = Atomics.exchange(bits, w, 0);
      while (v !== 0) {
        const low = v & -v;
        const bit = 31 - Math.clz32(low);
        v ^= low;
        const state = this.#remoteSlots[(w << 5) + bit];
        if (state !== undefined) this.#bh.enqueueQuiet(state, BH_SCHEDULED);
      }
    }
  }

  // ------------------------------------------------------------------ timers

  /**
   * Creates a disarmed timer on `clock`, whose expiry values are in units of
   * `scale` nanoseconds.
   *
   * @qemu aio_timer_new
   * @example
   * const t = ctx.timerNew(ClockType.REALTIME, Scale.US, () => tick());
   * t.mod(clockGetNs(ClockType.REALTIME) / 1000 + 200); // in 200 µs
   */
  timerNew(clock: ClockType, scale: Scale, cb: () => void): Timer {
    this.#assertHome('timerNew');
    const list = this.#timers[clock];
    if (list === undefined) throw new InvalidParameterError(`unknown clock type ${String(clock)}`);
    if (scale !== Scale.NS && scale !== Scale.US && scale !== Scale.MS) {
      throw new InvalidParameterError(`unknown timer scale ${String(scale)}`);
    }
    return new Timer(list, scale, cb);
  }

  /**
   * Nanoseconds until the earliest timer of any clock is due (-1: none).
   *
   * @qemu timerlistgroup_deadline_ns
   */
  timersDeadlineNs(): number {
    let d = -1;
    const lists = this.#timers;
    for (let i = 0; i < lists.length; i++) {
      const l = lists[i]!;
      if (l.size > 0) d = soonestTimeout(d, l.deadlineNs());
    }
    return d;
  }

  #timerChanged(): void {
    if (this.#destroyed) return;
    if (this.#pollHandle !== null && !this.#dispatching) this.#prepareAttached();
    else this.notify();
  }

  #runTimers(): boolean {
    let progress = false;
    // QEMU's order: REALTIME, VIRTUAL, HOST.
    const lists = this.#timers;
    for (let i = 0; i < lists.length; i++) {
      const l = lists[i]!;
      if (l.size > 0 && l.run()) progress = true;
    }
    return progress;
  }

  // ------------------------------------------------------------- fd handlers

  /**
   * Registers, replaces (`handler` given) or removes (`null`, or no `read`,
   * `write` or `poll`) the handler of `fd`. Level-triggered: a handler that
   * does not drain its fd is called again at the next iteration. Safe to call
   * from inside any handler; a removed handler gets no further callbacks.
   *
   * @qemu aio_set_fd_handler
   * @throws {SystemCallError} `LOOP_ERR_SYSCALL` when epoll refuses the fd
   *   (e.g. `epoll_ctl failed: EPERM` for a regular file).
   */
  setFdHandler(fd: number, handler: FdHandler | null): void {
    this.#assertHome('setFdHandler');
    if (fd === this.#epfd || fd === this.#notifierFd || fd === this.#timerfd) {
      throw new InvalidParameterError(`fd ${fd} belongs to the AioContext itself`);
    }
    let ioPoll = handler?.poll;
    const ioPollReady = handler?.pollReady;
    if (ioPoll !== undefined && ioPollReady === undefined) ioPoll = undefined;
    const ioRead = handler?.read;
    const ioWrite = handler?.write;
    const old = this.#handlers.get(fd);
    if (ioRead === undefined && ioWrite === undefined && ioPoll === undefined) {
      if (old === undefined) return;
      this.#removeRecord(old, true);
    } else {
      const events = (ioRead !== undefined ? READ_EVENTS : 0) | (ioWrite !== undefined ? WRITE_EVENTS : 0);
      const rec = new FdRecord(fd, events, false, ioRead, ioWrite, ioPoll, ioPollReady, handler?.pollBegin, handler?.pollEnd);
      if (old !== undefined) {
        const rc = native.epollCtl(this.#epfd, EPOLL_CTL_MOD, fd, events);
        if (rc < 0) throw new SystemCallError('epoll_ctl', -rc, fd);
        this.#removeRecord(old, false);
      } else {
        const rc = native.epollCtl(this.#epfd, EPOLL_CTL_ADD, fd, events);
        if (rc < 0) throw new SystemCallError('epoll_ctl', -rc, fd);
      }
      this.#handlers.set(fd, rec);
      this.#userHandlers++;
      if (ioPoll === undefined) this.#pollDisableCnt++;
    }
    this.notify();
    if (this.#pollHandle !== null) this.#updateRef();
  }

  /**
   * Registers (or, with `null` or no callbacks, removes) an event notifier
   * as a read handler whose callbacks receive the notifier.
   *
   * @qemu aio_set_event_notifier
   */
  setEventNotifier(n: EventNotifier, handler: EventNotifierHandler | null): void {
    const read = handler?.read;
    const poll = handler?.poll;
    const pollReady = handler?.pollReady;
    if (read === undefined && poll === undefined) {
      this.setFdHandler(n.fd, null);
      return;
    }
    this.setFdHandler(n.fd, {
      ...(read !== undefined ? { read: () => read(n) } : {}),
      ...(poll !== undefined ? { poll: () => poll(n) } : {}),
      ...(pollReady !== undefined ? { pollReady: () => pollReady(n) } : {}),
    });
  }

  /**
   * Sets the busy-poll begin/end hooks of a registered notifier; no-op if it
   * is not registered.
   *
   * @qemu aio_set_event_notifier_poll
   */
  setEventNotifierPoll(n: EventNotifier, begin: (() => void) | undefined, end: (() => void) | undefined): void {
    this.#assertHome('setEventNotifierPoll');
    const r = this.#handlers.get(n.fd);
    if (r === undefined || r.deleted) return;
    const rec = new FdRecord(r.fd, r.events, false, r.ioRead, r.ioWrite, r.ioPoll, r.ioPollReady, begin, end);
    rec.onPollList = r.onPollList;
    if (r.onPollList) this.#pollList[this.#pollList.indexOf(r)] = rec;
    r.onPollList = false;
    r.deleted = true;
    this.#handlers.set(r.fd, rec);
  }

  /**
   * Makes this context the consumer of `ring` (or stops, with `null`):
   * `onItems(items, count)` receives batches of up to aio-max-batch items
   * (1024 when it is 0) as a view valid only during the call. The ring's
   * doorbell is a read handler and its non-empty check a poll handler, so
   * adaptive polling picks items up without a system call, and producers
   * ring the doorbell only when this context may sleep.
   *
   * @qemu none (the shape of a virtqueue handler with notification suppression)
   */
  setRingHandler(ring: Ring, onItems: ((items: Int32Array, count: number) => void) | null): void {
    this.#assertHome('setRingHandler');
    this.#ringBhs.get(ring.notifierFd)?.delete();
    this.#ringBhs.delete(ring.notifierFd);
    this.#rings.delete(ring.notifierFd);
    if (onItems === null) {
      ring.disarm();
      this.setFdHandler(ring.notifierFd, null);
      return;
    }
    let scratch = new Int32Array(0);
    const drain = (): void => {
      const max = this.#aioMaxBatch > 0 ? Math.min(this.#aioMaxBatch, 65536) : RING_DEFAULT_BATCH;
      if (scratch.length < max * ring.slotWords) scratch = new Int32Array(max * ring.slotWords);
      const n = ring.take(scratch, max);
      if (n > 0) onItems(scratch.subarray(0, n * ring.slotWords), n);
    };
    // More than one batch waiting: come back at the next BH round.
    const again = this.bhNew(() => consume(), 'ring');
    this.#ringBhs.set(ring.notifierFd, again);
    this.#rings.set(ring.notifierFd, { ring, again });
    // The doorbell is armed only right before the context may block
    // (#armRings), so producers make no system call while it is awake.
    const consume = (): void => {
      drain();
      if (ring.readable) again.schedule();
    };
    this.setFdHandler(ring.notifierFd, {
      read: () => {
        ring.drainDoorbell();
        consume();
      },
      poll: () => ring.readable,
      pollReady: consume,
      pollBegin: () => ring.disarm(),
      pollEnd: () => void ring.arm(),
    });
    if (ring.arm()) again.schedule();
  }

  /**
   * Before a possible sleep: arm every ring's doorbell, then look at each
   * once more (pairs with the producer's publish-then-exchange in
   * Ring.push). Returns true, with the ring's BH scheduled, if one has items.
   */
  #armRings(): boolean {
    let ready = false;
    for (const { ring, again } of this.#rings.values()) {
      if (ring.arm()) {
        ring.disarm();
        again.schedule();
        ready = true;
      }
    }
    return ready;
  }

  #addRecord(rec: FdRecord): void {
    const rc = native.epollCtl(this.#epfd, EPOLL_CTL_ADD, rec.fd, rec.events);
    if (rc < 0) throw new SystemCallError('epoll_ctl', -rc, rec.fd);
    this.#handlers.set(rec.fd, rec);
  }

  #removeRecord(rec: FdRecord, unregister: boolean): void {
    rec.deleted = true;
    if (unregister) {
      this.#handlers.delete(rec.fd);
      // The fd may already be closed by its owner; epoll forgets closed fds itself.
      native.epollCtl(this.#epfd, EPOLL_CTL_DEL, rec.fd, 0);
    }
    this.#userHandlers--;
    if (rec.ioPoll === undefined) this.#pollDisableCnt--;
    if (rec.onPollList) {
      if (this.#walking > 0) this.#needSweep = true;
      else this.#sweep();
    }
  }

  #sweep(): void {
    this.#needSweep = false;
    this.#pollList = this.#pollList.filter((r) => {
      if (!r.deleted) return true;
      r.onPollList = false;
      return false;
    });
  }

  /** Whether a blocking wait is needed to see every handler (some user handler cannot poll). */
  #needWait(): boolean {
    return this.#pollDisableCnt > 0;
  }

  // ------------------------------------------------------------------- poll

  /**
   * Runs one iteration: busy-polls if enabled, waits (only if `blocking` and
   * nothing is runnable) for an fd, a timer deadline or a notification, then
   * runs BHs, fd handlers and due timers, in QEMU's order. Returns whether
   * progress was made (a non-idle BH, an fd callback, a poll-ready callback
   * or a timer ran); a wake-up by a bare notification is not progress.
   *
   * @qemu aio_poll
   *
   * **Threads** Home thread only. It blocks the thread like QEMU's does; in
   * attached mode it is for nested waits.
   *
   * **Gotchas** With nothing registered and no timers, `poll(true)` sleeps
   * until someone notifies the context.
   * @throws {WrongThreadError} `LOOP_ERR_WRONG_THREAD` off the home thread.
   */
  poll(blocking: boolean): boolean {
    this.#assertHome('poll');
    const c = this.#control;
    // One list per nesting depth, reused: a polling loop calls poll() some
    // 10^5 times a second, and the garbage of a fresh list each time brings
    // young-generation collections whose pauses (0.2-0.5 ms) end polling
    // under QEMU's rule (any wait over poll-max-ns resets poll_ns).
    const ready = (this.#readyLists[this.#walking] ??= []);
    this.#walking++;
    this.#iterations++;
    try {
      let progress = false;
      const polling = this.#pollMaxNs !== 0;
      const start = polling ? clockGetNs(this.#pollClock) : 0;
      let timeout = blocking ? this.#computeTimeout() : 0;

      // Busy-poll (section 2.2): only with a non-empty poll list, a positive
      // budget, and every user handler able to poll.
      if (this.#pollList.length > 0 && !this.#needWait()) {
        const maxNs = soonestTimeout(timeout, this.#pollNs);
        if (maxNs > 0) {
          this.#pollTimeout = timeout;
          if (this.#runPollHandlers(maxNs, ready)) progress = true;
          timeout = this.#pollTimeout;
        }
      }

      if (timeout !== 0 && this.#rings.size > 0 && this.#armRings()) timeout = 0;
      let counted = false;
      if (timeout !== 0) {
        Atomics.add(c, NOTIFY_ME, 2);
        counted = true;
        if (Atomics.load(c, NOTIFIED) !== 0) timeout = 0;
      }
      try {
        // QEMU consults the back-end in a non-blocking poll only when some
        // handler cannot poll. @loop also does a zero-timeout check when
        // user handlers exist and busy-polling found nothing, so a context
        // whose handlers all poll (rings) still sees their fds in poll(false).
        if (timeout !== 0 || this.#needWait() || (this.#userHandlers > 0 && !progress)) {
          if (this.#pollStarted && this.#pollSetStarted(false, ready)) {
            timeout = 0;
            progress = true;
          }
          if (timeout !== 0 && !this.#uvInSet && this.#pollHandle === null) this.#uvSetMember(true);
          const deadline = timeout > 0 ? native.nowNs() + timeout : -1;
          this.#wait(timeout, ready);
          if (timeout !== 0 && this.#wokeEarly(ready)) {
            // Woken only by libuv, or by the timerfd that an attached
            // context arms ahead of a deadline (TimerParams.spinNs): wait
            // again for what is left of the timeout.
            do {
              const left = deadline < 0 ? -1 : Math.max(0, deadline - native.nowNs());
              this.#wait(left, ready);
              if (left === 0) break;
            } while (this.#wokeEarly(ready));
          }
        }
      } finally {
        if (counted) Atomics.sub(c, NOTIFY_ME, 2);
      }
      this.#notifyAccept();

      if (polling) this.#adjustPolling(clockGetNs(this.#pollClock) - start);

      this.#drainRemote();
      if (this.#bh.poll()) progress = true;
      if (this.#dispatchReady(ready)) progress = true;
      if (this.#walking === 1 && this.#needSweep) this.#sweep();
      if (this.#runTimers()) progress = true;
      return progress;
    } finally {
      this.#walking--;
      for (let i = 0; i < ready.length; i++) ready[i]!.inReady = false;
      ready.length = 0;
      if (this.#walking === 0) {
        this.#publishStats();
        if (this.#destroyPending) this.destroy();
        // Called from JavaScript on an attached context: the wait may have
        // drained its timerfd; arm it again for libuv's next wait.
        else if (this.#pollHandle !== null && !this.#driven) this.#prepareAttached();
      }
    }
  }

  #computeTimeout(): number {
    if (Atomics.load(this.#control, REMOTE_PENDING) !== 0 || Atomics.load(this.#control, CALL_PENDING) !== 0) return 0;
    const bh = this.#bh.timeoutNs();
    if (bh === 0) return 0;
    return soonestTimeout(bh, this.timersDeadlineNs());
  }

  #wait(timeoutNs: number, ready: FdRecord[]): void {
    if (timeoutNs !== 0) this.#blockingWaits++;
    this.#beforeWait?.(timeoutNs);
    const out = this.#out;
    const n = native.epollWait(this.#epfd, timeoutNs, out);
    if (n < 0) throw new SystemCallError('epoll_wait', -n, this.#epfd);
    this.#uvWoke = false;
    for (let i = 0; i < n; i++) {
      const fd = out[2 * i]!;
      if (fd === this.#uvFd && this.#uvInSet) {
        this.#uvWoke = true;
        continue;
      }
      const rec = this.#handlers.get(fd);
      if (rec === undefined || rec.deleted) continue;
      rec.revents |= out[2 * i + 1]!;
      if (!rec.inReady) {
        rec.inReady = true;
        ready.push(rec);
      }
    }
  }

  /**
   * Whether a blocking wait ended with nothing for `poll()` to do: only
   * libuv's backend fd was ready, or only the context's timerfd (drained
   * here; the timeout `poll()` computed covers every timer).
   */
  #wokeEarly(ready: FdRecord[]): boolean {
    if (ready.length === 0) return this.#uvWoke;
    if (ready.length !== 1 || ready[0]!.fd !== this.#timerfd) return false;
    const r = ready.pop()!;
    r.inReady = false;
    r.revents = 0;
    native.timerfdRead(this.#timerfd);
    this.#armedDeadline = -1;
    return true;
  }

  #dispatchReady(ready: FdRecord[]): boolean {
    let progress = false;
    for (let i = 0; i < ready.length; i++) {
      const r = ready[i]!;
      if (r.deleted) continue;
      const revents = r.revents & (r.events | EPOLLHUP | EPOLLERR);
      r.revents = 0;
      if (r.ioPoll !== undefined && !r.onPollList) {
        r.onPollList = true;
        this.#pollList.push(r);
        if (this.#pollStarted) r.ioPollBegin?.();
      }
      if (r.pollReadyFlag && revents === 0) {
        r.pollReadyFlag = false;
        if (r.ioPollReady !== undefined) {
          r.ioPollReady();
          if (!r.internal) {
            progress = true;
            this.#fdDispatched++;
          }
        }
        continue;
      }
      r.pollReadyFlag = false;
      if ((revents & READ_EVENTS) !== 0 && r.ioRead !== undefined) {
        r.ioRead(r.fd);
        if (!r.internal) {
          progress = true;
          this.#fdDispatched++;
        }
      }
      if (!r.deleted && (revents & WRITE_EVENTS) !== 0 && r.ioWrite !== undefined) {
        r.ioWrite(r.fd);
        if (!r.internal) {
          progress = true;
          this.#fdDispatched++;
        }
      }
    }
    return progress;
  }

  // ------------------------------------------------------- adaptive polling

  /**
   * Sets the adaptive-polling parameters (omitted fields keep their value),
   * resets the polling time to 0 and notifies the context.
   *
   * @qemu aio_context_set_poll_params
   * @throws {InvalidParameterError} `LOOP_ERR_INVALID_PARAM` with QEMU's text,
   *   e.g. `poll-max-ns value must be in range [0, 9223372036854775807]`.
   */
  setPollParams(params: PollParamsInput): void {
    this.#assertHome('setPollParams');
    checkInt64('poll-max-ns', params.maxNs);
    checkInt64('poll-grow', params.grow);
    checkInt64('poll-shrink', params.shrink);
    if (params.maxNs !== undefined) this.#pollMaxNs = params.maxNs;
    if (params.grow !== undefined) this.#pollGrow = params.grow;
    if (params.shrink !== undefined) this.#pollShrink = params.shrink;
    this.#pollParamsNow = { maxNs: this.#pollMaxNs, grow: this.#pollGrow, shrink: this.#pollShrink };
    this.#pollNs = 0;
    this.notify();
    this.#announce('poll');
  }

  /**
   * Sets `aio-max-batch` (0 = the engine's default) and notifies the context.
   *
   * @qemu aio_context_set_aio_params
   * @throws {InvalidParameterError} `aio-max-batch value must be in range [0, 9223372036854775807]`.
   */
  setAioParams(params: AioParams): void {
    this.#assertHome('setAioParams');
    checkInt64('aio-max-batch', params.maxBatch);
    this.#aioMaxBatch = params.maxBatch;
    this.notify();
    this.#announce('aio');
  }

  /**
   * Sets how long before a timer's deadline an attached or driven context
   * busy-waits instead of sleeping (see {@link TimerParams.spinNs}).
   *
   * @qemu none
   * @throws {InvalidParameterError} `timer-spin-ns value must be 'auto' or in range [0, 1000000]`.
   */
  setTimerParams(params: TimerParams): void {
    this.#assertHome('setTimerParams');
    const v = params?.spinNs;
    if (v === 'auto') {
      // What was learnt stays: it describes this thread's wake-ups, not the parameters.
      this.#timerSpinAuto = true;
    } else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > TIMER_SPIN_NS_MAX) {
      throw new InvalidParameterError(`timer-spin-ns value must be 'auto' or in range [0, ${TIMER_SPIN_NS_MAX}]`);
    } else {
      this.#timerSpinAuto = false;
      this.#timerSpinNs = v;
    }
    this.notify();
    this.#announce('timer');
  }

  /**
   * Stores the thread-pool limits and tells listeners (the pool package
   * applies them). On rejection the previous values stay.
   *
   * @qemu aio_context_set_thread_pool_params
   * @throws {InvalidParameterError} `bad thread-pool-min/thread-pool-max values`.
   */
  setThreadPoolParams(params: ThreadPoolParams): void {
    this.#assertHome('setThreadPoolParams');
    const { min, max } = params;
    if (
      !Number.isInteger(min) ||
      !Number.isInteger(max) ||
      min > max ||
      max <= 0 ||
      min < 0 ||
      min > INT32_MAX ||
      max > INT32_MAX
    ) {
      throw new InvalidParameterError('bad thread-pool-min/thread-pool-max values');
    }
    this.#threadPoolMin = min;
    this.#threadPoolMax = max;
    this.#announce('thread-pool');
  }

  /**
   * Calls `listener` after every successful `setPollParams`, `setAioParams`, `setTimerParams`
   * or `setThreadPoolParams`. Returns a function that removes it.
   *
   * @qemu none (QEMU's AioContext calls its thread pool directly)
   */
  addParamsListener(listener: (kind: ParamsKind, ctx: AioContext) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  #announce(kind: ParamsKind): void {
    for (const l of [...this.#listeners]) l(kind, this);
  }

  #adjustPolling(blockNs: number): void {
    const old = this.#pollNs;
    const next = adjustPollNs(old, blockNs, this.#pollParamsNow);
    if (next === old) return;
    this.#pollNs = next;
    const ch = next > old ? pollGrowChannel : pollShrinkChannel;
    if (ch.hasSubscribers) ch.publish({ context: this, oldNs: old, newNs: next });
  }

  /** Enters or leaves poll mode; leaving does one last poll of each handler. Returns progress. */
  #pollSetStarted(started: boolean, ready: FdRecord[]): boolean {
    if (started === this.#pollStarted) return false;
    this.#pollStarted = started;
    let progress = false;
    for (const r of this.#pollList) {
      if (r.deleted) continue;
      if (started) {
        r.ioPollBegin?.();
      } else {
        r.ioPollEnd?.();
        if (r.ioPoll !== undefined && r.ioPoll()) {
          this.#markPollReady(r, ready);
          if (!r.internal) progress = true;
        }
      }
    }
    return progress;
  }

  #markPollReady(r: FdRecord, ready: FdRecord[]): void {
    r.pollReadyFlag = true;
    if (!r.inReady) {
      r.inReady = true;
      ready.push(r);
    }
  }

  /** Busy-polls for up to maxNs; sets #pollTimeout. Returns progress. */
  #runPollHandlers(maxNs: number, ready: FdRecord[]): boolean {
    const clock = this.#pollClock;
    const begin = pollBeginChannel.hasSubscribers;
    if (begin) pollBeginChannel.publish({ context: this, maxNs, timeoutNs: this.#pollTimeout });
    this.#pollSetStarted(true, ready);
    const start = clockGetNs(clock);
    let timeout = this.#pollTimeout;
    let progress = false;
    let found = false;
    let elapsed = 0;
    let budget = maxNs;
    do {
      const list = this.#pollList;
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        if (r.deleted || r.ioPoll === undefined) continue;
        if (r.ioPoll()) {
          this.#markPollReady(r, ready);
          if (!r.internal) progress = true;
          found = true;
          timeout = 0;
        }
      }
      const now = clockGetNs(clock) - start;
      // A stopped VIRTUAL poll clock (a test seam) that no callback moved
      // would make this loop endless; treat it as a spent budget.
      const stalled = now === elapsed && clock !== ClockType.REALTIME;
      elapsed = now;
      budget = soonestTimeout(timeout, budget);
      if (stalled) break;
    } while (elapsed < budget && !this.#needWait());
    if (found) this.#pollHits++;
    else this.#pollMisses++;
    if (timeout > 0) timeout = Math.max(0, timeout - elapsed);
    this.#pollTimeout = timeout;
    if (pollEndChannel.hasSubscribers) {
      pollEndChannel.publish({ context: this, progress, elapsedNs: elapsed, timeoutNs: timeout });
    }
    return progress;
  }

  // ---------------------------------------------------------- attached mode

  /**
   * Puts the context on the calling thread's libuv loop: a uv_poll watches
   * its epoll fd and each readiness runs one dispatch (BHs, fd handlers,
   * timers) as a top-level callback, so promises, `fs`, `net` and Node
   * timers keep working and microtasks queued by handlers run before the
   * loop blocks again. Records the context as the thread's current one.
   * The context keeps the process alive only while it has fd handlers,
   * armed timers or scheduled BHs.
   *
   * @qemu aio_get_g_source + g_source_attach
   * @throws {NoContextError} `LOOP_ERR_NO_CONTEXT` if another context is
   *   already current in this thread.
   */
  attach(): void {
    this.#assertHome('attach');
    if (this.#pollHandle !== null) {
      if (!this.#driven) return;
      this.detach();
    }
    if (currentContext !== null && currentContext !== this) {
      throw new NoContextError(`AioContext '${currentContext.name}' already runs in this thread`);
    }
    // libuv's fd cannot be in a set that libuv itself watches (ELOOP).
    this.#uvSetMember(false);
    this.#pollHandle = native.pollStart(this.#epfd, () => this.#onAttachedReadable());
    this.#refd = true;
    currentContext = this;
    this.#prepareAttached();
  }

  /**
   * Runs the context as the thread's event loop, QEMU's `iothread_run`
   * shaped for Node: a native loop in a libuv prepare callback blocks in
   * epoll_wait on the context's set plus libuv's own backend fd (libuv's
   * next timer bounds the wait; the context's deadlines arrive through its
   * timerfd), calls into JavaScript once per batch of ready events, and
   * returns to libuv only when libuv has work. Promises, `fs`, Node timers
   * and MessagePort keep working; microtasks queued by handlers run before
   * the loop blocks again; `worker.terminate()` and process exit interrupt
   * the wait. Records the context as the thread's current one. The loop
   * keeps the thread alive until `detach()` or `destroy()`.
   *
   * @qemu iothread_run (aio_poll(ctx, true) in a loop)
   *
   * **Details** Costs about half of attached mode per dispatched event
   * (driven-loop-findings.md, Q1) and is meant for worker threads (IOThreads).
   * @throws {NoContextError} `LOOP_ERR_NO_CONTEXT` if another context is
   *   already current in this thread.
   */
  drive(): void {
    this.#assertHome('drive');
    if (this.#pollHandle !== null) {
      if (this.#driven) return;
      this.detach();
    }
    if (currentContext !== null && currentContext !== this) {
      throw new NoContextError(`AioContext '${currentContext.name}' already runs in this thread`);
    }
    this.#uvSetMember(false);
    const h = native.driveStart(this.#epfd, () => this.#onAttachedReadable());
    if (typeof h === 'number') throw new SystemCallError('epoll_create1', -h);
    this.#pollHandle = h;
    this.#driven = true;
    this.#refd = true;
    currentContext = this;
    this.#prepareAttached();
  }

  /** Whether the context runs in driven mode ({@link drive}). */
  get driven(): boolean {
    return this.#driven;
  }

  /**
   * Takes the context off the libuv loop (attached or driven); it no longer
   * dispatches on its own and is no longer the thread's current context.
   *
   * @qemu g_source_destroy
   */
  detach(): void {
    if (threadId !== this.#home) throw new WrongThreadError('detach');
    const h = this.#pollHandle;
    if (h === null) return;
    this.#pollHandle = null;
    if (this.#driven) native.driveStop(h);
    else native.pollStop(h);
    this.#driven = false;
    this.#drivenPollStart = -1;
    this.#pollPending = false;
    for (const r of this.#carryReady) r.inReady = false;
    this.#carryReady.length = 0;
    if (this.#pollStarted) this.#pollSetStarted(false, []);
    Atomics.and(this.#control, NOTIFY_ME, ~1);
    if (currentContext === this) currentContext = null;
    if (!this.#destroyed && this.#armedDeadline >= 0) {
      native.timerfdSet(this.#timerfd, -1);
      this.#armedDeadline = -1;
    }
  }

  #onAttachedReadable(): boolean {
    if (this.#destroyed || this.#pollHandle === null) return false;
    this.#inDriveCall = this.#driven;
    this.#againRequested = false;
    try {
      if (!this.#pollPending || this.#pollPhase()) this.#dispatchAttached();
    } finally {
      this.#inDriveCall = false;
    }
    const again = this.#againRequested;
    this.#againRequested = false;
    return again;
  }

  #dispatchAttached(): void {
    const c = this.#control;
    // "check": stop taking notifications by fd, accept the pending ones.
    Atomics.and(c, NOTIFY_ME, ~1);
    this.#notifyAccept();
    if (this.#drivenPollStart >= 0) {
      // Driven mode with polling: the time since prepare began is this
      // iteration's block time (busy-polling included), as in aio_poll.
      if (this.#pollMaxNs !== 0) this.#adjustPolling(clockGetNs(this.#pollClock) - this.#drivenPollStart);
      this.#drivenPollStart = -1;
    }
    this.#dispatching = true;
    this.#walking++;
    this.#iterations++;
    const ready: FdRecord[] = this.#carryReady;
    this.#carryReady = this.#carrySpare;
    try {
      // After a busy-poll hit, QEMU skips the fd wait when every handler
      // can poll (aio_poll waits only with a timeout or need_wait); a ready
      // fd that nobody polls keeps the epoll fd readable for the next round.
      if (ready.length === 0 || this.#needWait()) this.#wait(0, ready);
      this.#drainRemote();
      this.#bh.poll();
      this.#dispatchReady(ready);
      if (this.#walking === 1 && this.#needSweep) this.#sweep();
      if (this.#pollHandle !== null) this.#timerSpinPoint();
      this.#runTimers();
    } finally {
      for (const r of ready) r.inReady = false;
      ready.length = 0;
      this.#carrySpare = ready;
      this.#walking--;
      this.#dispatching = false;
      this.#publishStats();
      if (this.#walking === 0 && this.#destroyPending) this.destroy();
      else this.#prepareAttached();
    }
  }

  /**
   * Driven mode's busy-poll phase, at the start of a call from the native
   * loop. Returns whether to dispatch now (a poll callback found work, or
   * work is runnable anyway); otherwise prepares the wait.
   */
  #pollPhase(): boolean {
    this.#pollPending = false;
    if (this.#drivenPoll()) return true;
    if (Atomics.load(this.#control, NOTIFIED) !== 0 || this.#computeTimeout() === 0) return true;
    this.#prepareWait();
    return false;
  }

  /** "prepare": take notifications by fd again and arm the timerfd for the next deadline. */
  #prepareAttached(): void {
    if (this.#pollHandle === null || this.#destroyed) return;
    // Busy-poll only on the way back into the driven loop's wait: this also
    // runs inside timer.mod() and attach(), which must not spin.
    if (this.#inDriveCall && this.#pollMaxNs !== 0) {
      if (this.#pollList.length > 0 && !this.#needWait()) {
        // In the native loop's next call, not here: this dispatch's
        // microtasks run in between (an async handler's continuation does
        // not wait out the polling window), and work the poll finds is
        // dispatched in that same call, without another native round.
        this.#pollPending = true;
        this.#againRequested = true;
        return;
      }
      // No polling: this only leaves poll mode (with its final poll) and
      // starts the block-time measurement.
      if (this.#drivenPoll()) {
        this.#againRequested = true;
        return;
      }
    }
    this.#prepareWait();
  }

  #prepareWait(): void {
    const c = this.#control;
    Atomics.or(c, NOTIFY_ME, 1);
    if (this.#rings.size > 0) this.#armRings();
    let timeout = this.#computeTimeout();
    // Timer spin: when the soonest event is a REALTIME/HOST timer, wake
    // spinNs before it; once within spinNs, dispatch at once (the dispatch
    // busy-waits, see #dispatchAttached). Never spin here: this also runs
    // inside timer.mod() and attach(), which must not block.
    let early = 0;
    const spin = this.#timerSpinWindow();
    if (spin > 0 && timeout > 0) {
      const d = this.#wallTimersDeadlineNs();
      if (d > 0 && d <= timeout) {
        if (d <= spin) timeout = 0;
        else early = spin;
      }
    }
    if (timeout === 0 || Atomics.load(c, NOTIFIED) !== 0) {
      // Work is runnable now: come back after libuv's current turn. Inside
      // the driven loop's call, tell it so by the return value instead.
      this.#wakeSelf();
    } else {
      const deadline = timeout < 0 ? -1 : native.nowNs() + timeout - early;
      if (deadline !== this.#armedDeadline) {
        check(native.timerfdSet(this.#timerfd, deadline), 'timerfd_settime', this.#timerfd);
        this.#armedDeadline = deadline;
        this.#wakeSampleDeadline = deadline;
      }
    }
    this.#updateRef();
  }

  /**
   * Driven mode, before blocking: busy-poll as aio_poll does (notifications
   * meanwhile only set `notified`, which the notifier's poll callback
   * reports), then leave poll mode with its final poll. Returns true, with
   * the ready handlers queued for the next dispatch, if anything was found.
   */
  #drivenPoll(): boolean {
    this.#drivenPollStart = clockGetNs(this.#pollClock);
    const ready = this.#carryReady;
    const timeout = this.#computeTimeout();
    if (timeout !== 0 && this.#pollList.length > 0 && !this.#needWait()) {
      const maxNs = soonestTimeout(timeout, this.#pollNs);
      if (maxNs > 0) {
        this.#pollTimeout = timeout;
        this.#runPollHandlers(maxNs, ready);
      }
    }
    if (ready.length === 0 && this.#pollStarted) this.#pollSetStarted(false, ready);
    return ready.length > 0;
  }

  /**
   * Busy-waits until `deadline` (REALTIME ns), or until other work shows up:
   * a notification, a ring with items, or a ready fd of the context (a
   * zero-timeout epoll_wait every 16 µs, level-triggered, so nothing is
   * consumed). Then the timer fires late by that work's dispatch, never
   * early (TimerList.run re-checks each expiry).
   */
  #spinUntil(deadline: number): void {
    const start = native.nowNs();
    try {
      this.#spinLoop(start, deadline);
    } finally {
      this.#timerSpunNs += native.nowNs() - start;
    }
  }

  #spinLoop(now: number, deadline: number): void {
    const c = this.#control;
    let nextLook = 0;
    for (; now < deadline; now = native.nowNs()) {
      if (Atomics.load(c, NOTIFIED) !== 0) return;
      if (now >= nextLook) {
        nextLook = now + 16_000;
        for (const { ring } of this.#rings.values()) if (ring.readable) return;
        if (this.#userHandlers > 0 && native.epollWait(this.#epfd, 0, this.#out) > 0) return;
      }
    }
  }

  /**
   * Just before the timers run: learn how late this wake-up came after the
   * timerfd expired (measured here, not when the dispatch began, so the
   * dispatch's own work before the timers is part of what is armed ahead
   * for), then, if a REALTIME or HOST timer is due within the spin window
   * (whatever woke this dispatch), busy-wait for it and fire it now; going
   * back to libuv first would cost a wake-up, the very lateness the spin
   * avoids.
   */
  #timerSpinPoint(): void {
    const sampleAt = this.#timerSpinAuto ? this.#wakeSampleDeadline : -1;
    const spin = this.#timerSpinWindow();
    if (sampleAt < 0 && spin === 0) return;
    // Most dispatches have neither a wake-up to sample nor a timer in the
    // window: they return here without reading the clock.
    const d = spin > 0 ? this.#wallTimersDeadlineNs() : -1;
    const spinFor = d > 0 && d <= spin;
    if (sampleAt < 0 && !spinFor) return;
    const now = native.nowNs();
    if (sampleAt >= 0 && now >= sampleAt) {
      this.#wakeLatency.sample(now - sampleAt);
      this.#wakeSampleDeadline = -1;
    }
    if (spinFor) this.#spinUntil(now + d);
  }

  /** How long before a wall-clock deadline the context stops sleeping (see `TimerParams.spinNs`). */
  #timerSpinWindow(): number {
    return this.#timerSpinAuto ? this.#wakeLatency.ns : this.#timerSpinNs;
  }

  /** Nanoseconds until the soonest REALTIME or HOST timer (-1: none); VIRTUAL time moves by code, not by waiting. */
  #wallTimersDeadlineNs(): number {
    let d = -1;
    const lists = this.#timers;
    for (let i = 0; i < lists.length; i++) {
      const l = lists[i]!;
      if (l.size > 0 && l.clockType !== ClockType.VIRTUAL) d = soonestTimeout(d, l.deadlineNs());
    }
    return d;
  }

  /** Makes the native loop dispatch again without blocking. */
  #wakeSelf(): void {
    if (this.#inDriveCall && this.#driven) this.#againRequested = true;
    else native.eventfdWrite(this.#notifierFd);
  }

  #updateRef(): void {
    if (this.#driven) return;
    let want = this.#userHandlers > 0 || this.#bh.hasScheduled();
    if (!want) {
      const vrun = native.vclockRunning();
      for (const l of this.#timers) {
        if (l.size > 0 && (l.clockType !== ClockType.VIRTUAL || vrun)) want = true;
      }
    }
    if (want !== this.#refd) this.#setRef(want);
  }

  #setRef(ref: boolean): void {
    this.#refd = ref;
    // A driven loop always keeps its thread alive.
    if (this.#pollHandle !== null && !this.#driven) native.pollRef(this.#pollHandle, ref);
  }

  // ---------------------------------------------------------------- destroy

  /**
   * Detaches the context, drops its queued BHs, disarms its timers, forgets
   * its handlers and closes its fds. Idempotent. The user's fds stay open.
   *
   * @qemu aio_context_unref (finalize)
   * **Details** Called from one of the context's own callbacks, it detaches
   * at once and completes when the outermost dispatch returns.
   */
  destroy(): void {
    if (this.#destroyed) return;
    if (threadId !== this.#home) throw new WrongThreadError('destroy');
    if (this.#walking > 0) {
      // Called from one of its own callbacks: detach now, finish when the
      // outermost dispatch returns.
      this.#destroyPending = true;
      this.detach();
      return;
    }
    this.detach();
    this.#destroyed = true;
    // Other threads may be about to write the notifier: wait for them
    // before its fd is closed below.
    closeAfterWriters(this.#control, DESTROYED, WRITERS);
    // Callers waiting for replies: wake them to reject their calls.
    this.#calls?.close();
    cancelAtExit(this.#exitId);
    this.#bh.clear();
    for (const l of this.#timers) l.clear();
    for (const r of this.#handlers.values()) r.deleted = true;
    this.#handlers.clear();
    this.#pollList = [];
    this.#remoteSlots.length = 0;
    this.#userHandlers = 0;
    this.#pollDisableCnt = 0;
    native.vclockWatch(this.#notifierFd, false);
    native.close(this.#timerfd);
    native.close(this.#notifierFd);
    native.close(this.#epfd);
  }

  /** Same as {@link destroy}. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}
