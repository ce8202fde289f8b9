import { readdirSync, readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import { AioContext } from '@loop/aio';
import { defineTask, getThreadPool, type TaskRef, type ThreadPool, type ThreadPoolOptions } from '../../src/index.js';

export const TASKS = new URL('../fixtures/tasks.mjs', import.meta.url);
export const task = <A = unknown, R = unknown>(name: string): TaskRef<A, R> => defineTask<A, R>(TASKS, name);

/** Threads of this process named 'worker' (the pool's workers name themselves so, as QEMU's). */
export function workerThreads(): number {
  let n = 0;
  for (const t of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'worker') n++;
    } catch {
      // The thread exited meanwhile.
    }
  }
  return n;
}
export const taskCount = (): number => readdirSync('/proc/self/task').length;
export const fdCount = (): number => readdirSync('/proc/self/fd').length;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms for up to `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** A fresh attached context (the main thread's only one at a time). */
export function attachedContext(min: number, max: number): AioContext {
  const ctx = new AioContext();
  ctx.attach();
  ctx.setThreadPoolParams({ min, max });
  return ctx;
}

/** Flags a blocking task waits on: word i releases task i; word `started` counts starts. */
export class Flags {
  readonly sab = new SharedArrayBuffer(4 * 258);
  readonly a = new Int32Array(this.sab);
  readonly started = 257;
  arg(i: number): { sab: SharedArrayBuffer; index: number; startedIndex: number } {
    return { sab: this.sab, index: i, startedIndex: this.started };
  }
  release(i: number): void {
    Atomics.store(this.a, i, 1);
    Atomics.notify(this.a, i);
  }
  releaseAll(): void {
    for (let i = 0; i < 257; i++) this.release(i);
  }
  get startedCount(): number {
    return Atomics.load(this.a, this.started);
  }
}

/**
 * One pool (and its attached context) per test, closed and destroyed after
 * it: `setup(min, max, options?)` makes both; `context(min, max)` only the
 * context (for tests of getThreadPool itself); `ctx` is the current one.
 */
export function poolPerTest(): {
  setup(min: number, max: number, options?: ThreadPoolOptions): ThreadPool;
  context(min: number, max: number): AioContext;
  readonly ctx: AioContext;
} {
  let ctx: AioContext | null = null;
  let pool: ThreadPool | null = null;
  afterEach(async () => {
    await pool?.close();
    ctx?.destroy();
    pool = null;
    ctx = null;
  });
  const context = (min: number, max: number): AioContext => (ctx = attachedContext(min, max));
  return {
    setup(min, max, options) {
      pool = getThreadPool(context(min, max), options);
      return pool;
    },
    context,
    get ctx(): AioContext {
      if (ctx === null) throw new Error('poolPerTest: no context in this test');
      return ctx;
    },
  };
}

