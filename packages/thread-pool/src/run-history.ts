/**
 * How long each task function ran lately in one worker: the longest run
 * among its last 16 to 32 (two blocks of 16, the older one dropped when a
 * new block starts). A worker holds a finished task's doorbell only for a
 * next task whose function has been short in every one of those runs
 * (worker.ts); one long run keeps it from doing so for the next 16 to 32.
 *
 * @module
 */

/** Runs per block; a function needs a full block before it counts as short. */
export const RUNS_PER_BLOCK = 16;

interface Runs {
  count: number;
  /** Longest run of the current block, ns. */
  cur: number;
  /** Longest run of the previous block, ns. */
  prev: number;
}

export class RunHistory {
  readonly #byFn: Array<Runs | undefined> = [];

  /** Records one run of function `fnId` that took `ns`. */
  record(fnId: number, ns: number): void {
    let r = this.#byFn[fnId];
    if (r === undefined) {
      r = { count: 0, cur: 0, prev: 0 };
      this.#byFn[fnId] = r;
    }
    if (r.count > 0 && r.count % RUNS_PER_BLOCK === 0) {
      r.prev = r.cur;
      r.cur = 0;
    }
    r.count++;
    if (ns > r.cur) r.cur = ns;
  }

  /** Whether function `fnId` ran at least RUNS_PER_BLOCK times and none of its recent runs took longer than `ns`. */
  shortWithin(fnId: number, ns: number): boolean {
    const r = this.#byFn[fnId];
    return r !== undefined && r.count >= RUNS_PER_BLOCK && r.cur <= ns && r.prev <= ns;
  }
}
