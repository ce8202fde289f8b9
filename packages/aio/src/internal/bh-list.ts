/**
 * The bottom-half queue of one AioContext (QEMU's util/async.c semantics).
 *
 * Pending BHs form a stack: scheduling pushes, processing pops, so among the
 * BHs queued for one round the most recently queued runs first (LIFO, as
 * QEMU's push-front list). Each processing pass takes the whole stack as its
 * *slice*; BHs queued while it runs land in a fresh stack for the next pass.
 * Slices are chained: a nested pass (a BH callback that polls the context)
 * first finishes the entries of the outer slices, then its own.
 *
 * The flag bits follow QEMU: PENDING (linked in a queue), SCHEDULED (run
 * when reached), DELETED (free without running), ONESHOT (free after
 * running), IDLE (run, but not progress and no zero timeout).
 */

export const BH_PENDING = 1;
export const BH_SCHEDULED = 2;
export const BH_DELETED = 4;
export const BH_ONESHOT = 8;
export const BH_IDLE = 16;

/** Idle BHs cap the blocking timeout at 10 ms. */
export const IDLE_BH_TIMEOUT_NS = 10_000_000;

export interface BhState {
  flags: number;
  readonly cb: () => void;
  readonly name: string;
}

export class BhList {
  /** The stack BHs are queued on until the next pass takes it. */
  #pending: BhState[] = [];
  /** Slices taken by passes that have not finished them yet, outermost first. */
  readonly #slices: BhState[][] = [];
  /**
   * Emptied slices kept for reuse: a polling loop runs a pass some 10^5
   * times a second, and a fresh array per pass was most of its garbage
   * (young-generation pauses long enough to end adaptive polling).
   */
  readonly #spare: BhState[][] = [];
  readonly #notify: () => void;
  /** Callbacks run so far (not idle ones: those count too, as dispatched). */
  dispatched = 0;

  constructor(notify: () => void) {
    this.#notify = notify;
  }

  /** ORs `flags` (plus PENDING) into the BH, links it if it was not, and notifies. */
  enqueue(bh: BhState, flags: number): void {
    const old = bh.flags;
    bh.flags = old | flags | BH_PENDING;
    if ((old & BH_PENDING) === 0) this.#pending.push(bh);
    this.#notify();
  }

  /** Like {@link enqueue}, without notifying (the caller is the context itself, about to run BHs). */
  enqueueQuiet(bh: BhState, flags: number): void {
    const old = bh.flags;
    bh.flags = old | flags | BH_PENDING;
    if ((old & BH_PENDING) === 0) this.#pending.push(bh);
  }

  /** Runs one pass; returns whether a non-idle callback ran (progress). */
  poll(): boolean {
    const slices = this.#slices;
    if (this.#pending.length === 0 && slices.length === 0) return false;
    slices.push(this.#pending);
    this.#pending = this.#spare.pop() ?? [];
    let progress = false;
    while (slices.length > 0) {
      const s = slices[0]!;
      const bh = s.pop();
      if (bh === undefined) {
        // Nothing refers to a slice once it leaves the chain (each round
        // re-reads slices[0], so a nested pass may shift and reuse it).
        slices.shift();
        if (this.#spare.length < 4) this.#spare.push(s);
        continue;
      }
      const flags = bh.flags;
      bh.flags = flags & ~(BH_PENDING | BH_SCHEDULED | BH_IDLE);
      if ((flags & (BH_SCHEDULED | BH_DELETED)) === BH_SCHEDULED) {
        if ((flags & BH_IDLE) === 0) progress = true;
        this.dispatched++;
        bh.cb();
      }
    }
    return progress;
  }

  /** 0 if a runnable non-idle BH is queued, 10 ms if only idle ones, -1 otherwise. */
  timeoutNs(): number {
    let idle = false;
    const slices = this.#slices;
    for (let j = -1; j < slices.length; j++) {
      const list = j < 0 ? this.#pending : slices[j]!;
      for (let i = 0; i < list.length; i++) {
        const f = list[i]!.flags;
        if ((f & (BH_SCHEDULED | BH_DELETED)) === BH_SCHEDULED) {
          if ((f & BH_IDLE) === 0) return 0;
          idle = true;
        }
      }
    }
    return idle ? IDLE_BH_TIMEOUT_NS : -1;
  }

  /** Whether any BH is queued and scheduled (the GSource "check"). */
  hasScheduled(): boolean {
    return this.timeoutNs() >= 0;
  }

  /** Drops every queued entry (context destruction). */
  clear(): void {
    for (const list of [this.#pending, ...this.#slices]) {
      for (const bh of list) bh.flags = (bh.flags & ~(BH_PENDING | BH_SCHEDULED)) | BH_DELETED;
    }
    this.#pending = [];
    this.#slices.length = 0;
  }
}
