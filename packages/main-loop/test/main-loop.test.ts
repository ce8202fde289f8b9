import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AioContext } from '@loop/aio';
import { getMainAioContext, initMainLoop, inIOThread } from '../src/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('the main loop', () => {
  it('creates the main context once, attached to Node\'s loop', async () => {
    expect(getMainAioContext()).toBeUndefined();
    const ctx = initMainLoop();
    expect(initMainLoop()).toBe(ctx);
    expect(getMainAioContext()).toBe(ctx);
    expect(ctx.attached).toBe(true);
    expect(AioContext.current()).toBe(ctx);
    // It dispatches from Node's loop, with promises working in between.
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      ctx.bhScheduleOneshot(async () => {
        order.push('bh');
        await Promise.resolve();
        order.push('after await');
        resolve();
      });
    });
    expect(order).toEqual(['bh', 'after await']);
    expect(inIOThread()).toBe(false);
  });

  it('refuses to start in a worker thread, where inIOThread() is true', async () => {
    const worker = new Worker(fixture('worker-main-loop.mjs'));
    const reply = await new Promise<{ inIOThread: boolean; error?: { code: string; message: string } }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(reply).toEqual({
      inIOThread: true,
      error: { code: 'LOOP_ERR_NOT_MAIN_THREAD', message: 'initMainLoop() must be called on the main thread, not in a worker' },
    });
  });

  it('does not keep the process alive once it has no work', () => {
    const out = execFileSync(process.execPath, [fixture('exit-naturally.mjs')], { encoding: 'utf8', timeout: 10_000 });
    expect(out).toBe('bh\ntimer\n');
  });
});
