// Attached mode: the context dispatches from Node's own loop (uv_poll on its
// epoll fd), and microtasks queued by handlers run before it blocks again.
import { describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { AioContext, ClockType, EventNotifier, NoContextError, Scale, clockGetNs, nativeCounters } from '../src/index.js';
import { makePipe, newContext } from './support/context.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(['attached', 'driven'] as const)('%s mode', (mode) => {
  const run = (ctx: AioContext): void => (mode === 'attached' ? ctx.attach() : ctx.drive());

  it('records the current context; a second one in the thread throws', () => {
    expect(() => AioContext.current()).toThrow('no AioContext in this thread');
    const ctx = newContext();
    run(ctx);
    expect(AioContext.current()).toBe(ctx);
    expect(mode === 'attached' ? ctx.attached : ctx.driven).toBe(true);
    const other = newContext();
    expect(() => run(other)).toThrow(NoContextError);
    ctx.detach();
    expect(() => AioContext.current()).toThrow(NoContextError);
    try {
      AioContext.current();
    } catch (e) {
      expect((e as NoContextError).code).toBe('LOOP_ERR_NO_CONTEXT');
    }
  });

  it('runs BHs from Node’s loop, and a BH scheduled by a microtask runs without another event', async () => {
    const ctx = newContext();
    run(ctx);
    const done = deferred<string[]>();
    const order: string[] = [];
    const second = ctx.bhNew(() => {
      order.push('second');
      done.resolve(order);
    });
    ctx.bhScheduleOneshot(async () => {
      order.push('first');
      await null;
      await Promise.resolve();
      order.push('after-await');
      second.schedule();
    });
    expect(await done.promise).toEqual(['first', 'after-await', 'second']);
    ctx.detach();
  });

  it('an async fd handler that awaits fs and a Node timer finishes without a further event', async () => {
    const ctx = newContext();
    run(ctx);
    const p = makePipe();
    const done = deferred<number>();
    ctx.setFdHandler(p.r, {
      read: async () => {
        p.drain();
        const st = await stat('/proc/self');
        await sleep(2);
        done.resolve(st.isDirectory() ? 1 : 0);
      },
    });
    p.write('go');
    expect(await done.promise).toBe(1);
    ctx.setFdHandler(p.r, null);
    p.close();
    ctx.detach();
  });

  it('timers fire in attached mode through the timerfd, sub-millisecond deadlines included', async () => {
    const ctx = newContext();
    run(ctx);
    const sets = nativeCounters().timerfdSets;
    for (const delayNs of [300_000, 2_000_000]) {
      const done = deferred<number>();
      const t = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => done.resolve(clockGetNs(ClockType.REALTIME)));
      const start = clockGetNs(ClockType.REALTIME);
      t.modNs(start + delayNs);
      const firedAt = await done.promise;
      expect(firedAt).toBeGreaterThanOrEqual(start + delayNs);
    }
    // At least the 2 ms deadline went to the kernel through the timerfd.
    expect(nativeCounters().timerfdSets).toBeGreaterThan(sets);
    if (mode === 'driven') expect(nativeCounters().driveWaits).toBeGreaterThan(0);
    ctx.detach();
  });

  it('timers re-armed from their own callback and equal deadlines, attached', async () => {
    const ctx = newContext();
    run(ctx);
    const order: string[] = [];
    const done = deferred();
    let n = 0;
    const base = clockGetNs(ClockType.REALTIME) + 200_000;
    const a = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => order.push('a'));
    const b = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => order.push('b'));
    const r = ctx.timerNew(ClockType.REALTIME, Scale.NS, () => {
      order.push(`r${n}`);
      if (++n < 3) r.modNs(clockGetNs(ClockType.REALTIME) + 100_000);
      else done.resolve();
    });
    a.modNs(base);
    b.modNs(base);
    r.modNs(base);
    await done.promise;
    expect(order).toEqual(['a', 'b', 'r0', 'r1', 'r2']);
    ctx.detach();
  });

  it('an event notifier set from a promise wakes the attached context', async () => {
    const ctx = newContext();
    run(ctx);
    const e = new EventNotifier();
    const done = deferred();
    ctx.setEventNotifier(e, { read: (n) => (n.testAndClear(), done.resolve()) });
    await Promise.resolve();
    e.set();
    await done.promise;
    ctx.setEventNotifier(e, null);
    e.close();
    ctx.detach();
  });

  it('after detach the context no longer dispatches on its own; poll() still works', async () => {
    const ctx = newContext();
    run(ctx);
    ctx.detach();
    let n = 0;
    ctx.bhScheduleOneshot(() => n++);
    await sleep(1);
    expect(n).toBe(0);
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(1);
  });

  it('destroy() detaches', () => {
    const ctx = newContext();
    run(ctx);
    ctx.destroy();
    expect(ctx.attached || ctx.driven).toBe(false);
    expect(() => AioContext.current()).toThrow(NoContextError);
    expect(() => ctx.poll(false)).toThrow('has been destroyed');
  });
});
