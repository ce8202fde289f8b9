import { describe, expect, it } from 'vitest';
import {
  objectAdd,
  objectDel,
  objectResolvePath,
  parseObjectOption,
  qomGet,
  qomList,
  qomListProperties,
  qomListTypes,
  qomSet,
  typePropertiesHelp,
  userCreatableProcessCmdline,
} from '@loop/qom';
import { TestLoop } from './fixtures/test-loop.js';

async function rejection(p: Promise<unknown>): Promise<Error & { code: string; phase?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('expected a rejection');
}

function loop(id: string): TestLoop {
  return objectResolvePath(`/objects/${id}`).obj as TestLoop;
}

const INT64_MAX = 9223372036854775807n;
const BASE_PROPS = ['aio-max-batch', 'thread-pool-min', 'thread-pool-max'];

describe('event-loop-base', () => {
  it('is abstract, user-creatable, with three int properties', () => {
    expect(qomListTypes({ implements: 'event-loop-base', abstract: true })).toContainEqual({
      name: 'event-loop-base',
      abstract: true,
      parent: 'object',
    });
    expect(qomListProperties('event-loop-base')).toEqual([
      { name: 'type', type: 'string' },
      ...BASE_PROPS.map((name) => ({ name, type: 'int' })),
    ]);
    expect(typePropertiesHelp('event-loop-base')).toBe(
      'event-loop-base options:\n  aio-max-batch=<int>\n  thread-pool-max=<int>\n  thread-pool-min=<int>\n',
    );
  });

  it('cannot be created itself', async () => {
    expect((await rejection(objectAdd({ 'qom-type': 'event-loop-base', id: 'x5' }))).message).toBe(
      "Parameter 'qom-type' does not accept value 'event-loop-base'",
    );
  });
});

describe('a custom event-loop type', () => {
  it('is created from an -object string and from JSON, listed, tuned and deleted', async () => {
    await userCreatableProcessCmdline('test-loop,id=l1,label=one,thread-pool-max=8,thread-pool-min=2');
    await objectAdd({ 'qom-type': 'test-loop', id: 'l2', label: 'two', 'aio-max-batch': 16 });
    expect(qomListTypes({ implements: 'event-loop-base' })).toContainEqual({ name: 'test-loop', parent: 'event-loop-base' });
    expect(qomList('/objects')).toEqual(
      expect.arrayContaining([
        { name: 'l1', type: 'child<test-loop>' },
        { name: 'l2', type: 'child<test-loop>' },
      ]),
    );
    expect(qomList('/objects/l1').map((p) => p.name).sort()).toEqual(['aio-max-batch', 'label', 'thread-pool-max', 'thread-pool-min', 'type']);
    const l1 = loop('l1');
    expect(l1.inits).toBe(1);
    expect(l1.ctx!.threadPoolParams).toEqual({ min: 2, max: 8 });
    expect(loop('l2').ctx!.aioParams).toEqual({ maxBatch: 16 });
    await qomSet('/objects/l1', 'thread-pool-max', 12);
    expect(l1.ctx!.threadPoolParams).toEqual({ min: 2, max: 12 });
    expect(qomGet('/objects/l1', 'label')).toBe('one');
    const ctx = l1.ctx!;
    await objectDel('l1');
    await objectDel('l2');
    expect(ctx.destroyed).toBe(true);
    expect(objectResolvePath('/objects/l1').obj).toBeUndefined();
  });

  it('has QEMU\'s defaults', async () => {
    await objectAdd({ 'qom-type': 'test-loop', id: 'd0' });
    expect(BASE_PROPS.map((p) => qomGet('/objects/d0', p))).toEqual([0, 0, 64]);
    expect(loop('d0').ctx!.threadPoolParams).toEqual({ min: 0, max: 64 });
    await objectDel('d0');
  });

  it('calls updateParams on every write, the ones during creation included', async () => {
    await objectAdd({ 'qom-type': 'test-loop', id: 'u0', 'aio-max-batch': 1, 'thread-pool-min': 1, 'thread-pool-max': 2, label: 'x' });
    const l = loop('u0');
    expect(l.updates).toBe(3);
    await qomSet('/objects/u0', 'aio-max-batch', 3);
    expect(l.updates).toBe(4);
    await objectDel('u0');
  });

  it.each(BASE_PROPS)('rejects a negative %s and keeps the old value', async (prop) => {
    await objectAdd({ 'qom-type': 'test-loop', id: 'n0' });
    const before = qomGet('/objects/n0', prop);
    for (const value of [-1, -(2n ** 63n)]) {
      const err = await rejection(qomSet('/objects/n0', prop, value));
      expect(err.message).toBe(`${prop} value must be in range [0, 9223372036854775807]`);
      expect(qomGet('/objects/n0', prop)).toBe(before);
    }
    const add = await rejection(objectAdd({ 'qom-type': 'test-loop', id: 'n1', [prop]: -1 }));
    expect(add.message).toBe(`${prop} value must be in range [0, 9223372036854775807]`);
    const cmd = await rejection(userCreatableProcessCmdline(`test-loop,id=n2,${prop}=-1`));
    expect(cmd.message).toBe(`${prop} value must be in range [0, 9223372036854775807]`);
    expect(cmd.phase).toBe('create');
    await objectDel('n0');
    expect(qomList('/objects').map((p) => p.name)).not.toEqual(expect.arrayContaining(['n1']));
  });

  it('takes INT64_MAX for aio-max-batch and rejects anything but integers', async () => {
    await objectAdd({ 'qom-type': 'test-loop', id: 'm0', 'aio-max-batch': INT64_MAX });
    expect(qomGet('/objects/m0', 'aio-max-batch')).toBe(INT64_MAX);
    for (const bad of ['100', 2.5, true, null, {}, [], 2n ** 63n]) {
      const err = await rejection(qomSet('/objects/m0', 'aio-max-batch', bad));
      expect(err.message).toBe("Invalid parameter type for 'aio-max-batch', expected: integer");
    }
    expect(qomGet('/objects/m0', 'aio-max-batch')).toBe(INT64_MAX);
    await objectDel('m0');
  });

  describe('the thread-pool pair', () => {
    it('is checked once all properties are set at creation', async () => {
      await userCreatableProcessCmdline('test-loop,id=p0,thread-pool-min=100,thread-pool-max=200');
      expect(loop('p0').ctx!.threadPoolParams).toEqual({ min: 100, max: 200 });
      await objectDel('p0');
      for (const args of [
        { 'thread-pool-min': 100 },
        { 'thread-pool-min': 10, 'thread-pool-max': 5 },
        { 'thread-pool-max': 0 },
        { 'thread-pool-max': 2147483648 },
      ]) {
        const err = await rejection(objectAdd({ 'qom-type': 'test-loop', id: 'p1', ...args }));
        expect(err.message).toBe('bad thread-pool-min/thread-pool-max values');
        expect(objectResolvePath('/objects/p1').obj).toBeUndefined();
      }
      for (const args of [
        { 'thread-pool-min': 5, 'thread-pool-max': 5 },
        { 'thread-pool-max': 2147483647 },
      ]) {
        await objectAdd({ 'qom-type': 'test-loop', id: 'p2', ...args });
        await objectDel('p2');
      }
    });

    it('keeps a rejected value stored, as QEMU does', async () => {
      await objectAdd({ 'qom-type': 'test-loop', id: 's0' });
      const ctx = loop('s0').ctx!;
      expect((await rejection(qomSet('/objects/s0', 'thread-pool-min', 65))).message).toBe('bad thread-pool-min/thread-pool-max values');
      expect(qomGet('/objects/s0', 'thread-pool-min')).toBe(65);
      expect(ctx.threadPoolParams).toEqual({ min: 0, max: 64 });
      await qomSet('/objects/s0', 'thread-pool-max', 100);
      expect(ctx.threadPoolParams).toEqual({ min: 65, max: 100 });
      expect((await rejection(qomSet('/objects/s0', 'thread-pool-max', 0))).message).toBe('bad thread-pool-min/thread-pool-max values');
      expect(qomGet('/objects/s0', 'thread-pool-max')).toBe(0);
      expect(ctx.threadPoolParams).toEqual({ min: 65, max: 100 });
      await objectDel('s0');
    });
  });

  it('parses base properties of the option syntax with C integer rules', () => {
    const parsed = parseObjectOption('test-loop,id=c0,thread-pool-max=0x10,thread-pool-min=010,aio-max-batch=+5');
    expect(parsed.kind).toBe('options');
    if (parsed.kind === 'options') {
      expect(Object.fromEntries(parsed.options.props)).toEqual({ 'aio-max-batch': 5, 'thread-pool-max': 16, 'thread-pool-min': 8 });
    }
  });
});
