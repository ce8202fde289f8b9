/**
 * The event-loop commands: `query-iothreads` (QEMU's), `x-query-aio-stats`
 * (ours: the polling and dispatch counters of every context),
 * `x-query-thread-pools` (ours: every context's thread pool) and
 * `x-iothread-set-affinity` (ours: what QEMU users do with taskset on the
 * thread id, without adding a QOM property).
 *
 * @qemu iothread.c (qmp_query_iothreads)
 */
import { getMainAioContext } from '@loop/main-loop';
import { peekThreadPool, type ThreadPoolStats } from '@loop/thread-pool';
import { IOThread, queryIothreads as listIothreads } from '@loop/iothread';
import { objectGetObjectsRoot, resolvePathComponent, UnknownObjectIdError } from '@loop/qom';
import type { Monitor } from '../monitor.js';
import type { QmpCommandDef } from '../qmp/dispatch.js';

/**
 * `query-iothreads`: one entry per iothread under `/objects` (id,
 * thread-id, poll-max-ns, poll-grow, poll-shrink, aio-max-batch), in
 * creation order.
 *
 * @qemu qmp_query_iothreads
 * @since 0.1.0
 */
export const queryIothreads: QmpCommandDef<Monitor> = {
  name: 'query-iothreads',
  handler: () => listIothreads(),
};

function statsEntry(id: string, thread: number, stats: Record<string, number>, poll: { maxNs: number; grow: number; shrink: number }): Record<string, unknown> {
  return {
    id,
    'thread-id': thread,
    'poll-ns': stats.pollNs,
    'poll-max-ns': poll.maxNs,
    'poll-grow': poll.grow,
    'poll-shrink': poll.shrink,
    'poll-hits': stats.pollHits,
    'poll-misses': stats.pollMisses,
    'blocking-waits': stats.blockingWaits,
    iterations: stats.iterations,
    'bhs-dispatched': stats.bhsDispatched,
    'timers-dispatched': stats.timersDispatched,
    'fd-events-dispatched': stats.fdDispatched,
  };
}

/**
 * `x-query-aio-stats`: per context (the main one, then each iothread's),
 * the adaptive-polling state and the dispatch counters.
 *
 * @qemu none (QEMU exposes poll_ns through trace events only)
 * @since 0.1.0
 */
export const xQueryAioStats: QmpCommandDef<Monitor> = {
  name: 'x-query-aio-stats',
  handler: async () => {
    const out: Record<string, unknown>[] = [];
    const main = getMainAioContext();
    if (main) out.push(statsEntry('main', process.pid, main.stats as unknown as Record<string, number>, main.pollParams));
    for (const info of listIothreads()) {
      const t = resolvePathComponent(objectGetObjectsRoot(), info.id);
      if (!(t instanceof IOThread) || !t.running) continue;
      const ctx = await t.contextInfo();
      out.push(statsEntry(info.id, t.threadId, ctx.stats, ctx.pollParams));
    }
    return out;
  },
};

/**
 * `x-iothread-set-affinity`: pins an iothread to a list of CPUs; returns
 * the CPUs it may now run on.
 *
 * @qemu none (QEMU users run taskset on query-iothreads' thread-id)
 * @since 0.1.0
 */
export const xIothreadSetAffinity: QmpCommandDef<Monitor> = {
  name: 'x-iothread-set-affinity',
  args: [
    { name: 'id', type: 'str' },
    { name: 'cpus', type: { list: 'int' } },
  ],
  handler: async (args) => {
    const id = args.id as string;
    const t = resolvePathComponent(objectGetObjectsRoot(), id);
    if (!(t instanceof IOThread)) throw new UnknownObjectIdError(id);
    return { cpus: await t.setAffinity((args.cpus as number[]).map(Number)) };
  },
};

function poolEntry(id: string, thread: number, stats: ThreadPoolStats | null | undefined): Record<string, unknown> {
  if (!stats) return { id, 'thread-id': thread, exists: false };
  return {
    id,
    'thread-id': thread,
    exists: true,
    min: stats.min,
    max: stats.max,
    threads: stats.threads,
    idle: stats.idle,
    queued: stats.queued,
    running: stats.running,
    completed: stats.completed,
    cancelled: stats.cancelled,
    spawned: stats.spawned,
    exited: stats.exited,
    'queue-wait-us': { p50: stats.queueWait.p50Us, p99: stats.queueWait.p99Us },
    'run-time-us': { p50: stats.runTime.p50Us, p99: stats.runTime.p99Us },
  };
}

/**
 * `x-query-thread-pools`: per context (the main one, then each iothread's),
 * its thread pool's limits, workers, queue and latency figures, or
 * `exists: false` while nothing has used it (the query never creates one).
 *
 * @qemu none (QEMU has no pool statistics command)
 * @since 0.1.0
 */
export const xQueryThreadPools: QmpCommandDef<Monitor> = {
  name: 'x-query-thread-pools',
  handler: async () => {
    const out: Record<string, unknown>[] = [];
    const main = getMainAioContext();
    if (main) out.push(poolEntry('main', process.pid, peekThreadPool(main)?.stats));
    for (const info of listIothreads()) {
      const t = resolvePathComponent(objectGetObjectsRoot(), info.id);
      if (!(t instanceof IOThread) || !t.running) continue;
      out.push(poolEntry(info.id, t.threadId, await t.poolStats()));
    }
    return out;
  },
};
