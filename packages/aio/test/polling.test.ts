// Adaptive polling (reference-semantics.md section 2), driven by the VIRTUAL
// clock: the poll callback and the wait advance it, so no test sleeps.
import { describe, expect, it } from 'vitest';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import fc from 'fast-check';
import { ClockType, EventNotifier, POLL_NS_INITIAL, adjustPollNs, virtualClock } from '../src/index.js';
import { newContext } from './support/context.js';

const IOTHREAD = { maxNs: 32768, grow: 0, shrink: 0 };

describe('adjustPollNs', () => {
  it('grows 0 → 4000 → 8000 → 16000 → 32000 → 32768 and drops to 0 on a long wait', () => {
    const seq = [0];
    let p = 0;
    for (let i = 0; i < 6; i++) {
      p = adjustPollNs(p, Math.min(p + 1, IOTHREAD.maxNs - 1), IOTHREAD);
      seq.push(p);
    }
    expect(seq).toEqual([0, 4000, 8000, 16000, 32000, 32768, 32768]);
    expect(adjustPollNs(32768, 32769, IOTHREAD)).toBe(0);
  });

  it('keeps the value when the event came within the window, or blockNs == maxNs', () => {
    expect(adjustPollNs(8000, 8000, IOTHREAD)).toBe(8000);
    expect(adjustPollNs(8000, 100, IOTHREAD)).toBe(8000);
    expect(adjustPollNs(8000, 32768, IOTHREAD)).toBe(8000);
  });

  it('uses poll-grow and poll-shrink', () => {
    const params = { maxNs: 100_000, grow: 3, shrink: 4 };
    expect(adjustPollNs(0, 1, params)).toBe(POLL_NS_INITIAL);
    expect(adjustPollNs(4000, 5000, params)).toBe(12000);
    expect(adjustPollNs(90_000, 95_000, params)).toBe(100_000);
    expect(adjustPollNs(100_000, 200_000, params)).toBe(25_000);
    expect(adjustPollNs(3, 200_000, params)).toBe(0);
  });

  it('property: the result stays in [0, maxNs] and only shrinks on waits longer than maxNs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 0, max: 2e6 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        (p0, block, maxNs, grow, shrink) => {
          const p = Math.min(p0, maxNs);
          const next = adjustPollNs(p, block, { maxNs, grow, shrink });
          expect(next).toBeGreaterThanOrEqual(0);
          expect(next).toBeLessThanOrEqual(maxNs);
          if (next < p) expect(block).toBeGreaterThan(maxNs);
        },
      ),
    );
  });
});

describe('adaptive polling in a context', () => {
  function setup(waitNs: { value: number }, step = 250) {
    virtualClock.pause();
    virtualClock.set(0);
    const ctx = newContext({
      pollClock: ClockType.VIRTUAL,
      beforeWait: (timeoutNs) => {
        if (timeoutNs !== 0) virtualClock.advance(waitNs.value);
      },
    });
    const e = new EventNotifier();
    let pollResult = false;
    const calls = { poll: 0, pollReady: 0, read: 0, begin: 0, end: 0 };
    ctx.setEventNotifier(e, {
      read: (n) => (calls.read++, n.testAndClear()),
      poll: () => {
        calls.poll++;
        virtualClock.advance(step);
        return pollResult;
      },
      pollReady: () => calls.pollReady++,
    });
    ctx.setEventNotifierPoll(
      e,
      () => calls.begin++,
      () => calls.end++,
    );
    ctx.setPollParams(IOTHREAD);
    ctx.poll(false); // take the registration notifications
    return { ctx, e, calls, setPollResult: (v: boolean) => (pollResult = v) };
  }

  it('grows and shrinks with the measured block time', () => {
    const wait = { value: 5000 };
    const { ctx, e, calls } = setup(wait);
    const seen: number[] = [];
    const events: string[] = [];
    const onGrow = (m: unknown) => events.push(`grow ${(m as { newNs: number }).newNs}`);
    const onShrink = (m: unknown) => events.push(`shrink ${(m as { newNs: number }).newNs}`);
    const onBegin = () => events.push('begin');
    subscribe('loop:aio:poll-grow', onGrow);
    subscribe('loop:aio:poll-shrink', onShrink);
    subscribe('loop:aio:poll-begin', onBegin);
    try {
      // First wait: p = 0, no busy-polling; the handler joins the poll list.
      e.set();
      expect(ctx.poll(true)).toBe(true);
      seen.push(ctx.stats.pollNs);
      wait.value = 0;
      // Then each iteration busy-polls p ns (plus one final poll of 250 ns)
      // before the wait, which returns at once (the notifier is set).
      for (let i = 0; i < 5; i++) {
        e.set();
        expect(ctx.poll(true)).toBe(true);
        seen.push(ctx.stats.pollNs);
      }
    } finally {
      unsubscribe('loop:aio:poll-grow', onGrow);
      unsubscribe('loop:aio:poll-shrink', onShrink);
      unsubscribe('loop:aio:poll-begin', onBegin);
    }
    expect(seen).toEqual([4000, 8000, 16000, 32000, 32768, 0]);
    expect(events.filter((x) => x !== 'begin')).toEqual([
      'grow 4000',
      'grow 8000',
      'grow 16000',
      'grow 32000',
      'grow 32768',
      'shrink 0',
    ]);
    expect(events.filter((x) => x === 'begin').length).toBe(5);
    expect(ctx.stats.pollMisses).toBe(5);
    expect(ctx.stats.pollHits).toBe(0);
    expect(calls.begin).toBe(5);
    expect(calls.end).toBe(5);
    expect(calls.read).toBe(6);
  });

  it('busy-polling needs every user handler to poll; a handler without poll disables it', () => {
    const wait = { value: 5000 };
    const { ctx, e, calls } = setup(wait);
    e.set();
    ctx.poll(true); // p: 0 -> 4000, handler joins the poll list
    expect(ctx.stats.pollNs).toBe(4000);
    const plain = new EventNotifier();
    ctx.setEventNotifier(plain, { read: (x) => x.testAndClear() });
    ctx.poll(false);
    const polls = calls.poll;
    e.set();
    ctx.poll(true);
    expect(calls.poll).toBe(polls); // no busy-polling happened
    ctx.setEventNotifier(plain, null);
    plain.close();
  });

  it('setPollParams resets the polling time; maxNs 0 stops polling and adjustment', () => {
    const wait = { value: 5000 };
    const { ctx, e } = setup(wait);
    e.set();
    ctx.poll(true);
    expect(ctx.stats.pollNs).toBe(4000);
    ctx.setPollParams({ maxNs: 0 });
    expect(ctx.stats.pollNs).toBe(0);
    e.set();
    ctx.poll(true);
    expect(ctx.stats.pollNs).toBe(0);
    expect(ctx.pollParams).toEqual({ maxNs: 0, grow: 0, shrink: 0 });
  });

  it('a hit ends the window early and dispatches pollReady; the notifier fd is left to a later wait', () => {
    const wait = { value: 5000 };
    const { ctx, e, calls, setPollResult } = setup(wait);
    e.set();
    ctx.poll(true); // p -> 4000; joins the poll list
    expect(ctx.stats.pollNs).toBe(4000);
    setPollResult(true);
    const waits = ctx.stats.blockingWaits;
    expect(ctx.poll(true)).toBe(true);
    expect(calls.pollReady).toBe(1);
    expect(ctx.stats.pollHits).toBe(1);
    // The hit made the timeout 0: no blocking wait happened, and 250 ns <= p keeps p.
    expect(ctx.stats.blockingWaits).toBe(waits);
    expect(ctx.stats.pollNs).toBe(4000);
  });
});

describe('a polling loop makes no garbage', () => {
  // A thread that spins on poll() (a polling IOThread, a caller waiting for
  // its answer) calls it some 10^5-10^6 times a second. Garbage per call
  // brings young-generation collections, and each pause (0.2-1 ms) is a wait
  // longer than poll-max-ns: QEMU's rule then drops poll_ns to 0.
  async function minorGcsDuring(run: () => void): Promise<number> {
    const { PerformanceObserver, constants } = await import('node:perf_hooks');
    const starts: number[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) starts.push(e.startTime);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const t0 = performance.now();
    run();
    const t1 = performance.now();
    // GC entries are delivered asynchronously.
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    return starts.filter((s) => s >= t0 && s <= t1).length;
  }

  it('poll(false) on an idle context and with a remote BH each round', async () => {
    const ctx = newContext();
    let ran = 0;
    const bh = ctx.remoteBhNew(() => ran++);
    const { scheduleRemoteBh } = await import('../src/index.js');
    const idle = () => {
      for (let i = 0; i < 400_000; i++) ctx.poll(false);
    };
    const busy = () => {
      for (let i = 0; i < 200_000; i++) {
        scheduleRemoteBh(bh.token);
        ctx.poll(false);
      }
    };
    idle();
    busy(); // warm-up: let both loops be optimised first
    const gcs = (await minorGcsDuring(idle)) + (await minorGcsDuring(busy));
    expect(ran).toBe(400_000);
    // Before the BH queue reused its slices: 30-50 bytes a call, dozens of
    // scavenges here. One is allowed for a young generation already nearly full.
    expect(gcs).toBeLessThanOrEqual(1);
  });
});
