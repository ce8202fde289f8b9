// Driven mode (the IOThread loop): a native loop in a uv_prepare callback.
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { EventNotifier, scheduleRemoteBh, type RemoteBhToken, type SharedEventNotifier } from '../src/index.js';
import { newContext, pollUntil } from './support/context.js';

const workerUrl = new URL('./fixtures/worker.mjs', import.meta.url);

interface Ready {
  notifier: SharedEventNotifier;
  stop: RemoteBhToken;
}

describe('driven mode', () => {
  it('async handlers awaiting promises, fs and Node timers finish; the loop blocks natively; a remote BH stops it', async () => {
    const w = new Worker(workerUrl, { workerData: { scenario: 'driven' } });
    const exited = once(w, 'exit');
    const [ready] = (await once(w, 'message')) as [Ready];
    const result = once(w, 'message');
    // Let it block first, then kick it from this thread.
    await new Promise((r) => setTimeout(r, 10));
    EventNotifier.from(ready.notifier).set();
    const [msg] = (await result) as [
      { log: string[]; current: boolean; driven: boolean; counters: Record<string, number> },
    ];
    expect(msg.log).toEqual(['read', 'microtask', 'fs', 'timer', 'bh-chain', 'aio-timer']);
    expect(msg.current).toBe(true);
    expect(msg.driven).toBe(true);
    // The addon's own counters: it waited inside the native loop and
    // dispatched from there, with no uv_poll involved.
    expect(msg.counters.driveWaits).toBeGreaterThan(0);
    expect(msg.counters.driveBatches).toBeGreaterThan(0);
    expect(msg.counters.drivesActive).toBe(1);
    expect(msg.counters.pollCallbacks).toBe(0);
    scheduleRemoteBh(ready.stop);
    expect(await exited).toEqual([0]);
  });

  it("timers of a driven context wake ahead by default ('auto'): never early, later by less than with spinNs 0", async () => {
    const w = new Worker(workerUrl, { workerData: { scenario: 'driven-timer-wake-ahead' } });
    const exited = once(w, 'exit');
    const [msg] = (await once(w, 'message')) as [{ late: { 0: number[]; auto: number[] }; wakeAheadNs: number }];
    await exited;
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    expect(msg.late[0]).toHaveLength(40);
    expect(msg.late.auto).toHaveLength(40);
    expect(Math.min(...msg.late[0], ...msg.late.auto)).toBeGreaterThanOrEqual(0);
    expect(msg.wakeAheadNs).toBeGreaterThan(0);
    // Where wake-ups are slow enough to learn from (see the attached-mode test).
    if (msg.wakeAheadNs > 20_000) expect(med(msg.late.auto)).toBeLessThan(med(msg.late[0]));
  }, 30_000);

  // Both scenarios first grow the context's polling time past 12 ms (every
  // handler can poll; waits of 10 ms under a 1 s poll-max-ns), then time one
  // thing that must not wait for a polling window.
  async function afterLongPolling(scenario: string): Promise<{ ms: number; pollNs: number }> {
    const w = new Worker(workerUrl, { workerData: { scenario } });
    const exited = once(w, 'exit');
    const [msg] = (await once(w, 'message')) as [{ ms: number; pollNs: number }];
    await exited;
    expect(msg.pollNs).toBeGreaterThan(12e6);
    return msg;
  }

  it('a timer armed outside the dispatch (a Node timer callback) returns at once, whatever the polling time', async () => {
    // Before the fix, mod() busy-polled until the timer's 12 ms deadline.
    expect((await afterLongPolling('driven-mod-outside-dispatch')).ms).toBeLessThan(4);
  }, 30_000);

  it('microtasks queued by a handler run before the busy-poll phase, not after it', async () => {
    // Nothing else arrives: a poll phase run before the microtasks would last its whole window.
    expect((await afterLongPolling('driven-microtask-while-polling')).ms).toBeLessThan(4);
  }, 30_000);

  it('terminate() stops a worker blocked in its driven loop', async () => {
    const w = new Worker(workerUrl, { workerData: { scenario: 'driven' } });
    const exited = once(w, 'exit');
    await once(w, 'message');
    await new Promise((r) => setTimeout(r, 10));
    await w.terminate();
    await exited;
  });

  for (const pollMaxNs of [0, 32768]) {
    it(`2000 remote-BH round trips with a driven worker, poll-max-ns ${pollMaxNs}: none lost`, async () => {
      const ctx = newContext();
      if (pollMaxNs) ctx.setPollParams({ maxNs: pollMaxNs });
      let pongs = 0;
      const pong = ctx.remoteBhNew(() => pongs++);
      const w = new Worker(workerUrl, { workerData: { scenario: 'pingpong', pong: pong.token, pollMaxNs } });
      const exited = once(w, 'exit');
      const [{ ping, quit }] = (await once(w, 'message')) as [{ ping: RemoteBhToken; quit: RemoteBhToken }];
      for (let i = 1; i <= 2000; i++) {
        scheduleRemoteBh(ping);
        pollUntil(ctx, () => pongs >= i);
      }
      const result = once(w, 'message');
      scheduleRemoteBh(quit);
      const [{ stats }] = (await result) as [{ stats: { bhsDispatched: number; pollHits: number; pollMisses: number } }];
      expect(pongs).toBe(2000);
      expect(stats.bhsDispatched).toBeGreaterThanOrEqual(2000);
      if (!pollMaxNs) expect(stats.pollHits + stats.pollMisses).toBe(0);
      await exited;
    });
  }
});
