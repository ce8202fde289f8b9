import { describe, expect, it } from 'vitest';
import { getThreadPool, type ThreadPool, type ThreadPoolOptions } from '../src/index.js';
import { RUNS_PER_BLOCK, RunHistory } from '../src/run-history.js';
import { nativeCounters } from '@loop/aio';
import { Flags, attachedContext, poolPerTest, sleep, task, until } from './support/pool.js';

const fx = poolPerTest();
const setup = fx.setup;

/** Runs `fn(arg)` on each of 2 idle workers, `rounds` times, so both have a run history of it (past the first block, which holds the first, slow run). */
async function history(p: ThreadPool, fn: string, arg: unknown, rounds = 2 * RUNS_PER_BLOCK + 4): Promise<void> {
  // Two at a time: each goes to an idle worker, one each.
  for (let i = 0; i < rounds; i++) await Promise.all([p.submit(task(fn), arg), p.submit(task(fn), arg)]);
  await until(() => p.stats.idle === 2);
}

/**
 * With both workers idle: blocks W0 in `z` and W1 in `y`, then puts `a`
 * (30 ms) and `b` into W0's ring, so W0 takes both together when `z` ends.
 * The pool sees that completion with both workers busy (it then allows held
 * doorbells) while `a` runs, so the choice at `a`'s end, with `b` in hand,
 * is made with batching allowed. (Placement: idle workers first, then the
 * least loaded, ties to the first worker.)
 */
async function twoInHand(p: ThreadPool, b: [string, unknown]) {
  const f = new Flags();
  const z = p.submit(task('waitFlag'), f.arg(0)); // W0: idle first
  const y = p.submit(task('waitFlag'), f.arg(1)); // W1
  await until(() => f.startedCount === 2);
  const a = p.submit(task<number, number>('spinTid'), 30); // tie: W0
  const keep = p.submit(task('waitFlag'), f.arg(2)); // W1 (fewer tasks)
  const pb = p.submit(task(b[0]), b[1]); // tie again: W0
  await sleep(10); // published (a microtask) and seen by nobody: both workers are blocked
  return {
    a,
    b: pb,
    releaseW0: async () => {
      f.release(0);
      await z;
    },
    releaseW1: async () => {
      f.release(1);
      f.release(2);
      await Promise.all([y, keep]);
    },
  };
}

describe('completion batching (completionBatchUs)', () => {
  it('under load, two short tasks per wake-up: about half the doorbells of completionBatchUs = 0', async () => {
    const doorbells = async (options: ThreadPoolOptions): Promise<number> => {
      const ctx = attachedContext(2, 2);
      const p = getThreadPool(ctx, options);
      try {
        await history(p, 'spin', 1);
        // Doorbells the workers ring: every eventfd write of the process
        // but this thread's (which rings the workers' submission rings).
        const before = nativeCounters();
        const results = await Promise.all(Array.from({ length: 200 }, () => p.submit(task<number, number>('spin'), 1)));
        expect(results.every((r) => r === 1)).toBe(true);
        const after = nativeCounters();
        return after.processEventfdWrites - before.processEventfdWrites - (after.eventfdWrites - before.eventfdWrites);
      } finally {
        await p.close();
        ctx.destroy();
      }
    };
    const off = await doorbells({ completionBatchUs: 0 });
    const on = await doorbells({});
    // Without batching about one doorbell per task (fewer when the pool's
    // thread happens to be awake); with it about half as many.
    expect(off).toBeGreaterThan(120);
    expect(on).toBeLessThan(off * 0.8);
  });

  it('a result does not wait for a next task whose function has no short run history', async () => {
    const p = setup(2, 2);
    // Loaded in both workers (a first use would let the worker return to
    // its loop, and ring, while the module loads), but 5 ms a run; then
    // short tasks, so the pool's pipeline is deep enough for `b` to go into
    // W0's ring at once (it holds ~5 ms of the pool's average run time).
    await history(p, 'busyForTid', 5, 2);
    await history(p, 'noop', undefined, 20);
    const h = await twoInHand(p, ['busyForTid', 400]);
    try {
      await h.releaseW0();
      const t0 = performance.now();
      const tidA = await h.a;
      const waited = performance.now() - t0;
      expect(await h.b).toBe(tidA); // both ran on W0, `a` with `b` in hand
      expect(waited).toBeLessThan(200); // not held for b's 400 ms
    } finally {
      await h.releaseW1();
    }
  });

  // (The held result reaches the pool through the completion ring, which the
  // pool drains when a worker exits.)
  it('a result held for the next task is delivered when that task kills its worker', async () => {
    const p = setup(2, 2);
    await history(p, 'maybeExit', 1);
    const h = await twoInHand(p, ['maybeExit', -1]);
    try {
      await h.releaseW0();
      expect(await h.a).toBeGreaterThan(0);
      await expect(h.b).rejects.toMatchObject({ code: 'LOOP_ERR_WORKER_EXIT' });
    } finally {
      await h.releaseW1();
    }
    expect(await p.submit(task<number, number>('square'), 3)).toBe(9);
  });

  it('the option is checked', () => {
    expect(() => setup(0, 1, { completionBatchUs: -1 })).toThrow('options.completionBatchUs must be an integer between 0 and 1000000');
  });
});

describe('rebalancing', () => {
  it('tasks queued behind a blocked task move to a worker that runs dry, and run once', async () => {
    const p = setup(2, 2);
    await p.submit(task('noop'));
    const f = new Flags();
    const blocked = p.submit(task('waitFlag'), f.arg(0)); // W0
    const other = p.submit(task('waitFlag'), f.arg(1)); // W1
    // Spread over both rings (least loaded first): two of them wait behind
    // the blocked task. (Arguments that travel in the slot: one posted on a
    // worker's port stays with that worker.)
    const queued = [0, 1, 2, 3].map((i) => p.submit(task<number, number>('echo'), i));
    try {
      f.release(1);
      await other;
      // W1 runs its two, runs dry, and takes over W0's two while W0 is still blocked.
      expect(await Promise.all(queued)).toEqual([0, 1, 2, 3]);
      expect(f.startedCount).toBe(2);
      expect(p.stats.cancelled).toBe(0);
    } finally {
      f.release(0);
      await blocked;
    }
    // The revoked slots were acknowledged by W0 (a slot run there too would
    // count as one more completion): nothing in flight, nothing ran twice.
    await p.submit(task('noop'));
    await until(() => p.stats.idle === 2, 1000);
    expect(p.stats).toMatchObject({ running: 0, queued: 0, completed: 8, cancelled: 0 });
  });
});

describe('rebalancing keeps', () => {
  it('a task whose argument went on its worker\'s port with that worker', async () => {
    const p = setup(2, 2, { inlineBytes: 256 });
    await p.submit(task('noop'));
    const f = new Flags();
    const blocked = p.submit(task('waitFlag'), f.arg(0)); // W0
    const other = p.submit(task('waitFlag'), f.arg(1)); // W1
    const big = 'x'.repeat(1000); // over inlineBytes: posted on the port at hand-out
    const onPort = p.submit(task<string, string>('echo'), big).then((v) => v.length); // tie: W0
    let settled = false;
    void onPort.then(() => (settled = true));
    try {
      f.release(1);
      await other; // W1 runs dry: nothing it may take
      await sleep(100);
      expect(settled).toBe(false);
    } finally {
      f.release(0);
      await blocked;
    }
    expect(await onPort).toBe(1000);
  });
});

describe('RunHistory', () => {
  it('a function is short only after a full block of short runs', () => {
    const h = new RunHistory();
    for (let i = 0; i < RUNS_PER_BLOCK - 1; i++) h.record(3, 100);
    expect(h.shortWithin(3, 1000)).toBe(false);
    h.record(3, 100);
    expect(h.shortWithin(3, 1000)).toBe(true);
    expect(h.shortWithin(3, 99)).toBe(false);
    expect(h.shortWithin(4, 1000)).toBe(false);
  });

  it('one long run keeps it from counting as short for the next 16 to 32 runs', () => {
    const h = new RunHistory();
    for (let i = 0; i < RUNS_PER_BLOCK; i++) h.record(0, 100);
    h.record(0, 5000);
    let shortAgainAfter = -1;
    for (let i = 1; i <= 3 * RUNS_PER_BLOCK; i++) {
      h.record(0, 100);
      if (h.shortWithin(0, 1000)) {
        shortAgainAfter = i;
        break;
      }
    }
    expect(shortAgainAfter).toBeGreaterThanOrEqual(RUNS_PER_BLOCK);
    expect(shortAgainAfter).toBeLessThanOrEqual(2 * RUNS_PER_BLOCK);
  });
});
