import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  objectAdd,
  objectDel,
  objectResolvePath,
  qomGet,
  qomList,
  qomListProperties,
  qomSet,
  typePropertiesHelp,
  userCreatableProcessCmdline,
} from '@loop/qom';
import { IOThread, queryIothreads } from '../src/index.js';
import { TestDevice } from './fixtures/device.js';
import { eventually, fdCount, threadComm, threadCount, threadCpus } from './support/proc.js';

const CODE = new URL('./fixtures/iothread-code.mjs', import.meta.url).href;
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function iothread(id: string): IOThread {
  return objectResolvePath(`/objects/${id}`).obj as IOThread;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const PROPS = ['aio-max-batch', 'thread-pool-max', 'thread-pool-min', 'poll-max-ns', 'poll-grow', 'poll-shrink'];

afterAll(async () => {
  for (const t of queryIothreads()) await objectDel(t.id);
});

describe('iothread', () => {
  it('has QEMU\'s properties and defaults', async () => {
    expect(qomListProperties('iothread').map((p) => p.name).sort()).toEqual([...PROPS, 'type'].sort());
    expect(typePropertiesHelp('iothread')).toBe(
      'iothread options:\n  aio-max-batch=<int>\n  poll-grow=<int>\n  poll-max-ns=<int>\n  poll-shrink=<int>\n  thread-pool-max=<int>\n  thread-pool-min=<int>\n',
    );
    await userCreatableProcessCmdline('iothread,id=io0');
    expect(PROPS.map((p) => qomGet('/objects/io0', p))).toEqual([0, 64, 0, 32768, 0, 0]);
    expect(qomList('/objects/io0').map((p) => p.name).sort()).toEqual([...PROPS, 'type'].sort());
    const [info] = queryIothreads();
    expect(info).toEqual({
      id: 'io0',
      'thread-id': iothread('io0').threadId,
      'poll-max-ns': 32768,
      'poll-grow': 0,
      'poll-shrink': 0,
      'aio-max-batch': 0,
    });
    await objectDel('io0');
    expect(queryIothreads()).toEqual([]);
  });

  it('runs a named OS thread whose context is driven once creation settles', async () => {
    await objectAdd({ 'qom-type': 'iothread', id: 'named-iothread-0', 'poll-max-ns': 0 });
    const t = iothread('named-iothread-0');
    expect(t.threadId).toBeGreaterThan(0);
    expect(t.threadId).not.toBe(process.pid);
    // The kernel keeps 15 bytes of the name `IO <id>`.
    expect(threadComm(t.threadId)).toBe('IO named-iothre');
    const info = await t.contextInfo();
    expect(info.tid).toBe(t.threadId);
    expect(info.driven).toBe(true);
    expect(info.counters.drivesActive).toBe(1);
    expect(info.counters.driveWaits).toBeGreaterThan(0);
    expect(info.pollParams).toEqual({ maxNs: 0, grow: 0, shrink: 0 });
    const tid = t.threadId;
    await objectDel('named-iothread-0');
    expect(t.threadId).toBe(-1);
    await eventually(() => threadComm(tid) === undefined);
  });

  it('applies a qom-set on the running iothread to its context at once', async () => {
    await objectAdd({ 'qom-type': 'iothread', id: 'tune', 'poll-max-ns': 1000 });
    const t = iothread('tune');
    expect((await t.contextInfo()).pollParams.maxNs).toBe(1000);
    await qomSet('/objects/tune', 'poll-max-ns', 0);
    expect((await t.contextInfo()).pollParams.maxNs).toBe(0);
    expect((await t.contextInfo()).stats.pollNs).toBe(0);
    await qomSet('/objects/tune', 'poll-grow', 4);
    expect((await t.contextInfo()).pollParams).toEqual({ maxNs: 0, grow: 4, shrink: 0 });
    await qomSet('/objects/tune', 'aio-max-batch', 9);
    await qomSet('/objects/tune', 'thread-pool-max', 5);
    const info = await t.contextInfo();
    expect(info.aioParams).toEqual({ maxBatch: 9 });
    expect(info.threadPoolParams).toEqual({ min: 0, max: 5 });
    expect(queryIothreads().find((q) => q.id === 'tune')).toMatchObject({ 'poll-grow': 4, 'aio-max-batch': 9 });
    // A rejected pool pair stays stored, the context keeps the old pair.
    expect((await rejection(qomSet('/objects/tune', 'thread-pool-min', 6))).message).toBe('bad thread-pool-min/thread-pool-max values');
    expect(qomGet('/objects/tune', 'thread-pool-min')).toBe(6);
    expect((await t.contextInfo()).threadPoolParams).toEqual({ min: 0, max: 5 });
    expect((await rejection(qomSet('/objects/tune', 'poll-max-ns', -1))).message).toBe(
      'poll-max-ns value must be in range [0, 9223372036854775807]',
    );
    await qomSet('/objects/tune', 'poll-max-ns', 9223372036854775807n);
    expect(qomGet('/objects/tune', 'poll-max-ns')).toBe(9223372036854775807n);
    await objectDel('tune');
  });

  it('fails creation on a bad pool pair and leaves nothing behind', async () => {
    const threads = threadCount();
    for (const args of [{ 'thread-pool-min': 100 }, { 'thread-pool-max': 0 }, { 'thread-pool-max': 2147483648 }]) {
      const err = await rejection(objectAdd({ 'qom-type': 'iothread', id: 'bad', ...args }));
      expect(err.message).toBe('bad thread-pool-min/thread-pool-max values');
      expect(objectResolvePath('/objects/bad').obj).toBeUndefined();
    }
    await userCreatableProcessCmdline('iothread,id=ok,thread-pool-min=100,thread-pool-max=200');
    expect((await iothread('ok').contextInfo()).threadPoolParams).toEqual({ min: 100, max: 200 });
    await objectDel('ok');
    await eventually(() => threadCount() === threads);
  });

  it('runs placed code in the iothread: promises, fs.promises, Node timers, BHs', async () => {
    await objectAdd({ 'qom-type': 'iothread', id: 'code' });
    const t = iothread('code');
    expect(await t.import(CODE)).toEqual(['bhThenPromise', 'fail', 'roundTripFile', 'useThreadPool', 'whereAmI']);
    const where = (await t.aioContext.call(CODE, 'whereAmI')) as { tid: number; context: string; driven: boolean };
    expect(where).toMatchObject({ tid: t.threadId, context: 'IO code', driven: true });
    const file = join(tmpdir(), `loop-iothread-${process.pid}.txt`);
    expect(await t.aioContext.call(CODE, 'roundTripFile', file, 'hello')).toBe('hello');
    expect(await t.aioContext.call(CODE, 'bhThenPromise')).toBe('bh ran in IO code');
    const err = await rejection(t.aioContext.call(CODE, 'fail'));
    expect(err.message).toBe('thrown in the iothread');
    expect(err.stack).toContain('iothread-code.mjs');
    await objectDel('code');
  });

  it('gives placed code the thread pool of the iothread\'s context, sized by its properties', async () => {
    const baseline = threadCount();
    await objectAdd({ 'qom-type': 'iothread', id: 'pooled', 'thread-pool-min': 2, 'thread-pool-max': 3 });
    const t = iothread('pooled');
    expect(await t.poolStats()).toBeNull();
    const r = (await t.aioContext.call(CODE, 'useThreadPool', 8)) as {
      iothread: number;
      results: Array<{ value: number; threadId: number }>;
      stats: { min: number; max: number; spawned: number; completed: number };
    };
    expect(r.results.map((x) => x.value)).toEqual([0, 1, 4, 9, 16, 25, 36, 49]);
    // The tasks ran in pool workers, not in the iothread itself.
    expect(r.results.every((x) => x.threadId !== r.iothread)).toBe(true);
    expect(r.stats).toMatchObject({ min: 2, max: 3, completed: 8 });
    expect(r.stats.spawned).toBeLessThanOrEqual(3);
    await qomSet('/objects/pooled', 'thread-pool-max', 5);
    expect(await t.poolStats()).toMatchObject({ min: 2, max: 5 });
    expect(threadCount()).toBeGreaterThanOrEqual(baseline + 3); // the iothread and at least min workers
    await objectDel('pooled');
    // Deleting the iothread closes its pool: the iothread and every worker are gone.
    await eventually(() => threadCount() === baseline);
  });

  it('reports a module that throws while loading, and keeps running', async () => {
    await objectAdd({ 'qom-type': 'iothread', id: 'loader' });
    const t = iothread('loader');
    const err = await rejection(t.import(new URL('./fixtures/throws-on-import.mjs', import.meta.url)));
    expect(err.message).toBe('this module refuses to load');
    expect(((await t.aioContext.call(CODE, 'whereAmI')) as { driven: boolean }).driven).toBe(true);
    await objectDel('loader');
  });

  it('serves a device that links to it', async () => {
    await objectAdd({ 'qom-type': 'iothread', id: 'dev-io' });
    await objectAdd({ 'qom-type': 'test-device', id: 'dev0' });
    await qomSet('/objects/dev0', 'iothread', '/objects/dev-io');
    expect(qomGet('/objects/dev0', 'iothread')).toBe('/objects/dev-io');
    const dev = objectResolvePath('/objects/dev0').obj as TestDevice;
    expect(await dev.work()).toMatchObject({ tid: iothread('dev-io').threadId, context: 'IO dev-io' });
    await objectDel('dev0');
    await objectDel('dev-io');
  });

  it('pins the thread with setAffinity', async () => {
    await objectAdd({ 'qom-type': 'iothread', id: 'pinned' });
    const t = iothread('pinned');
    expect(await t.setAffinity([0])).toEqual([0]);
    expect(threadCpus(t.threadId)).toBe('0');
    await objectDel('pinned');
  });

  it('lists iothreads in creation order and reflects deletions', async () => {
    for (const id of ['c', 'a', 'b']) await objectAdd({ 'qom-type': 'iothread', id });
    expect(queryIothreads().map((q) => q.id)).toEqual(['c', 'a', 'b']);
    await objectDel('a');
    expect(queryIothreads().map((q) => q.id)).toEqual(['c', 'b']);
    await objectDel('c');
    await objectDel('b');
  });

  it('gives back every thread and fd after 100 create/delete cycles', { timeout: 60_000 }, async () => {
    // Warm up: the first call into an iothread sets up this thread's reply
    // channel (an eventfd it keeps), so the fd baseline is taken after it.
    const threads = threadCount();
    await objectAdd({ 'qom-type': 'iothread', id: 'warm' });
    await iothread('warm').contextInfo();
    await objectDel('warm');
    await eventually(() => threadCount() === threads);
    const fds = fdCount();
    let peakThreads = 0;
    for (let i = 0; i < 100; i++) {
      await objectAdd({ 'qom-type': 'iothread', id: `cycle${i}` });
      peakThreads = Math.max(peakThreads, threadCount());
      await objectDel(`cycle${i}`);
    }
    expect(peakThreads).toBeGreaterThan(threads);
    await eventually(() => threadCount() === threads && fdCount() === fds);
  });

  it('lets the process exit cleanly with live iothreads, idle or blocked', () => {
    for (const mode of ['exit', 'natural', 'blocked']) {
      const out = execFileSync(process.execPath, [fixture('live-at-exit.mjs'), mode], { encoding: 'utf8', timeout: 20_000 });
      expect(out).toBe(`ready ${mode}\n`);
    }
  });
});
