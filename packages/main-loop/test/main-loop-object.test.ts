// The QMP-independent parts of the oracle's main-loop scenarios (22, 23, 24
// and the main-loop cases of 90-cmdline-object) against the QOM API.
import { describe, expect, it } from 'vitest';
import {
  objectAdd,
  objectDel,
  objectResolvePath,
  qomGet,
  qomList,
  qomListProperties,
  qomListTypes,
  qomSet,
  typePropertiesHelp,
  userCreatableProcessCmdline,
} from '@loop/qom';
import { getMainAioContext, MainLoop, mainLoopObject } from '../src/index.js';

async function rejection(p: Promise<unknown>): Promise<Error & { phase?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const BAD_POOL = 'bad thread-pool-min/thread-pool-max values';

describe('main-loop', () => {
  it('is a concrete event-loop-base with only the base properties', () => {
    expect(qomListTypes({ implements: 'event-loop-base' })).toContainEqual({ name: 'main-loop', parent: 'event-loop-base' });
    expect(qomListProperties('main-loop').map((p) => p.name).sort()).toEqual([
      'aio-max-batch',
      'thread-pool-max',
      'thread-pool-min',
      'type',
    ]);
    expect(typePropertiesHelp('main-loop')).toBe(
      'main-loop options:\n  aio-max-batch=<int>\n  thread-pool-max=<int>\n  thread-pool-min=<int>\n',
    );
  });

  it('refuses bad pool pairs and iothread-only properties without taking the slot', async () => {
    expect((await rejection(userCreatableProcessCmdline('main-loop,id=ml0,thread-pool-max=0'))).message).toBe(BAD_POOL);
    expect((await rejection(userCreatableProcessCmdline('main-loop,id=ml0,thread-pool-min=9,thread-pool-max=3'))).message).toBe(BAD_POOL);
    expect((await rejection(objectAdd({ 'qom-type': 'main-loop', id: 'ml0', 'thread-pool-min': 65 }))).message).toBe(BAD_POOL);
    const poll = await rejection(userCreatableProcessCmdline('main-loop,id=ml0,poll-max-ns=1'));
    expect(poll.message).toBe("Invalid parameter 'poll-max-ns'");
    expect(poll.phase).toBe('parse');
    expect((await rejection(objectAdd({ 'qom-type': 'main-loop', id: 'ml0', 'poll-max-ns': 1 }))).message).toBe(
      "Parameter 'poll-max-ns' is unexpected",
    );
    expect(mainLoopObject()).toBeUndefined();
    expect(objectResolvePath('/objects/ml0').obj).toBeUndefined();
  });

  it('applies max before min at creation, so min=100,max=200 is accepted', async () => {
    await userCreatableProcessCmdline('main-loop,id=ml0,thread-pool-min=100,thread-pool-max=200,aio-max-batch=7');
    expect(mainLoopObject()).toBeInstanceOf(MainLoop);
    expect(getMainAioContext()!.threadPoolParams).toEqual({ min: 100, max: 200 });
    expect(getMainAioContext()!.aioParams).toEqual({ maxBatch: 7 });
    expect([qomGet('/objects/ml0', 'aio-max-batch'), qomGet('/objects/ml0', 'thread-pool-min'), qomGet('/objects/ml0', 'thread-pool-max')]).toEqual([
      7, 100, 200,
    ]);
  });

  it('is a singleton that can never be deleted', async () => {
    expect((await rejection(objectAdd({ 'qom-type': 'main-loop', id: 'ml1' }))).message).toBe('only one main-loop instance allowed');
    expect((await rejection(objectAdd({ 'qom-type': 'main-loop', id: 'ml1', 'thread-pool-max': 3 }))).message).toBe(
      'only one main-loop instance allowed',
    );
    // QEMU's order: a bad pair while the properties are set, then the duplicate id, then the singleton rule.
    expect((await rejection(objectAdd({ 'qom-type': 'main-loop', id: 'ml1', 'thread-pool-min': 65 }))).message).toBe(
      'bad thread-pool-min/thread-pool-max values',
    );
    expect((await rejection(objectAdd({ 'qom-type': 'main-loop', id: 'ml0', 'thread-pool-min': 1 }))).message).toBe(
      "attempt to add duplicate property 'ml0' to object (type 'container')",
    );
    // The refused object did not touch the live one's context.
    expect(getMainAioContext()!.threadPoolParams).toEqual({ min: 100, max: 200 });
    expect((await rejection(objectAdd({ 'qom-type': 'main-loop', id: 'ml0' }))).message).toBe(
      "attempt to add duplicate property 'ml0' to object (type 'container')",
    );
    const del = await rejection(objectDel('ml0'));
    expect(del.message).toBe("object 'ml0' is in use, can not be deleted");
    expect(qomList('/objects')).toContainEqual({ name: 'ml0', type: 'child<main-loop>' });
  });

  it('applies every write to the main context, and keeps a rejected value stored', async () => {
    await qomSet('/objects/ml0', 'aio-max-batch', 9223372036854775807n);
    expect(qomGet('/objects/ml0', 'aio-max-batch')).toBe(9223372036854775807n);
    expect(getMainAioContext()!.aioParams.maxBatch).toBe(Number.MAX_SAFE_INTEGER);
    expect((await rejection(qomSet('/objects/ml0', 'thread-pool-min', 300))).message).toBe(BAD_POOL);
    expect(qomGet('/objects/ml0', 'thread-pool-min')).toBe(300);
    expect(getMainAioContext()!.threadPoolParams).toEqual({ min: 100, max: 200 });
    await qomSet('/objects/ml0', 'thread-pool-max', 400);
    expect(getMainAioContext()!.threadPoolParams).toEqual({ min: 300, max: 400 });
    expect((await rejection(qomSet('/objects/ml0', 'thread-pool-max', -1))).message).toBe(
      'thread-pool-max value must be in range [0, 9223372036854775807]',
    );
    const notFound = await rejection(Promise.resolve().then(() => qomGet('/objects/ml0', 'poll-max-ns')));
    expect(notFound.message).toBe("Property 'main-loop.poll-max-ns' not found");
  });
});
