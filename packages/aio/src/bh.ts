/**
 * Bottom halves: callbacks deferred to an AioContext's next poll.
 *
 * @module
 */
import { BH_DELETED, BH_IDLE, BH_SCHEDULED, type BhList, type BhState } from './internal/bh-list.js';
import { DestroyedError } from './errors.js';

/**
 * A bottom half: a callback that runs once on its context's thread each
 * time it is scheduled (schedules before a run coalesce into one run).
 * Created by {@link AioContext.bhNew}.
 *
 * @qemu QEMUBH (qemu_bh_schedule, qemu_bh_schedule_idle, qemu_bh_cancel, qemu_bh_delete)
 *
 * **Threads** Home thread of its context. From another thread use a remote
 * BH through a ContextHandle.
 *
 * **Gotchas** Among BHs scheduled for the same round the most recently
 * scheduled runs first (LIFO). A BH scheduled from its own callback runs in
 * the next round, not the current one.
 * @since 0.1.0
 */
export class BH {
  readonly #state: BhState;
  readonly #list: BhList;

  /** @internal Use {@link AioContext.bhNew}. */
  constructor(list: BhList, cb: () => void, name: string) {
    this.#list = list;
    this.#state = { flags: 0, cb, name };
  }

  /** The name given at creation (the callback's name by default). */
  get name(): string {
    return this.#state.name;
  }

  /** Whether the BH will run at the next processing round. */
  get scheduled(): boolean {
    return (this.#state.flags & (BH_SCHEDULED | BH_DELETED)) === BH_SCHEDULED;
  }

  /** Whether `delete()` has been called. */
  get deleted(): boolean {
    return (this.#state.flags & BH_DELETED) !== 0;
  }

  /**
   * Schedules the BH and notifies its context. Scheduling a BH that is
   * already queued does not queue it again.
   *
   * @qemu qemu_bh_schedule
   * @throws {DestroyedError} `LOOP_ERR_DESTROYED` after `delete()`.
   */
  schedule(): void {
    if (this.deleted) throw new DestroyedError(`BH '${this.name}'`);
    this.#list.enqueue(this.#state, BH_SCHEDULED);
  }

  /**
   * Schedules the BH as idle: its run does not count as progress and only
   * caps a blocking poll at 10 ms. Once set on a queued entry, idle sticks
   * until that entry runs.
   *
   * @qemu qemu_bh_schedule_idle
   */
  scheduleIdle(): void {
    if (this.deleted) throw new DestroyedError(`BH '${this.name}'`);
    this.#list.enqueue(this.#state, BH_SCHEDULED | BH_IDLE);
  }

  /**
   * Unschedules the BH. Does not notify; a later `schedule()` makes it run once.
   *
   * @qemu qemu_bh_cancel
   */
  cancel(): void {
    this.#state.flags &= ~BH_SCHEDULED;
  }

  /**
   * Deletes the BH: it never runs again, even if scheduled. A second call
   * does nothing.
   *
   * @qemu qemu_bh_delete
   */
  delete(): void {
    if (this.deleted) return;
    this.#list.enqueue(this.#state, BH_DELETED);
  }
}
