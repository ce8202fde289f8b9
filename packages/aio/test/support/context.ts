// Shared helpers: contexts created through `track()` are destroyed after each
// test, and a test fails if a context it made is left attached.
import { mkdtempSync, openSync, closeSync, readSync, rmSync, writeSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { AioContext, ClockType, Scale, clockGetNs, type AioContextOptions } from '../../src/index.js';

const live = new Set<AioContext>();

export function newContext(options?: AioContextOptions): AioContext {
  const ctx = new AioContext(options);
  live.add(ctx);
  return ctx;
}

afterEach(() => {
  for (const ctx of live) ctx.destroy();
  live.clear();
});

/** A FIFO opened non-blocking at both ends (a real pipe, from mkfifo). */
export interface Pipe {
  readonly r: number;
  readonly w: number;
  write(data?: string): void;
  /** Reads what is there; returns '' when empty. */
  drain(): string;
  close(): void;
}

export function makePipe(): Pipe {
  const dir = mkdtempSync(join(tmpdir(), 'loop-aio-'));
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const r = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const w = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  rmSync(dir, { recursive: true, force: true });
  const buf = Buffer.alloc(65536);
  let closed = false;
  return {
    r,
    w,
    write(data = 'x') {
      writeSync(w, data);
    },
    drain() {
      let s = '';
      for (;;) {
        try {
          const n = readSync(r, buf, 0, buf.length, null);
          if (n <= 0) return s;
          s += buf.toString('utf8', 0, n);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return s;
          throw e;
        }
      }
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(r);
      closeSync(w);
    },
  };
}

/**
 * Blocks in ctx.poll(true) until `done()` holds, but never for good: a guard
 * timer wakes the context every 50 ms, and after `limitMs` it throws, so a
 * lost wake-up fails the test instead of hanging the run.
 */
export function pollUntil(ctx: AioContext, done: () => boolean, limitMs = 10_000): void {
  const deadline = clockGetNs(ClockType.REALTIME) + limitMs * 1e6;
  const guard = ctx.timerNew(ClockType.REALTIME, Scale.MS, () => {});
  try {
    while (!done()) {
      const now = clockGetNs(ClockType.REALTIME);
      if (now > deadline) throw new Error(`pollUntil: condition not met within ${limitMs} ms`);
      if (!guard.pending) guard.modNs(now + 50e6);
      ctx.poll(true);
    }
  } finally {
    guard.del();
  }
}
