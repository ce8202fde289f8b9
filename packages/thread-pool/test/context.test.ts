import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AioContext, ClockType, Scale, clockGetNs } from '@loop/aio';
import { getThreadPool } from '../src/index.js';
import { sleep, task, until } from './support/pool.js';

describe('the owning context', () => {
  it('not attached nor driven: tasks run, completions wait for ctx.poll()', async () => {
    const ctx = new AioContext();
    ctx.setThreadPoolParams({ min: 1, max: 1 });
    const pool = getThreadPool(ctx);
    let v: number | undefined;
    const done = pool.submit(task<number, number>('square'), 3).then((x) => (v = x));
    await until(() => pool.stats.running + pool.stats.queued === 0); // it ran; only the delivery waits
    await sleep(100);
    expect(v).toBeUndefined();
    while (v === undefined) {
      ctx.poll(true);
      await Promise.resolve();
      await Promise.resolve();
    }
    await done;
    expect(v).toBe(9);
    await pool.close();
    ctx.destroy();
  });

  it('a synchronous poll(true) loop on a bare context drains a backlog larger than the workers\' pipelines', async () => {
    // QEMU's AIO_WAIT_WHILE shape: nothing but ctx.poll() runs until the
    // work is done, so refills after each batch of completions must reach
    // the worker without a microtask. A REALTIME timer bounds every wait,
    // so a lost refill fails the test instead of hanging it.
    const ctx = new AioContext();
    ctx.setThreadPoolParams({ min: 1, max: 1 });
    const pool = getThreadPool(ctx);
    const N = 3000; // the pipeline holds at most 1024
    const all = Promise.all(Array.from({ length: N }, (_, i) => pool.submit(task<number, number>('square'), i)));
    const guard = ctx.timerNew(ClockType.REALTIME, Scale.MS, () => guard.mod(clockGetNs(ClockType.REALTIME) / 1e6 + 50));
    guard.mod(clockGetNs(ClockType.REALTIME) / 1e6 + 50);
    const deadline = Date.now() + 10_000;
    while (pool.stats.completed < N && Date.now() < deadline) ctx.poll(true);
    guard.del();
    expect(pool.stats.completed).toBe(N);
    const squares = await all;
    expect(squares[2999]).toBe(2999 * 2999);
    await pool.close();
    ctx.destroy();
  });

  it('an idle pool does not keep the process alive', () => {
    const script = fileURLToPath(new URL('./fixtures/exit-when-idle.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.trim()).toBe('49 1,4,9');
  });
});
