// Writing another thread's eventfd without ever writing a reused fd number
// (internal/fd-guard.ts, used by notifiers, ring doorbells and contexts).
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { EventNotifier } from '../src/index.js';
import { closeAfterWriters } from '../src/internal/fd-guard.js';

const CLOSED = 0;
const WRITERS = 1;

/** A worker that enters the writers' bracket of `words`, stays `ms`, and leaves. */
async function writerInBracket(words: Int32Array, ms: number): Promise<Worker> {
  const w = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const a = new Int32Array(workerData.sab);
     Atomics.add(a, 1, 1);
     parentPort.postMessage('in');
     const until = Date.now() + workerData.ms;
     while (Date.now() < until);
     Atomics.sub(a, 1, 1);`,
    { eval: true, workerData: { sab: words.buffer, ms } },
  );
  await once(w, 'message');
  return w;
}

describe('fd guard', () => {
  it('close waits for a writer between its check and its write, then no write happens', async () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    const w = await writerInBracket(words, 60);
    const t0 = Date.now();
    expect(closeAfterWriters(words, CLOSED, WRITERS)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(Atomics.load(words, WRITERS)).toBe(0);
    expect(closeAfterWriters(words, CLOSED, WRITERS)).toBe(false); // once
    await once(w, 'exit');
  });

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
    const w = await writerInBracket(new Int32Array(shared.state), 60);
    const t0 = Date.now();
    e.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(EventNotifier.from(shared).set()).toBe(false);
    await once(w, 'exit');
  });
});
