// Loaded into the iothread by the bench: a no-op for call round trips, and a
// remote BH that records when it ran (process.hrtime is one monotonic clock
// for every thread of the process).
import { AioContext } from '@loop/aio';

export function noop() {
  return 0;
}

const ranAt = [];
let bh;

/** Creates the iothread's remote BH; returns its index for `handle.remoteBhToken()`. */
export function setupBh() {
  ranAt.length = 0;
  bh = AioContext.current().remoteBhNew(() => ranAt.push(process.hrtime.bigint()), 'bench');
  return bh.token.index;
}

/** When the BH ran, in order (as strings: bigints do not cross as numbers). */
export function takeTimes() {
  const out = ranAt.map(String);
  ranAt.length = 0;
  bh.delete();
  return out;
}
