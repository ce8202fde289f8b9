// @ts-check
/**
 * CPU accounting from /proc: how busy the machine is (to wait for a quiet
 * window before a measured step and to record the background load during
 * it), and how much CPU one thread used (for CPU per request).
 *
 * Why /proc and not os.loadavg(): the load average is a 1-minute moving
 * average that includes our own benchmark, so it cannot tell a quiet window
 * from a busy one, nor our load from another engineer's. /proc/stat gives
 * machine-wide busy jiffies now; subtracting this process's own CPU (and
 * that of its reaped children) leaves what *other* processes used.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Clock ticks per second of /proc times (USER_HZ; 100 on every Linux build Node supports). */
const HZ = 100;

/** @returns {{ busy: number, total: number }} machine-wide jiffies since boot */
export function machineJiffies() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: idle + iowait are not busy.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

/**
 * This process's CPU in jiffies: its own threads (utime + stime) and its
 * waited-for children (cutime + cstime), which is how a child's CPU stays
 * countable after the child exited.
 * @param {number | 'self'} [pid]
 * @returns {{ self: number, children: number }}
 */
export function processJiffies(pid = 'self') {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number);
  // Fields after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14).
  return { self: f[11] + f[12], children: f[13] + f[14] };
}

/**
 * CPU nanoseconds a thread of this process has run: schedstat (ns, exact)
 * when the kernel has it, else utime + stime (10 ms ticks).
 * @param {number} tid
 * @returns {number}
 */
export function threadCpuNs(tid) {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0]);
  } catch {
    const s = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * (1e9 / HZ);
  }
}

/** Whether threadCpuNs is exact (schedstat) or 10 ms ticks. */
export function threadCpuIsExact() {
  try {
    readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
    return true;
  } catch {
    return false;
  }
}

/** @param {number} ms */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A meter of the cores other processes use: start it, run the step, read it.
 * "Other" excludes this process and every child it has waited for, so call
 * `read()` after the step's child process has been reaped.
 */
export class BackgroundMeter {
  #m0 = machineJiffies();
  #p0 = processJiffies();
  #t0 = performance.now();

  /** @returns {number} average cores busy with other work since construction */
  read() {
    const m = machineJiffies();
    const p = processJiffies();
    const ours = p.self + p.children - this.#p0.self - this.#p0.children;
    const wall = (performance.now() - this.#t0) / 1000;
    if (wall <= 0) return 0;
    const other = m.busy - this.#m0.busy - ours;
    // Jiffy rounding can make a short window slightly negative.
    return Math.max(0, other / HZ / wall);
  }
}

/**
 * Cores other processes used over the next `ms` milliseconds (this process
 * sleeps meanwhile, so what it measures is the rest of the machine).
 * @param {number} ms
 */
export function busyCores(ms) {
  const meter = new BackgroundMeter();
  sleepSync(ms);
  return meter.read();
}

/**
 * Waits (up to `maxMs`) for a 300 ms window in which other processes use
 * less than `threshold` cores, and returns what they used in the last
 * window: the value the report prints as "bg before". Giving up after
 * `maxMs` is deliberate: on a machine that never gets quiet the run must
 * still finish, with the load on record.
 * @param {{ maxMs?: number, threshold?: number }} [o]
 * @returns {number}
 */
export function waitQuiet(o = {}) {
  const end = Date.now() + (o.maxMs ?? 8000);
  const threshold = o.threshold ?? 0.3;
  let bg;
  do bg = busyCores(300);
  while (bg > threshold && Date.now() < end);
  return Number(bg.toFixed(2));
}

/** The number of CPUs the machine has (not the affinity mask). */
export function cpuCount() {
  return cpus().length;
}
