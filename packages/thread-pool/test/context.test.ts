import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AioContext } from '@loop/aio';
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

  it('an idle pool does not keep the process alive', () => {
    const script = fileURLToPath(new URL('./fixtures/exit-when-idle.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.trim()).toBe('49 1,4,9');
  });
});
