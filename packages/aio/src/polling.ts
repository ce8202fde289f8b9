/**
 * Adaptive polling: how long a context busy-polls before it blocks.
 *
 * @loop keeps QEMU's single per-context polling time (`poll_ns`, QEMU up to
 * 9.2) rather than 10.0's per-handler values: it is what QEMU 7.2, whose
 * transcripts the daemon replays, does; it gives one number for
 * `ctx.stats.pollNs` and `x-` statistics; and a context's poll handlers here
 * are few (its rings and notifiers), which is where 10.0's per-handler
 * refinement pays least. The value is adjusted after every `poll()` while
 * `poll-max-ns` is nonzero, from `blockNs`, the time from the start of the
 * poll until its wait returned (busy-polling included).
 *
 * @module
 */

/**
 * The three tunables of adaptive polling.
 *
 * @qemu AioContext poll_max_ns, poll_grow, poll_shrink
 * @since 0.1.0
 */
export interface PollParams {
  /** Upper bound of the polling window in ns; 0 disables polling. */
  readonly maxNs: number;
  /** Multiplier when growing; 0 means 2. */
  readonly grow: number;
  /** Divisor when shrinking; 0 means "reset to 0". */
  readonly shrink: number;
}

/**
 * The first polling time after growing from 0.
 *
 * @qemu none (the 4000 ns start of adjust_polling_time)
 * @since 0.1.0
 */
export const POLL_NS_INITIAL = 4000;

/**
 * The next polling time after a poll that blocked for `blockNs`.
 *
 * - `blockNs <= pollNs`: the event came within the window; keep it.
 * - `blockNs > maxNs`: polling would not have helped; shrink (divide by
 *   `shrink`, or drop to 0 when `shrink` is 0).
 * - otherwise, if both are below `maxNs`: grow (0 → 4000, else × `grow`
 *   or × 2), capped at `maxNs`.
 *
 * @qemu adjust_polling_time (aio_poll up to 9.2)
 * @example
 * adjustPollNs(0, 5000, { maxNs: 32768, grow: 0, shrink: 0 }); // 4000
 * @since 0.1.0
 */
export function adjustPollNs(pollNs: number, blockNs: number, params: PollParams): number {
  if (blockNs <= pollNs) return pollNs;
  if (blockNs > params.maxNs) {
    return params.shrink !== 0 ? Math.floor(pollNs / params.shrink) : 0;
  }
  if (pollNs < params.maxNs && blockNs < params.maxNs) {
    const next = pollNs === 0 ? POLL_NS_INITIAL : pollNs * (params.grow !== 0 ? params.grow : 2);
    return next > params.maxNs ? params.maxNs : next;
  }
  return pollNs;
}
