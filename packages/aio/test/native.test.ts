// The addon itself: thread utilities, counters, fd ownership.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { nativeCounters, thread, NativeBackendUnavailableError } from '../src/index.js';
import { native } from '../src/native.js';
import { newContext } from './support/context.js';

describe('native addon', () => {
  it('reports the thread id, name and affinity of the calling thread', () => {
    expect(thread.id).toBe(process.pid); // the main thread of this process
    const old = thread.name;
    thread.name = 'aio-test-thread-name-long';
    expect(thread.name).toBe('aio-test-thread'); // Linux keeps 15 bytes
    thread.name = old;
    const cpus = thread.affinity;
    expect(cpus.length).toBeGreaterThan(0);
    thread.setAffinity([cpus[0]!]);
    expect(thread.affinity).toEqual([cpus[0]]);
    expect(thread.cpu).toBe(cpus[0]);
    thread.setAffinity(cpus);
    expect(thread.affinity).toEqual(cpus);
    expect(() => thread.setAffinity([100000])).toThrow('sched_setaffinity failed: EINVAL');
  });

  it('counts the fds a context opens and closes them on destroy', () => {
    const before = nativeCounters().fdsOpen;
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const ctx = newContext();
    expect(nativeCounters().fdsOpen).toBe(before + 3);
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore + 3);
    ctx.destroy();
    expect(nativeCounters().fdsOpen).toBe(before);
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
  });

  it('close() refuses fds the addon did not open', () => {
    expect(native.close(0)).toBeLessThan(0);
  });

  it('the unavailable-backend error names what is missing', () => {
    const e = new NativeBackendUnavailableError(
      "@loop/aio needs Linux: epoll, eventfd and timerfd are not available on platform 'darwin'",
    );
    expect(e.code).toBe('LOOP_ERR_NO_NATIVE');
    expect(e.message).toContain('darwin');
  });
});
