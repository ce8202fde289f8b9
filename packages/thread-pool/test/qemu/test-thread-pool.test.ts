// Scenarios of QEMU's tests/unit/test-thread-pool.c, in our own code.
import { describe, expect, it } from 'vitest';
import { Flags, poolPerTest, task, until } from '../support/pool.js';

const { setup } = poolPerTest();

describe('/thread-pool/submit', () => {
  it('runs a task and settles with its value', async () => {
    const p = setup(0, 64);
    expect(await p.submit(task<number, number>('square'), 7)).toBe(49);
    expect(p.stats.completed).toBe(1);
  });
});

describe('/thread-pool/submit-aio', () => {
  it('no completion runs before the submitter returns to the event loop', async () => {
    const p = setup(1, 1);
    let done = 0;
    const all = [1, 2, 3].map((x) => p.submit(task<number, number>('square'), x).then((v) => (done += v)));
    expect(done).toBe(0);
    await Promise.all(all);
    expect(done).toBe(14);
  });
});

describe('/thread-pool/submit-co', () => {
  it('awaits an async task function', async () => {
    const p = setup(0, 4);
    expect(await p.submit(task<number, number>('asyncDouble'), 21)).toBe(42);
  });
});

describe('/thread-pool/submit-many', () => {
  it('100 concurrent submissions all complete once', async () => {
    const p = setup(0, 4);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => p.submit(task<number, number>('square'), i)));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * i));
    expect(p.stats.completed).toBe(100);
    expect(p.stats.threads).toBeLessThanOrEqual(4);
  });
});

describe('/thread-pool/cancel', () => {
  it('cancels queued tasks; running ones finish (exact counts)', async () => {
    const p = setup(2, 2);
    const f = new Flags();
    const ac = Array.from({ length: 100 }, () => new AbortController());
    const outcomes = ac.map((c, i) =>
      p.submit(task('waitFlag'), f.arg(i), { signal: c.signal }).then(
        () => 'done',
        (e: Error & { code?: string }) => (e.name === 'AbortError' && e.code === 'ABORT_ERR' ? 'cancelled' : `error ${e.message}`),
      ),
    );
    await until(() => f.startedCount === 2);
    for (const c of ac) c.abort();
    f.releaseAll();
    const r = await Promise.all(outcomes);
    expect(r.filter((x) => x === 'done').length).toBe(2);
    expect(r.filter((x) => x === 'cancelled').length).toBe(98);
    expect(f.startedCount).toBe(2);
    expect(p.stats.cancelled).toBe(98);
    expect(p.stats.completed).toBe(2);
  });

  it('a mix of done, running and queued tasks: exact counts of each outcome', async () => {
    const p = setup(2, 2);
    const f = new Flags();
    const ac = Array.from({ length: 10 }, () => new AbortController());
    // 0..2 finish before the cancel
    for (const i of [0, 1, 2]) f.release(i);
    const early = [0, 1, 2].map((i) => p.submit(task('waitFlag'), f.arg(i), { signal: ac[i]!.signal }));
    await Promise.all(early);
    const later = [3, 4, 5, 6, 7, 8, 9].map((i) =>
      p.submit(task('waitFlag'), f.arg(i), { signal: ac[i]!.signal }).then(
        (v) => `done ${String(v)}`,
        (e: Error) => e.name,
      ),
    );
    await until(() => f.startedCount === 5); // 3 early + 2 running (3 and 4)
    for (const c of ac) c.abort();
    f.releaseAll();
    const r = await Promise.all(later);
    expect(r).toEqual(['done 3', 'done 4', 'AbortError', 'AbortError', 'AbortError', 'AbortError', 'AbortError']);
    expect(p.stats.completed).toBe(5);
    expect(p.stats.cancelled).toBe(5);
  });
});

describe('/thread-pool/cancel-async', () => {
  it('a running task is never killed; its function observes the signal', async () => {
    const p = setup(1, 1);
    const c = new AbortController();
    const r = p.submit(task<number, string>('observeSignal'), 5000, { signal: c.signal });
    await until(() => p.stats.running === 1);
    c.abort();
    expect(await r).toBe('aborted');
    expect(p.stats.cancelled).toBe(0);
  });

  it('an already aborted signal rejects at once', async () => {
    const p = setup(0, 1);
    await expect(p.submit(task('noop'), undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
