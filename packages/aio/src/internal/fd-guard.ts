/**
 * Writing another thread's eventfd safely. An eventfd's number is
 * process-wide, and once its owner closes it the number can be handed out
 * again by the next open(), in any thread; a late write would then land in an
 * unrelated file. So a writer brackets its check of the owner's "closed" word
 * and its write with a count of writers, and the owner, after setting
 * "closed", waits for that count to drop to 0 before it closes the fd
 * (sequentially consistent atomics: either the writer sees "closed", or the
 * owner sees the writer). The wait is bounded: a writer terminated inside
 * its bracket never leaves it. Writers on hot paths (control.ts, ring.ts,
 * notifier.ts) write the bracket out rather than call a helper: a
 * JavaScript call is a point where worker.terminate() can stop the thread.
 */
import { native } from '../native.js';

/** The longest `closeAfterWriters` waits for writers to leave. */
const CLOSE_WAIT_MS = 100;

/**
 * Sets `words[closed]` (returns false if it already was) and waits for the
 * writers in their bracket to leave; the caller then closes the fd.
 */
export function closeAfterWriters(words: Int32Array, closed: number, writers: number): boolean {
  if (Atomics.exchange(words, closed, 1) !== 0) return false;
  waitForWriters(words, writers);
  return true;
}

/** Waits (bounded) for the writers counted in `words[writers]` to leave. */
export function waitForWriters(words: Int32Array, writers: number): void {
  if (Atomics.load(words, writers) === 0) return;
  const until = Date.now() + CLOSE_WAIT_MS;
  while (Atomics.load(words, writers) !== 0 && Date.now() < until) {
    // a writer is between its check and its write: one system call
  }
}

/**
 * Writes the eventfd whose number another thread keeps in `words[fdWord]`
 * (-1: none, or withdrawn), counted in `words[writers]` while it does: the
 * owner withdraws the number, then waits for the count to be 0, before it
 * closes the fd. Returns whether it wrote.
 */
export function signalHeldFd(words: Int32Array, writers: number, fdWord: number): boolean {
  Atomics.add(words, writers, 1);
  const fd = Atomics.load(words, fdWord);
  if (fd >= 0) native.eventfdWrite(fd);
  Atomics.sub(words, writers, 1);
  return fd >= 0;
}
