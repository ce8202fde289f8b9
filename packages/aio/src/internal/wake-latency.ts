/**
 * How late this thread wakes after its timerfd expires, tracked as a low
 * quantile of the observed lateness. A context with `spinNs: 'auto'` arms
 * its timerfd that much before a deadline and busy-waits only what is left,
 * so it pays the spin only on the wake-ups that came earlier than the
 * estimate.
 *
 * Why a low quantile and not the mean: a wake-up later than the estimate
 * costs lateness (as without wake-ahead, but less), one earlier costs CPU
 * (the rest is spun). The 25th percentile keeps the spin to a few µs per
 * expiry on the reference VM (wake-ups 45-110 µs late, p25 57-76 µs) while
 * cutting the median lateness to the spread between p25 and p50.
 *
 * The tracker moves by a sign rule (a step down when a sample is below the
 * estimate, a third of a step up otherwise), so one long stall (a busy
 * thread, a preempted vCPU) moves it by one small step, not by its size.
 */

/** The quantile tracked. */
const QUANTILE = 0.25;
/** Samples above this are a busy or preempted thread, not a wake-up: ignored. */
const SAMPLE_MAX_NS = 1_000_000;
/** The estimate never exceeds this (a spin per expiry is bounded by it). */
export const WAKE_AHEAD_MAX_NS = 200_000;
/** The smallest step, so the estimate can leave 0 and follow µs-scale drift. */
const MIN_STEP_NS = 250;

export class WakeLatency {
  #ns = 0;
  #samples = 0;

  /** The current estimate in ns (0 until the first sample). */
  get ns(): number {
    return this.#ns;
  }

  /** Samples taken (ignored ones excluded). */
  get samples(): number {
    return this.#samples;
  }

  /** Records that the thread woke `lateNs` after its timerfd expired. */
  sample(lateNs: number): void {
    if (!(lateNs >= 0) || lateNs > SAMPLE_MAX_NS) return;
    if (this.#samples++ === 0) {
      // Start below the first sample: an estimate that is too low costs
      // lateness, one that is too high costs CPU on every expiry.
      this.#ns = Math.min(WAKE_AHEAD_MAX_NS, Math.round(lateNs / 2));
      return;
    }
    const step = Math.max(MIN_STEP_NS, this.#ns / 8);
    const next = lateNs < this.#ns ? this.#ns - step * (1 - QUANTILE) : this.#ns + step * QUANTILE;
    this.#ns = Math.min(WAKE_AHEAD_MAX_NS, Math.max(0, Math.round(next)));
  }
}
