// fd handlers (reference-semantics.md section 1.5) on real pipes and eventfds.
import { describe, expect, it } from 'vitest';
import { openSync, closeSync } from 'node:fs';
import { EventNotifier, SystemCallError, InvalidParameterError } from '../src/index.js';
import { makePipe, newContext } from './support/context.js';

describe('fd handlers', () => {
  it('read on a pipe, level-triggered until drained', () => {
    const ctx = newContext();
    const p = makePipe();
    let reads = 0;
    ctx.setFdHandler(p.r, { read: () => reads++ });
    expect(ctx.poll(false)).toBe(false);
    p.write('hello');
    expect(ctx.poll(false)).toBe(true);
    expect(ctx.poll(false)).toBe(true); // not drained: called again
    expect(reads).toBe(2);
    expect(p.drain()).toBe('hello');
    expect(ctx.poll(false)).toBe(false);
    expect(reads).toBe(2);
    ctx.setFdHandler(p.r, null);
    p.close();
  });

  it('a blocking poll sleeps until the pipe becomes readable', () => {
    const ctx = newContext();
    const p = makePipe();
    let got = '';
    ctx.setFdHandler(p.r, { read: () => (got += p.drain()) });
    ctx.poll(false);
    p.write('x');
    expect(ctx.poll(true)).toBe(true);
    expect(got).toBe('x');
    ctx.setFdHandler(p.r, null);
    p.close();
  });

  it('write handler fires on a writable pipe; read and write in one dispatch', () => {
    const ctx = newContext();
    const p = makePipe();
    const calls: string[] = [];
    ctx.setFdHandler(p.w, { write: () => calls.push('w') });
    expect(ctx.poll(false)).toBe(true);
    expect(calls).toEqual(['w']);
    ctx.setFdHandler(p.w, null);
    const e = new EventNotifier(true);
    ctx.setFdHandler(e.fd, { read: () => calls.push('r'), write: () => calls.push('w2') });
    ctx.poll(false);
    expect(calls.slice(1)).toEqual(['r', 'w2']);
    ctx.setFdHandler(e.fd, null);
    e.close();
    p.close();
  });

  it('a read callback that removes its handler suppresses the write callback', () => {
    const ctx = newContext();
    const e = new EventNotifier(true);
    const calls: string[] = [];
    ctx.setFdHandler(e.fd, {
      read: () => {
        calls.push('r');
        ctx.setFdHandler(e.fd, null);
      },
      write: () => calls.push('w'),
    });
    ctx.poll(false);
    expect(calls).toEqual(['r']);
    e.close();
  });

  it('removal during dispatch: a removed handler gets no further callbacks', () => {
    const ctx = newContext();
    const a = new EventNotifier(true);
    const b = new EventNotifier(true);
    const calls: string[] = [];
    // Whichever runs first removes the other; exactly one runs.
    ctx.setFdHandler(a.fd, { read: () => (calls.push('a'), a.testAndClear(), ctx.setFdHandler(b.fd, null)) });
    ctx.setFdHandler(b.fd, { read: () => (calls.push('b'), b.testAndClear(), ctx.setFdHandler(a.fd, null)) });
    expect(ctx.poll(false)).toBe(true);
    expect(calls.length).toBe(1);
    expect(ctx.poll(false)).toBe(false);
    expect(calls.length).toBe(1);
    a.close();
    b.close();
  });

  it('a poll nested in a read callback dispatches its own ready fds and leaves the outer ones to the outer poll', () => {
    // Each nesting depth has its own ready list (reused between calls): the
    // inner poll must neither drop nor repeat what the outer one collected.
    const ctx = newContext();
    const [a, b, c] = [new EventNotifier(true), new EventNotifier(true), new EventNotifier()];
    const calls: string[] = [];
    let nested = 0;
    const outerFirst = (self: EventNotifier, name: string) => () => {
      calls.push(name);
      self.testAndClear();
      if (nested++ === 0) {
        c.set();
        expect(ctx.poll(false)).toBe(true);
        calls.push(`${name}: nested done`);
      }
    };
    ctx.setFdHandler(a.fd, { read: outerFirst(a, 'a') });
    ctx.setFdHandler(b.fd, { read: outerFirst(b, 'b') });
    ctx.setFdHandler(c.fd, { read: () => (calls.push('c'), c.testAndClear()) });
    expect(ctx.poll(false)).toBe(true);
    // The outer poll saw a and b ready; whichever ran first nested a poll that
    // ran c (and not the other one, already in the outer list); the outer
    // poll then ran the other one, once.
    expect(calls).toHaveLength(4);
    expect(calls[1]).toBe('c');
    expect(calls[2]).toBe(`${calls[0]}: nested done`);
    expect(new Set([calls[0], calls[3]])).toEqual(new Set(['a', 'b']));
    expect(ctx.poll(false)).toBe(false);
    for (let i = 0; i < 100; i++) {
      a.set();
      expect(ctx.poll(false)).toBe(true);
    }
    expect(calls.filter((x) => x === 'a')).toHaveLength(101);
    for (const e of [a, b, c]) e.close();
  });

  it('replacing a handler from inside its callback takes effect at once', () => {
    const ctx = newContext();
    const e = new EventNotifier(true);
    const calls: string[] = [];
    ctx.setFdHandler(e.fd, {
      read: () => {
        calls.push('first');
        ctx.setFdHandler(e.fd, { read: () => (calls.push('second'), e.testAndClear()) });
      },
    });
    ctx.poll(false);
    ctx.poll(false);
    expect(calls).toEqual(['first', 'second']);
    expect(ctx.poll(false)).toBe(false);
    ctx.setFdHandler(e.fd, null);
    e.close();
  });

  it('adding a handler from inside another handler', () => {
    const ctx = newContext();
    const a = new EventNotifier(true);
    const b = new EventNotifier(true);
    let bRuns = 0;
    ctx.setFdHandler(a.fd, {
      read: () => {
        a.testAndClear();
        ctx.setFdHandler(b.fd, { read: () => (bRuns++, b.testAndClear()) });
      },
    });
    ctx.poll(false);
    ctx.poll(false);
    expect(bRuns).toBe(1);
    ctx.setFdHandler(a.fd, null);
    ctx.setFdHandler(b.fd, null);
    a.close();
    b.close();
  });

  it('hang-up is reported to the read callback', () => {
    const ctx = newContext();
    const p = makePipe();
    let reads = 0;
    ctx.setFdHandler(p.r, { read: () => reads++ });
    closeSync(p.w);
    expect(ctx.poll(false)).toBe(true);
    expect(reads).toBe(1);
    ctx.setFdHandler(p.r, null);
    closeSync(p.r);
  });

  it('a regular file is refused with a SystemCallError naming epoll_ctl', () => {
    const ctx = newContext();
    const fd = openSync('/proc/self/stat', 'r');
    try {
      ctx.setFdHandler(fd, { read: () => {} });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SystemCallError);
      expect((e as SystemCallError).code).toBe('LOOP_ERR_SYSCALL');
      expect((e as SystemCallError).message).toBe(`epoll_ctl failed: EPERM (fd ${fd})`);
    } finally {
      closeSync(fd);
    }
  });

  it("the context's own fds cannot be registered", () => {
    const ctx = newContext();
    expect(() => ctx.setFdHandler(ctx.notifierFd, { read: () => {} })).toThrow(InvalidParameterError);
  });

  it('poll without pollReady is ignored (the handler is removed if nothing else)', () => {
    const ctx = newContext();
    const e = new EventNotifier(true);
    let polled = 0;
    ctx.setFdHandler(e.fd, { poll: () => (polled++, true) });
    expect(ctx.poll(false)).toBe(false);
    expect(polled).toBe(0);
    e.close();
  });
});

describe('EventNotifier', () => {
  it('set twice before draining gives one read callback', () => {
    const ctx = newContext();
    const e = new EventNotifier();
    let n = 0;
    ctx.setEventNotifier(e, { read: (x) => (n++, x.testAndClear()) });
    e.set();
    e.set();
    ctx.poll(false);
    ctx.poll(false);
    expect(n).toBe(1);
    ctx.setEventNotifier(e, null);
    e.close();
  });

  it('after close, set() is a no-op on every copy', () => {
    const e = new EventNotifier(true);
    const copy = EventNotifier.from(e.share());
    expect(copy.fd).toBe(e.fd);
    expect(copy.testAndClear()).toBe(true);
    expect(copy.set()).toBe(true);
    expect(e.testAndClear()).toBe(true);
    e.close();
    e.close();
    expect(copy.closed).toBe(true);
    expect(copy.set()).toBe(false);
    expect(e.set()).toBe(false);
    expect(() => copy.close()).toThrow();
  });
});
