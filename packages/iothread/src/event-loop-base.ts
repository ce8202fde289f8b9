/**
 * `event-loop-base`: the abstract QOM type that every user-creatable event
 * loop derives from (QEMU's `iothread` and `main-loop`, and users' own).
 *
 * It owns the three properties every loop has, `aio-max-batch`,
 * `thread-pool-min` and `thread-pool-max` (QOM type `int`, defaults 0, 0 and
 * 64), and the hooks subclasses fill in:
 *
 * - `init()` runs when the object is completed (QEMU's `complete`);
 * - `updateParams()` runs after **every** successful write of one of the
 *   three properties, the writes during creation included, before `init()`
 *   (a subclass decides what to do while it has no context yet);
 * - `canBeDeleted()` answers `object-del` (default true).
 *
 * A write first checks the range (`<name> value must be in range [0,
 * 9223372036854775807]`, and the old value stays), then stores the value,
 * then calls `updateParams()`. An error from the hook reaches the caller but
 * the value stays stored, as QEMU's does (the oracle shows `thread-pool-min`
 * reading 65 after a rejected write of 65).
 *
 * Creation sets `thread-pool-max` before `thread-pool-min`, as QEMU does:
 * @loop/qom applies a new object's properties in QEMU's QDict order.
 */
import type { AioContext } from '@loop/aio';
import { InvalidParameterError, QomObject, typeRegister, type Int64, type ObjectClass, type PropertyValue, type UserCreatable } from '@loop/qom';

/** QEMU's default `thread-pool-max` (THREAD_POOL_MAX_THREADS_DEFAULT). */
export const THREAD_POOL_MAX_DEFAULT = 64;

const INT64_MAX = 9223372036854775807n;

/** The range error every event-loop property write uses. */
export function rangeError(name: string): InvalidParameterError {
  return new InvalidParameterError(`${name} value must be in range [0, ${INT64_MAX}]`);
}

/** A stored int64 value as a JS number for a context (values past 2^53 only mean "huge"). */
export function toContextNumber(value: Int64): number {
  return typeof value === 'bigint' ? Number(value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : value) : value;
}

/**
 * Declares a non-negative int64 property whose writes store the value and
 * then run `after(obj)`.
 *
 * @qemu event_loop_base_set_param / iothread_set_poll_param
 */
export function addLoopIntProperty<O extends QomObject>(
  klass: ObjectClass,
  name: string,
  read: (obj: O) => Int64,
  store: (obj: O, value: Int64) => void,
  after: (obj: O) => void | Promise<void>,
): void {
  klass.propertyAdd<O>({
    name,
    type: 'int',
    get: (obj) => read(obj),
    set: (obj, value: PropertyValue) => {
      const v = value as Int64;
      if (v < 0) throw rangeError(name);
      store(obj, v);
      return after(obj);
    },
  });
}

/**
 * The abstract base of event loops. Subclass it, register the subclass with
 * `typeRegister({ parent: 'event-loop-base', ... })`, and override `init()`
 * and `updateParams()`.
 *
 * @qemu EventLoopBase (event-loop-base.c)
 * @since 0.1.0
 */
export abstract class EventLoopBase extends QomObject implements UserCreatable {
  #aioMaxBatch: Int64 = 0;
  #threadPoolMin: Int64 = 0;
  #threadPoolMax: Int64 = THREAD_POOL_MAX_DEFAULT;
  #completed = false;

  /** `aio-max-batch` as stored. */
  get aioMaxBatch(): Int64 {
    return this.#aioMaxBatch;
  }

  /** `thread-pool-min` as stored (possibly a value the last apply rejected). */
  get threadPoolMin(): Int64 {
    return this.#threadPoolMin;
  }

  /** `thread-pool-max` as stored. */
  get threadPoolMax(): Int64 {
    return this.#threadPoolMax;
  }

  /** Whether `init()` has completed. */
  get completed(): boolean {
    return this.#completed;
  }

  /**
   * Runs once, when the object is completed. Throw (or reject) to refuse
   * the creation; the object is then finalized.
   *
   * @qemu EventLoopBaseClass.init
   */
  protected init(): void | Promise<void> {}

  /**
   * Runs after every successful write of `aio-max-batch`, `thread-pool-min`
   * or `thread-pool-max`, also during creation before `init()`.
   *
   * @qemu EventLoopBaseClass.update_params
   */
  protected updateParams(): void | Promise<void> {}

  /** @qemu EventLoopBaseClass.can_be_deleted */
  canBeDeleted(): boolean {
    return true;
  }

  /** @qemu event_loop_base_complete */
  async complete(): Promise<void> {
    await this.init();
    this.#completed = true;
  }

  /**
   * Checks the stored thread-pool pair with the rule a context applies
   * (`bad thread-pool-min/thread-pool-max values`) without applying it.
   */
  protected checkThreadPoolPair(): void {
    const min = this.#threadPoolMin;
    const max = this.#threadPoolMax;
    const INT_MAX = 2147483647;
    if (min > max || max <= 0 || min < 0 || min > INT_MAX || max > INT_MAX) {
      throw new InvalidParameterError('bad thread-pool-min/thread-pool-max values');
    }
  }

  /**
   * Applies `aio-max-batch` and the thread-pool pair to a context, with the
   * context's checks (`bad thread-pool-min/thread-pool-max values`): the
   * work of QEMU's update_params for both iothread and main-loop.
   */
  protected applyLoopParams(ctx: AioContext): void {
    ctx.setAioParams({ maxBatch: toContextNumber(this.#aioMaxBatch) });
    ctx.setThreadPoolParams({ min: toContextNumber(this.#threadPoolMin), max: toContextNumber(this.#threadPoolMax) });
  }

  static {
    typeRegister({
      name: 'event-loop-base',
      parent: 'object',
      abstract: true,
      interfaces: ['user-creatable'],
      instanceClass: EventLoopBase,
      classInit: (klass) => {
        const update = (o: EventLoopBase): void | Promise<void> => o.updateParams();
        // QAPI's EventLoopBaseProperties order: it decides which bad value
        // an -object string reports first.
        addLoopIntProperty<EventLoopBase>(klass, 'aio-max-batch', (o) => o.#aioMaxBatch, (o, v) => (o.#aioMaxBatch = v), update);
        addLoopIntProperty<EventLoopBase>(klass, 'thread-pool-min', (o) => o.#threadPoolMin, (o, v) => (o.#threadPoolMin = v), update);
        addLoopIntProperty<EventLoopBase>(klass, 'thread-pool-max', (o) => o.#threadPoolMax, (o, v) => (o.#threadPoolMax = v), update);
      },
    });
  }
}
