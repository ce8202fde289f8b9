/**
 * Pool statistics: counters and a log-linear latency histogram (4 buckets
 * per power of two of microseconds, so a percentile is exact to ±19 %).
 *
 * @module
 */

const SUB = 4;
const BUCKETS = 40 * SUB;

/** Percentiles of one histogram, in microseconds. @since 0.1.0 */
export interface LatencySummary {
  readonly count: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/**
 * A snapshot of a pool.
 *
 * @qemu none (QEMU keeps cur_threads, idle_threads, new_threads privately)
 * @since 0.1.0
 */
export interface ThreadPoolStats {
  /** Workers alive or starting (QEMU's cur_threads). */
  readonly threads: number;
  /** Workers with nothing to do. */
  readonly idle: number;
  /** Tasks submitted and not started (in the pool's queue or a worker's ring). */
  readonly queued: number;
  /** Tasks running now. */
  readonly running: number;
  /** Tasks that finished (value or error), not counting cancelled ones. */
  readonly completed: number;
  /** Tasks cancelled before they started. */
  readonly cancelled: number;
  /** Workers ever started. */
  readonly spawned: number;
  /** Workers that exited (retired, crashed or closed). */
  readonly exited: number;
  /** Time from submit to start. */
  readonly queueWait: LatencySummary;
  /** Time from start to end in the worker. */
  readonly runTime: LatencySummary;
  /** Current thread-pool-min / thread-pool-max. */
  readonly min: number;
  readonly max: number;
}

/** A log-linear histogram of microsecond values. */
export class Histogram {
  readonly #b = new Float64Array(BUCKETS);
  #n = 0;
  #max = 0;

  record(us: number): void {
    if (!(us >= 0)) us = 0;
    this.#n++;
    if (us > this.#max) this.#max = us;
    this.#b[bucketOf(us)]!++;
  }

  summary(): LatencySummary {
    return { count: this.#n, p50Us: this.#pct(0.5), p99Us: this.#pct(0.99), maxUs: this.#max };
  }

  #pct(q: number): number {
    if (this.#n === 0) return 0;
    const want = Math.ceil(this.#n * q);
    let acc = 0;
    for (let i = 0; i < BUCKETS; i++) {
      acc += this.#b[i]!;
      if (acc >= want) return Math.min(upper(i), this.#max);
    }
    return this.#max;
  }
}

function bucketOf(us: number): number {
  if (us < 1) return 0;
  const e = Math.floor(Math.log2(us));
  const frac = us / 2 ** e - 1; // [0, 1)
  const i = 1 + e * SUB + Math.floor(frac * SUB);
  return i >= BUCKETS ? BUCKETS - 1 : i;
}

function upper(i: number): number {
  if (i === 0) return 1;
  const e = Math.floor((i - 1) / SUB);
  const s = (i - 1) % SUB;
  return 2 ** e * (1 + (s + 1) / SUB);
}
