// Writing another thread's eventfd without ever writing a reused fd number
// (internal/fd-guard.ts, used by notifiers, ring doorbells and contexts).
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { EventNotifier } from '../src/index.js';
import { closeAfterWriters } from '../src/internal/fd-guard.js';

const CLOSED = 0;
const WRITERS = 1;

/**
 * A worker that enters the writers' bracket of `words`, says so, waits for
 * `go` (set just before the close under test), stays `ms` more, and leaves.
 * Timed from `go`, so a slow message or start does not shorten the wait.
 */
async function writerInBracket(words: Int32Array, go: Int32Array, ms: number): Promise<Worker> {
  const w = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const a = new Int32Array(workerData.sab);
     const go = new Int32Array(workerData.go);
     Atomics.add(a, 1, 1);
     parentPort.postMessage('in');
     while (Atomics.load(go, 0) === 0);
     const until = Date.now() + workerData.ms;
     while (Date.now() < until);
     Atomics.sub(a, 1, 1);`,
    { eval: true, workerData: { sab: words.buffer, go: go.buffer, ms } },
  );
  await once(w, 'message');
  return w;
}

describe('fd guard', () => {
  it('close waits for a writer between its check and its write, then no write happens', async () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    const go = new Int32Array(new SharedArrayBuffer(4));
    const w = await writerInBracket(words, go, 60);
    Atomics.store(go, 0, 1);
    const t0 = Date.now();
    expect(closeAfterWriters(words, CLOSED, WRITERS)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(closeAfterWriters(words, CLOSED, WRITERS)).toBe(false); // once
    await once(w, 'exit');
  }, 30_000);

  it('a writer that never leaves (terminated inside) holds close for at most 100 ms', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    Atomics.store(words, WRITERS, 1);
    const t0 = Date.now();
    expect(closeAfterWriters(words, CLOSED, WRITERS)).toBe(true);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(1000);
  });

  it('EventNotifier.close() waits for a set() in progress on a shared copy', async () => {
    const e = new EventNotifier();
    const shared = e.share();
    const go = new Int32Array(new SharedArrayBuffer(4));
    const w = await writerInBracket(new Int32Array(shared.state), go, 60);
    Atomics.store(go, 0, 1);
    const t0 = Date.now();
    e.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(EventNotifier.from(shared).set()).toBe(false);
    await once(w, 'exit');
  }, 30_000);
});
