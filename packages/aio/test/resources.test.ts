// Resources: contexts give back every fd and thread they took, and a worker
// terminated with handles open neither leaks nor aborts the process.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { AioContext, ClockType, EventNotifier, Scale, nativeCounters, virtualClock } from '../src/index.js';

const workerUrl = new URL('./fixtures/worker.mjs', import.meta.url);
const fdCount = (): number => readdirSync('/proc/self/fd').length;
const taskCount = (): number => readdirSync('/proc/self/task').length;

function softFdLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const v = Number(line?.split(/\s+/)[3]);
  return Number.isFinite(v) ? v : 1024;
}

function startWorker(workerData: Record<string, unknown>): {
  worker: Worker;
  ready: Promise<unknown>;
  exited: Promise<unknown>;
} {
  const worker = new Worker(workerUrl, { workerData });
  const exited = once(worker, 'exit');
  const ready = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, ready, exited };
}

describe('resources', () => {
  it('1000 contexts each dispatching a BH, a timer and an fd event give back every fd and thread', () => {
    virtualClock.pause();
    virtualClock.set(0);
    const fds0 = fdCount();
    const tasks0 = taskCount();
    // Keep as many alive at once as the fd limit allows (all 1000 on this machine kind).
    const batch = Math.min(1000, Math.floor((softFdLimit() - fds0 - 64) / 4));
    let done = 0;
    let peakFds = 0;
    while (done < 1000) {
      const n = Math.min(batch, 1000 - done);
      const live: Array<{ ctx: AioContext; e: EventNotifier; hits: number[] }> = [];
      for (let i = 0; i < n; i++) {
        const ctx = new AioContext();
        const e = new EventNotifier();
        const hits = [0, 0, 0];
        ctx.bhScheduleOneshot(() => hits[0]!++);
        ctx.timerNew(ClockType.VIRTUAL, Scale.NS, () => hits[1]!++).modNs(10);
        ctx.setEventNotifier(e, { read: (x) => (hits[2]!++, x.testAndClear()) });
        e.set();
        live.push({ ctx, e, hits });
      }
      peakFds = Math.max(peakFds, fdCount());
      virtualClock.advance(10);
      for (const { ctx, hits } of live) {
        while (hits[0] === 0 || hits[1] === 0 || hits[2] === 0) ctx.poll(true);
        expect(hits).toEqual([1, 1, 1]);
      }
      for (const { ctx, e } of live) {
        ctx.destroy();
        e.close();
      }
      done += n;
    }
    // 4 fds per live context: epoll set, notifier, timerfd, the user's eventfd.
    expect(peakFds).toBeGreaterThanOrEqual(fds0 + 4 * batch);
    expect(fdCount()).toBe(fds0);
    expect(taskCount()).toBe(tasks0);
  });

  it('a worker terminated with an armed fd handler, a timer and an attached context: process survives, fds closed', async () => {
    const fds0 = fdCount();
    const { worker, ready } = startWorker({ scenario: 'armed-fd-handler' });
    const msg = (await ready) as { tid: number; counters: { fdsOpen: number; pollsActive: number } };
    expect(msg.counters.fdsOpen).toBe(4);
    expect(msg.counters.pollsActive).toBe(1);
    expect(readdirSync('/proc/self/task').map(Number)).toContain(msg.tid);
    expect(fdCount()).toBeGreaterThanOrEqual(fds0 + 4);
    const code = await worker.terminate();
    expect(code).toBe(1);
    // The worker's loop and its fds are gone once terminate() settles.
    expect(fdCount()).toBe(fds0);
  });

  it('terminate() interrupts a worker blocked in poll(true)', async () => {
    const { worker, ready, exited } = startWorker({ scenario: 'blocked-poll' });
    await ready;
    // Give it time to enter epoll_wait; then it must still be stoppable.
    await new Promise((r) => setTimeout(r, 20));
    await worker.terminate();
    await exited;
  });

  it('advancing the VIRTUAL clock in one thread wakes a context blocked in another', async () => {
    virtualClock.pause();
    virtualClock.set(0);
    const { worker, ready, exited } = startWorker({ scenario: 'virtual-clock', expireNs: 1_000 });
    await ready;
    const result = once(worker, 'message');
    await new Promise((r) => setTimeout(r, 10));
    virtualClock.advance(1_000);
    const [msg] = (await result) as [{ fired: number }];
    expect(msg.fired).toBe(1);
    await exited;
  });

  it('an EventNotifier shared with a worker wakes its blocked context', async () => {
    const n = new EventNotifier();
    const { worker, ready, exited } = startWorker({ scenario: 'notify-wakes', notifier: n.share() });
    await ready;
    const result = once(worker, 'message');
    n.set();
    const [msg] = (await result) as [{ reads: number }];
    expect(msg.reads).toBe(1);
    await exited;
    n.close();
    expect(n.set()).toBe(false);
  });

  it('the addon loads in a worker with its own instance data', async () => {
    const { worker, ready } = startWorker({ scenario: 'armed-fd-handler' });
    const msg = (await ready) as { counters: { instanceId: number } };
    expect(msg.counters.instanceId).not.toBe(nativeCounters().instanceId);
    await worker.terminate();
  });

  it('importing on a platform without epoll fails naming the platform and what is missing', () => {
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script =
      `Object.defineProperty(process, 'platform', { value: 'darwin' });` +
      `import(${JSON.stringify(dist)}).then(() => console.log('loaded'), (e) => console.log(e.code + ': ' + e.message));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.trim()).toBe(
      "LOOP_ERR_NO_NATIVE: @loop/aio needs Linux: epoll, eventfd and timerfd are not available on platform 'darwin'",
    );
  });

  for (const how of ['exit', 'unref'] as const) {
    it(`the process ends (${how === 'exit' ? 'process.exit()' : 'natural end, workers unref()d'}) while workers block in poll(true) and in a driven loop`, () => {
      const script = new URL('./fixtures/exit-with-blocked-workers.mjs', import.meta.url);
      const t0 = Date.now();
      execFileSync(process.execPath, [script.pathname, how], { encoding: 'utf8', timeout: 20_000 });
      // Not a timing assertion: a hang would have hit the 20 s timeout above.
      expect(Date.now() - t0).toBeLessThan(20_000);
    });
  }
});
