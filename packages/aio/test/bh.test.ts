// Bottom-half semantics of reference-semantics.md section 1.2 beyond QEMU's test-aio.
import { describe, expect, it } from 'vitest';
import { DestroyedError, EventNotifier, WrongThreadError } from '../src/index.js';
import { newContext } from './support/context.js';

describe('bottom halves', () => {
  it('run in LIFO order within a round', () => {
    const ctx = newContext();
    const order: string[] = [];
    const a = ctx.bhNew(() => order.push('a'));
    const b = ctx.bhNew(() => order.push('b'));
    const c = ctx.bhNew(() => order.push('c'));
    a.schedule();
    b.schedule();
    c.schedule();
    ctx.bhScheduleOneshot(() => order.push('oneshot'));
    expect(ctx.poll(false)).toBe(true);
    expect(order).toEqual(['oneshot', 'c', 'b', 'a']);
  });

  it('coalesce: scheduled twice before a poll, runs once', () => {
    const ctx = newContext();
    let n = 0;
    const bh = ctx.bhNew(() => n++);
    bh.schedule();
    bh.schedule();
    ctx.poll(false);
    expect(n).toBe(1);
    expect(ctx.poll(false)).toBe(false);
  });

  it('cancel then schedule runs once; delete wins over schedule', () => {
    const ctx = newContext();
    let n = 0;
    const bh = ctx.bhNew(() => n++);
    bh.schedule();
    bh.cancel();
    bh.schedule();
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(1);
    bh.schedule();
    bh.delete();
    expect(ctx.poll(false)).toBe(false);
    expect(n).toBe(1);
    expect(bh.deleted).toBe(true);
    expect(() => bh.schedule()).toThrow(DestroyedError);
    bh.delete(); // a second delete does nothing
  });

  it('oneshot runs exactly once and is not cancellable', () => {
    const ctx = newContext();
    let n = 0;
    ctx.bhScheduleOneshot(() => n++);
    expect(ctx.poll(false)).toBe(true);
    expect(ctx.poll(false)).toBe(false);
    expect(n).toBe(1);
  });

  it('idle BHs run but are not progress, and cap a blocking poll at 10 ms', () => {
    const ctx = newContext();
    let n = 0;
    const bh = ctx.bhNew(() => n++);
    bh.scheduleIdle();
    // Non-blocking: it runs, but not as progress.
    expect(ctx.poll(false)).toBe(false);
    expect(n).toBe(1);
    // Blocking with only an idle BH queued: bounded by the 10 ms cap (not forever).
    const e = new EventNotifier();
    ctx.setEventNotifier(e, { read: () => void e.testAndClear() });
    ctx.poll(false);
    bh.scheduleIdle();
    expect(ctx.poll(true)).toBe(false);
    expect(n).toBe(2);
    ctx.setEventNotifier(e, null);
    e.close();
  });

  it('idle is sticky while queued', () => {
    const ctx = newContext();
    let n = 0;
    const bh = ctx.bhNew(() => n++);
    bh.scheduleIdle();
    bh.schedule();
    expect(ctx.poll(false)).toBe(false);
    expect(n).toBe(1);
    bh.schedule();
    expect(ctx.poll(false)).toBe(true);
  });

  it('a nested poll finishes the outer slice first, then its own', () => {
    const ctx = newContext();
    const order: string[] = [];
    const inner = ctx.bhNew(() => order.push('inner'));
    const a = ctx.bhNew(() => order.push('a'));
    const nester = ctx.bhNew(() => {
      order.push('nester');
      inner.schedule();
      ctx.poll(false);
      order.push('nester-done');
    });
    a.schedule();
    nester.schedule();
    ctx.poll(false);
    expect(order).toEqual(['nester', 'a', 'inner', 'nester-done']);
  });

  it('an exception in a callback leaves the queue consistent', () => {
    const ctx = newContext();
    let n = 0;
    const ok = ctx.bhNew(() => n++);
    const bad = ctx.bhNew(() => {
      throw new Error('boom');
    });
    ok.schedule();
    bad.schedule();
    expect(() => ctx.poll(false)).toThrow('boom');
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(1);
  });

  it('names default to the callback name', () => {
    const ctx = newContext();
    function flushQueue(): void {}
    expect(ctx.bhNew(flushQueue).name).toBe('flushQueue');
    expect(ctx.bhNew(() => {}, 'x').name).toBe('x');
  });

  it('WrongThreadError carries its code', () => {
    const e = new WrongThreadError('poll');
    expect(e.code).toBe('LOOP_ERR_WRONG_THREAD');
    expect(e.qmpClass).toBe('GenericError');
  });
});
