// Task functions for the tests and benchmarks (plain JS: workers import it directly).
export function noop() {}
export function echo(x) {
  return x;
}
export function square(x) {
  return x * x;
}
export async function asyncDouble(x) {
  await new Promise((r) => setTimeout(r, 1));
  return x * 2;
}
export function fail(msg) {
  const e = new RangeError(msg);
  e.code = 'E_TASK';
  throw e;
}
export async function failAsync(msg) {
  await Promise.resolve();
  throw new TypeError(msg);
}
/** Busy-spins for `ms` milliseconds. */
export function spin(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
  return ms;
}
/** Blocks until word `index` of `sab` (Int32) becomes nonzero; returns the index. */
export function waitFlag({ sab, index, startedIndex }) {
  const a = new Int32Array(sab);
  if (startedIndex !== undefined) {
    Atomics.add(a, startedIndex, 1);
    Atomics.notify(a, startedIndex);
  }
  while (Atomics.load(a, index) === 0) Atomics.wait(a, index, 0, 50);
  return index;
}
/** Resolves when its signal aborts, or after `ms`. */
export function observeSignal(ms, { signal }) {
  if (signal.aborted) return 'aborted';
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('timeout'), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve('aborted');
    });
  });
}
export function exitNow(code) {
  process.exit(code);
}
export function throwLater() {
  setTimeout(() => {
    throw new Error('uncaught in a callback');
  }, 0);
  return new Promise(() => {});
}
export function allocate() {
  const keep = [];
  for (;;) keep.push(new Array(1e6).fill(Math.random()));
}
export function byteLength(buf) {
  return buf.byteLength;
}
export function makeBig(n) {
  return new Uint8Array(n).fill(7);
}
export const notAFunction = 42;
export function threadId() {
  return import('node:worker_threads').then((m) => m.threadId);
}
/** Counts its own runs in word `i` of `sab`, returns `i`. */
export function countRun({ sab, i }) {
  Atomics.add(new Int32Array(sab), i, 1);
  return i;
}
