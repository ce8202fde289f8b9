import { readdirSync, readFileSync } from 'node:fs';

/** Open fds of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Threads of this process. */
export function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/** The kernel's name of one of this process's threads, or undefined when it is gone. */
export function threadComm(tid: number): string | undefined {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trimEnd();
  } catch {
    return undefined;
  }
}

/** The CPUs a thread of this process may run on (`Cpus_allowed_list`). */
export function threadCpus(tid: number): string {
  const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
  return /Cpus_allowed_list:\s*(\S+)/.exec(status)![1]!;
}

/** Waits until `cond` holds, polling; fails after `ms`. */
export async function eventually(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
