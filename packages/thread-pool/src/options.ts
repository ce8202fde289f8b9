/**
 * Options of a pool, checked eagerly with piscina-style messages.
 *
 * @module
 */
import type { ResourceLimits } from 'node:worker_threads';

/** QEMU's idle timeout of a worker above thread-pool-min (util/thread-pool.c: 10 s). */
export const IDLE_TIMEOUT_MS_DEFAULT = 10_000;
/** Busy-polling window of the workers' contexts: 128 µs, four times an IOThread's 32 µs, so a worker keeps polling across a pool thread's own wake-up (50 to 100 µs on this VM). */
export const WORKER_POLL_MAX_NS_DEFAULT = 131_072;
/** Bytes of inline payload per slot; larger payloads travel on a MessagePort. */
export const INLINE_BYTES_DEFAULT = 1024;
/** Tasks handed to workers at once (slots of the shared table). */
export const CAPACITY_DEFAULT = 4096;
/** Default of completionBatchUs: a worker reports a result together with the next task's when that task's function ran at most this long (µs) in each recent run. */
export const COMPLETION_BATCH_US_DEFAULT = 2000;

/** Options of {@link getThreadPool}, used when the pool is created. @since 0.1.0 */
export interface ThreadPoolOptions {
  /** Idle time after which a worker above `min` exits; at least 1000 ms (default 10 000, QEMU's). */
  readonly idleTimeoutMs?: number;
  /** `poll-max-ns` of each worker's AioContext (default 131072; 0 turns busy-polling off). */
  readonly workerPollMaxNs?: number;
  /**
   * Under load, a worker that already holds its next task may report a
   * finished one together with that next one: one wake-up of the pool's
   * thread for two results. Only if each of the last 16 to 32 runs of the
   * next task's function took at most this many microseconds, and while
   * another worker is busy (its results wake the pool's thread, which takes
   * the held one too); so a result waits at most about one such task (see
   * the README, "Completion batching", for the one exception). 0: every
   * result wakes the pool's thread at once, as QEMU's pool does. Default
   * 2000; 0..1 000 000.
   */
  readonly completionBatchUs?: number;
  /** Passed to each `new Worker()`. */
  readonly resourceLimits?: ResourceLimits;
  /** Inline payload bytes per slot (default 1024, a multiple of 8 in 64..65536). */
  readonly inlineBytes?: number;
  /** Most tasks handed to workers at once (power of two, 64..65536; default 4096). */
  readonly capacity?: number;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  readonly idleTimeoutMs: number;
  readonly workerPollMaxNs: number;
  readonly completionBatchUs: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly inlineBytes: number;
  readonly capacity: number;
}

function int(v: unknown, name: string, lo: number, hi: number, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new TypeError(`options.${name} must be an integer between ${lo} and ${hi}`);
  }
  return v;
}

const RESOURCE_LIMITS = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

function checkResourceLimits(rl: unknown): ResourceLimits | undefined {
  if (rl === undefined) return undefined;
  if (rl === null || typeof rl !== 'object') throw new TypeError('options.resourceLimits must be an object');
  for (const key of Object.keys(rl)) {
    if (!(RESOURCE_LIMITS as readonly string[]).includes(key)) throw new TypeError(`options.resourceLimits.${key} is not a resource limit`);
    const v = (rl as Record<string, unknown>)[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new TypeError(`options.resourceLimits.${key} must be a positive number`);
    }
  }
  return rl as ResourceLimits;
}

/** Applies defaults and checks every option. @throws {TypeError} naming the option. */
export function resolveOptions(o: ThreadPoolOptions = {}): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  const inlineBytes = int(o.inlineBytes, 'inlineBytes', 64, 65536, INLINE_BYTES_DEFAULT);
  if (inlineBytes % 8 !== 0) throw new TypeError('options.inlineBytes must be a multiple of 8');
  const capacity = int(o.capacity, 'capacity', 64, 65536, CAPACITY_DEFAULT);
  if ((capacity & (capacity - 1)) !== 0) throw new TypeError('options.capacity must be a power of two');
  return {
    idleTimeoutMs: int(o.idleTimeoutMs, 'idleTimeoutMs', 1000, 2 ** 31 - 1, IDLE_TIMEOUT_MS_DEFAULT),
    workerPollMaxNs: int(o.workerPollMaxNs, 'workerPollMaxNs', 0, 2 ** 31 - 1, WORKER_POLL_MAX_NS_DEFAULT),
    completionBatchUs: int(o.completionBatchUs, 'completionBatchUs', 0, 1_000_000, COMPLETION_BATCH_US_DEFAULT),
    resourceLimits: checkResourceLimits(o.resourceLimits),
    inlineBytes,
    capacity,
  };
}
