// ContextHandle and remote BHs: cross-thread scheduling through shared memory.
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { ContextHandle, EventNotifier, nativeCounters, scheduleRemoteBh } from '../src/index.js';
import { CALL_CHANNELS } from '../src/call.js';
import { newContext, pollUntil } from './support/context.js';

const workerUrl = new URL('./fixtures/worker.mjs', import.meta.url);

describe('ContextHandle', () => {
  it('is plain data: survives structured clone and is rebuilt by from()', () => {
    const ctx = newContext();
    const h = ctx.handle();
    expect(ctx.handle()).toBe(h);
    const copy = ContextHandle.from(structuredClone(h));
    expect(copy).toBeInstanceOf(ContextHandle);
    expect(copy.notifierFd).toBe(ctx.notifierFd);
    // Shared memory, not a copy: a write through one view shows in the other.
    new Int32Array(copy.control)[7] = 42;
    expect(new Int32Array(h.control)[7]).toBe(42);
    new Int32Array(copy.control)[7] = 0;
    expect(copy.destroyed).toBe(false);
    ctx.destroy();
    expect(copy.destroyed).toBe(true);
    expect(copy.notify()).toBe(false);
    expect(() => ContextHandle.from({} as never)).toThrow(TypeError);
  });

  it('readStats() shows the counters of the last completed iteration', () => {
    const ctx = newContext();
    const h = ContextHandle.from(structuredClone(ctx.handle()));
    ctx.bhScheduleOneshot(() => {});
    ctx.poll(false);
    expect(h.readStats()).toEqual(ctx.stats);
    expect(h.readStats().bhsDispatched).toBe(1);
    expect(h.readStats().iterations).toBe(1);
  });

  it('notify() from a handle writes no eventfd while the context is awake', () => {
    const ctx = newContext();
    const h = ctx.handle();
    const writes = nativeCounters().eventfdWrites;
    expect(h.notify()).toBe(false);
    expect(h.notify()).toBe(false);
    expect(nativeCounters().eventfdWrites).toBe(writes);
    // ... but the notification is not lost: the next blocking poll does not sleep.
    expect(ctx.poll(true)).toBe(false);
  });

  it('remote BHs: coalesce, run on the home thread, not after delete', () => {
    const ctx = newContext();
    let n = 0;
    const rbh = ctx.remoteBhNew(() => n++);
    scheduleRemoteBh(rbh.token);
    scheduleRemoteBh(structuredClone(rbh.token));
    expect(n).toBe(0);
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(1);
    expect(ctx.poll(false)).toBe(false);
    scheduleRemoteBh(rbh.token);
    rbh.delete();
    rbh.delete();
    expect(ctx.poll(false)).toBe(false);
    expect(n).toBe(1);
    // The slot is reused by the next remote BH.
    const again = ctx.remoteBhNew(() => {});
    expect(again.token.index).toBe(rbh.token.index);
    // Scheduling after the context is destroyed does nothing.
    ctx.destroy();
    scheduleRemoteBh(again.token);
  });

  it('rebuilds a remote BH token from the handle and the index', () => {
    const ctx = newContext();
    let n = 0;
    const rbh = ctx.remoteBhNew(() => n++);
    const token = ctx.handle().remoteBhToken(rbh.token.index);
    expect(token).toEqual(rbh.token);
    scheduleRemoteBh(token);
    expect(ctx.poll(false)).toBe(true);
    expect(n).toBe(1);
    expect(() => ctx.handle().remoteBhToken(-1)).toThrow(TypeError);
    rbh.delete();
  });

  it('N threads x M remote schedules: the BH runs at least once after each thread’s last schedule, no MessagePort message', async () => {
    const N = 3;
    const M = 10_000;
    const ctx = newContext();
    const seq = new SharedArrayBuffer(4 * 2 * N);
    const seqs = new Int32Array(seq);
    let runs = 0;
    let sawFinal = false;
    const rbh = ctx.remoteBhNew(() => {
      runs++;
      let final = true;
      // Each worker stores M just before its last schedule, so a run that
      // sees M everywhere ran after every thread's last schedule.
      for (let i = 0; i < N; i++) if (Atomics.load(seqs, i) !== M) final = false;
      if (final) sawFinal = true;
    });
    const workers = Array.from({ length: N }, (_, index) => {
      const w = new Worker(workerUrl, {
        workerData: { scenario: 'remote-bh', token: rbh.token, handle: ctx.handle(), seq, index, m: M, doneBase: N },
      });
      return { w, result: once(w, 'message'), exit: once(w, 'exit') };
    });
    // Block in the home thread until every worker is done and a run saw it.
    pollUntil(ctx, () => sawFinal);
    const results = (await Promise.all(workers.map((x) => x.result))).map(([m]) => m as { posted: number });
    for (const r of results) expect(r.posted).toBe(0);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(N * M);
    await Promise.all(workers.map((x) => x.exit));
  });
});

describe('ContextHandle.call', () => {
  const callee = new URL('./fixtures/callee.mjs', import.meta.url).href;

  it('runs an export in the home thread and resolves with its result (same thread)', async () => {
    const ctx = newContext();
    ctx.attach();
    const h = ctx.handle();
    expect(await h.call(callee, 'double', 21)).toBe(42);
    expect(await h.call(callee, 'later', 5)).toEqual({ x: 5, threadId: 0 });
    ctx.detach();
  });

  it('errors keep name, message, stack and code; a missing export is an error too', async () => {
    const ctx = newContext();
    ctx.attach();
    const h = ctx.handle();
    const err = (await h.call(callee, 'fail', 'boom').catch((e: unknown) => e)) as Error & { code?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('boom');
    expect(err.code).toBe('E_CALLEE');
    expect(err.stack).toContain('callee.mjs');
    const missing = (await h.call(callee, 'nope').catch((e: unknown) => e)) as Error & { code?: string };
    expect(missing.code).toBe('LOOP_ERR_NO_EXPORT');
    expect(missing.message).toBe(`${callee} has no exported function 'nope'`);
    const unclonable = await h.call(callee, 'double', () => 1).catch((e: unknown) => e);
    expect(unclonable).toBeInstanceOf(Error);
    ctx.detach();
    ctx.destroy();
    const gone = (await h.call(callee, 'double', 1).catch((e: unknown) => e)) as { code?: string };
    expect(gone.code).toBe('LOOP_ERR_DESTROYED');
  });

  it('a worker makes 10k calls into the main thread with no MessagePort message; main calls back into the worker', async () => {
    const ctx = newContext();
    ctx.attach();
    const calleeModule = (await import(callee)) as { calls: number };
    const before = calleeModule.calls;
    const M = 10_000;
    const w = new Worker(workerUrl, { workerData: { scenario: 'call-main', handle: ctx.handle(), callee, m: M } });
    const exited = once(w, 'exit');
    const [msg] = (await once(w, 'message')) as [
      { posted: number; sum: number; failed: { message: string; code: string; stack: string }; remote: number; handle: unknown },
    ];
    expect(msg.posted).toBe(0);
    expect(msg.sum).toBe((M * (M - 1)) / 2 * 2);
    expect(calleeModule.calls - before).toBe(M);
    expect(msg.failed.message).toBe('from main');
    expect(msg.failed.code).toBe('E_CALLEE');
    expect(msg.remote).toBe(0); // it ran in the main thread
    const workerHandle = ContextHandle.from(msg.handle as never);
    expect(await workerHandle.call(callee, 'whereAmI')).toBe(w.threadId);
    expect(await workerHandle.call(callee, 'double', 4)).toBe(8);
    w.postMessage('stop');
    await exited;
    ctx.detach();
    // 10k round trips, each two cross-thread wakes: about 1 s on a quiet
    // 2-vCPU machine, several under a loaded parallel test run.
  }, 30_000);
});

describe('ContextHandle.call, N threads x M calls', () => {
  const callee = new URL('./fixtures/callee.mjs', import.meta.url).href;

  it('3 threads x 2000 calls: each call runs exactly once and gets its own result', async () => {
    const ctx = newContext();
    ctx.attach();
    const calleeModule = (await import(callee)) as { calls: number };
    const before = calleeModule.calls;
    const N = 3;
    const M = 2000;
    const workers = Array.from({ length: N }, () => {
      const w = new Worker(workerUrl, { workerData: { scenario: 'call-main', handle: ctx.handle(), callee, m: M } });
      return { w, exited: once(w, 'exit'), msg: once(w, 'message') };
    });
    for (const { w, msg } of workers) {
      const [m] = (await msg) as [{ posted: number; sum: number }];
      expect(m.posted).toBe(0);
      expect(m.sum).toBe(M * (M - 1));
      w.postMessage('stop');
    }
    await Promise.all(workers.map((x) => x.exited));
    expect(calleeModule.calls - before).toBe(N * M);
    ctx.detach();
  }, 30_000);
});

describe('ContextHandle.call: channels and threads that go away', () => {
  const callee = new URL('./fixtures/callee.mjs', import.meta.url).href;

  /** Starts `n` workers that each call in 20 times and then hold their channel until stopped. */
  async function callers(ctx: ReturnType<typeof newContext>, n: number): Promise<number[]> {
    const ws = Array.from({ length: n }, () => {
      const w = new Worker(workerUrl, { workerData: { scenario: 'call-main', handle: ctx.handle(), callee, m: 20 } });
      return { w, exited: once(w, 'exit'), msg: once(w, 'message') };
    });
    const sums: number[] = [];
    for (const { msg } of ws) sums.push(((await msg) as [{ sum: number }])[0].sum);
    for (const { w } of ws) w.postMessage('stop');
    await Promise.all(ws.map((x) => x.exited));
    return sums;
  }

  it(`a thread's channel is given back when it exits: more than ${CALL_CHANNELS} threads over time call into one context`, async () => {
    const ctx = newContext();
    ctx.attach();
    for (let round = 0; round < 3; round++) {
      // All channels at once, three times: each round needs the previous round's back.
      expect(await callers(ctx, CALL_CHANNELS)).toEqual(Array(CALL_CHANNELS).fill(20 * 19));
    }
    ctx.detach();
  }, 60_000);

  it('a caller terminated with calls in flight: its channel comes back and the late replies are written to no fd', async () => {
    const ctx = newContext();
    ctx.attach();
    const w = new Worker(workerUrl, { workerData: { scenario: 'call-then-hang', handle: ctx.handle(), callee, ms: 150 } });
    await once(w, 'message');
    await new Promise((r) => setTimeout(r, 20)); // the calls start here
    await w.terminate();
    // Take the fd numbers the worker freed (its reply eventfd among them):
    // a reply signalled to the dead caller's fd number would land in one.
    const fds = Array.from({ length: 16 }, () => new EventNotifier());
    await new Promise((r) => setTimeout(r, 300)); // the slow calls finish and reply
    expect(fds.filter((e) => e.testAndClear())).toHaveLength(0);
    for (const e of fds) e.close();
    expect(await callers(ctx, CALL_CHANNELS)).toEqual(Array(CALL_CHANNELS).fill(20 * 19));
    ctx.detach();
  }, 30_000);

  it('a caller terminated while it holds the request-queue lock does not block the other callers', async () => {
    const ctx = newContext();
    ctx.attach();
    const w = new Worker(workerUrl, { workerData: { scenario: 'call-hold-inbox-lock', handle: ctx.handle(), callee } });
    await once(w, 'message');
    await w.terminate();
    expect(await callers(ctx, 2)).toEqual([20 * 19, 20 * 19]);
    ctx.detach();
  }, 30_000);

  it('replies larger than the channel ring, to a caller that does not read for a while, all arrive', async () => {
    // 48 replies of 8 KiB against a 128 KiB ring: the home thread holds most
    // back and must be woken when the caller has made room.
    const ctx = newContext();
    ctx.attach();
    const w = new Worker(workerUrl, {
      workerData: { scenario: 'call-big-replies', handle: ctx.handle(), callee, n: 48, size: 8192, busyMs: 300 },
    });
    const exited = once(w, 'exit');
    const [msg] = (await once(w, 'message')) as [{ lengths: number[] }];
    expect(msg.lengths).toEqual(Array(48).fill(8192));
    await exited;
    ctx.detach();
  }, 30_000);

  it("a caller that stops reading holds up nobody else's replies; after it is terminated its channel serves the next thread", async () => {
    const ctx = newContext();
    ctx.attach();
    const h = ctx.handle();
    // 20 replies of 8 KB: more than the caller's 128 KiB channel, which it never reads.
    const a = new Worker(workerUrl, { workerData: { scenario: 'call-then-block', handle: h, callee, n: 20, size: 8000 } });
    await once(a, 'message');
    await new Promise((r) => setTimeout(r, 100));
    expect(await h.call(callee, 'double', 21)).toBe(42); // this thread now holds a channel too
    await a.terminate();
    expect(await callers(ctx, CALL_CHANNELS - 1)).toEqual(Array(CALL_CHANNELS - 1).fill(20 * 19));
    ctx.detach();
  }, 30_000);

  it('a reply too large for the reply channel rejects with LOOP_ERR_CALL_TOO_LARGE; later replies still arrive', async () => {
    const ctx = newContext();
    ctx.attach();
    const h = ctx.handle();
    expect(await h.call(callee, 'bytes', 100_000)).toHaveLength(100_000);
    await expect(h.call(callee, 'bytes', 140_000)).rejects.toMatchObject({
      code: 'LOOP_ERR_CALL_TOO_LARGE',
      message: expect.stringMatching(/^a call reply of \d+ bytes exceeds the 131072-byte reply channel$/),
    });
    expect(await h.call(callee, 'double', 2)).toBe(4);
    ctx.detach();
  });

  it('copies of one handle (one per message) share the thread\'s channel', async () => {
    const ctx = newContext();
    ctx.attach();
    const w = new Worker(workerUrl, { workerData: { scenario: 'call-copies' } });
    await once(w, 'message');
    for (let i = 1; i <= CALL_CHANNELS + 4; i++) {
      w.postMessage({ handle: ctx.handle(), callee, i });
      expect((await once(w, 'message'))[0]).toBe(2 * i);
    }
    w.postMessage('stop');
    await once(w, 'exit');
    ctx.detach();
  }, 30_000);

  it('a context whose thread ends without destroy(): it reads as destroyed, notify() writes nothing, calls reject', async () => {
    const w = new Worker(workerUrl, { workerData: { scenario: 'home-context' } });
    const [{ handle, notifierFd }] = (await once(w, 'message')) as [{ handle: unknown; notifierFd: number }];
    const h = ContextHandle.from(handle as never);
    await w.terminate();
    expect(h.destroyed).toBe(true);
    // Its notifier's fd number is free again: take it, and check nothing lands there.
    const fds = Array.from({ length: 16 }, () => new EventNotifier());
    expect(fds.some((e) => e.fd === notifierFd)).toBe(true);
    expect(h.notify()).toBe(false);
    await expect(h.call(callee, 'double', 1)).rejects.toMatchObject({ code: 'LOOP_ERR_DESTROYED' });
    expect(fds.filter((e) => e.testAndClear())).toHaveLength(0);
    for (const e of fds) e.close();
  }, 30_000);

  it('destroy() rejects the calls still queued for the context', async () => {
    const ctx = newContext();
    ctx.attach();
    const p = ctx.handle().call(callee, 'double', 1);
    ctx.destroy();
    await expect(p).rejects.toMatchObject({ code: 'LOOP_ERR_DESTROYED' });
  });

  it('a call still running when its context is destroyed: the caller gets LOOP_ERR_DESTROYED and the late result is written to no fd', async () => {
    const ctx = newContext();
    ctx.attach();
    const w = new Worker(workerUrl, { workerData: { scenario: 'call-slow-then-exit', handle: ctx.handle(), callee, ms: 300 } });
    await once(w, 'message');
    await new Promise((r) => setTimeout(r, 50)); // the call runs here now
    ctx.destroy();
    expect((await once(w, 'message'))[0]).toBe('LOOP_ERR_DESTROYED');
    await once(w, 'exit'); // its reply eventfd is closed; take the freed numbers
    const fds = Array.from({ length: 16 }, () => new EventNotifier());
    await new Promise((r) => setTimeout(r, 400)); // the slow call finishes
    expect(fds.filter((e) => e.testAndClear())).toHaveLength(0);
    for (const e of fds) e.close();
  }, 30_000); // a worker start and 0.75 s of waits: several seconds on a loaded machine

  it('a first call racing destroy() always settles', async () => {
    const go = new Int32Array(new SharedArrayBuffer(8));
    const w = new Worker(workerUrl, { workerData: { scenario: 'call-racing-destroy', go: go.buffer, callee } });
    const seen: Record<string, number> = { resolved: 0, rejected: 0, hung: 0 };
    for (let i = 0; i < 60; i++) {
      const ctx = newContext();
      Atomics.store(go, 0, 0);
      w.postMessage({ handle: ctx.handle(), i });
      while (Atomics.load(go, 1) !== i + 1);
      Atomics.store(go, 0, 1);
      const until = performance.now() + (i % 30) / 1000; // 0-29 µs
      while (performance.now() < until);
      ctx.destroy();
      seen[(await once(w, 'message'))[0] as string]!++;
    }
    w.postMessage({});
    await once(w, 'exit');
    expect(seen.hung).toBe(0);
    expect(seen.resolved + seen.rejected).toBe(60);
  }, 60_000);
});
