import { beforeAll, describe, expect, it } from 'vitest';
import {
  objectAdd,
  objectDel,
  objectGetObjectsRoot,
  objectResolvePath,
  parseObjectOption,
  QomObject,
  qomGet,
  qomList,
  qomSet,
  typeRegister,
  userCreatableId,
  userCreatableProcessCmdline,
  type UserCreatable,
} from '../src/index.js';
import { DummyObject, registerDummy } from './fixtures/dummy.js';

/** Resolves to the error a promise rejects with (fails if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { code: string; qmpClass: string; phase?: string; hint?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code: string; qmpClass: string };
  }
  throw new Error('expected a rejection');
}

function children(): string[] {
  return qomList('/objects')
    .filter((p) => p.type.startsWith('child<'))
    .map((p) => p.name);
}

beforeAll(() => registerDummy());

describe('object-add (JSON path)', () => {
  it('of several unknown members names the one QEMU names (its hash table order)', async () => {
    for (const args of [
      { 'qom-type': 'dummy', id: 'u', zzz: 1, aaa: 2 },
      { 'qom-type': 'dummy', id: 'u', aaa: 2, zzz: 1 },
    ]) {
      await expect(objectAdd(args)).rejects.toThrow("Parameter 'zzz' is unexpected");
    }
    for (const arg of ['dummy,id=u,zzz=1,aaa=2', 'dummy,id=u,aaa=2,zzz=1']) {
      expect(() => parseObjectOption(arg)).toThrow("Invalid parameter 'zzz'");
    }
  });

  it('creates, lists, reads, sets and deletes an object', async () => {
    expect(await objectAdd({ 'qom-type': 'dummy', id: 'd1', bv: true, sv: 'hiss', av: 'platypus' })).toEqual({});
    const obj = objectResolvePath('/objects/d1').obj as DummyObject;
    expect(obj).toBeInstanceOf(DummyObject);
    expect(obj.completed).toBe(1);
    expect(qomGet('/objects/d1', 'sv')).toBe('hiss');
    expect(qomGet('d1', 'av')).toBe('platypus');
    expect(await qomSet('/objects/d1', 'bv', false)).toEqual({});
    expect(qomGet('/objects/d1', 'bv')).toBe(false);
    expect(qomList('/objects')).toContainEqual({ name: 'd1', type: 'child<dummy>' });
    expect(await objectDel('d1')).toEqual({});
    expect(obj.finalizedTimes).toBe(1);
    expect(objectResolvePath('/objects/d1').obj).toBeUndefined();
  });

  it.each([
    [{ 'qom-type': 'dummy', id: 'x1', foo: 1 }, "Parameter 'foo' is unexpected"],
    [{ 'qom-type': 'dummy', id: 'x1', props: { bv: true } }, "Parameter 'props' is unexpected"],
    [{ 'qom-type': 'dummy' }, "Parameter 'id' is missing"],
    [{ id: 'x2' }, "Parameter 'qom-type' is missing"],
    [{}, "Parameter 'qom-type' is missing"],
    [undefined, "Parameter 'qom-type' is missing"],
    [{ 'qom-type': 'dummy', id: 5 }, "Invalid parameter type for 'id', expected: string"],
    [{ 'qom-type': 5, id: 'x3' }, "Invalid parameter type for 'qom-type', expected: string"],
    [{ 'qom-type': 'no-such-type', id: 'x4' }, "Parameter 'qom-type' does not accept value 'no-such-type'"],
    [{ 'qom-type': 'object', id: 'x6' }, "Parameter 'qom-type' does not accept value 'object'"],
    [{ 'qom-type': 'container', id: 'x7' }, "Parameter 'qom-type' does not accept value 'container'"],
    [{ 'qom-type': 'user-creatable', id: 'x7' }, "Parameter 'qom-type' does not accept value 'user-creatable'"],
    [{ 'qom-type': 'dummy', id: 'x8', bv: 'yes' }, "Invalid parameter type for 'bv', expected: boolean"],
    [{ 'qom-type': 'dummy', id: 'x8', sv: 1 }, "Invalid parameter type for 'sv', expected: string"],
    [{ 'qom-type': 'dummy', id: 'x8', size: -1 }, "Invalid parameter type for 'size', expected: integer"],
    [{ 'qom-type': 'dummy', id: 'x8', size: 2n ** 64n }, "Invalid parameter type for 'size', expected: integer"],
    [{ 'qom-type': 'dummy', id: 'x8', size: 1.5 }, "Invalid parameter type for 'size', expected: integer"],
    [{ 'qom-type': 'dummy', id: 'x8', av: 'yeti' }, "Parameter 'av' does not accept value 'yeti'"],
  ])('rejects %s with QEMU\'s text', async (args, message) => {
    const before = children();
    const err = await rejection(objectAdd(args));
    expect(err.message).toBe(message);
    expect(err.code).toBe('LOOP_ERR_INVALID_PARAM');
    expect(err.qmpClass).toBe('GenericError');
    expect(children()).toEqual(before);
  });

  it.each(['0abc', 'a b', 'a,b', '', '_a', '-a', 'a/b', 'été'])('rejects the id %j', async (id) => {
    const err = await rejection(objectAdd({ 'qom-type': 'dummy', id }));
    expect(err.message).toBe("Parameter 'id' expects an identifier");
    expect(err.hint).toBe("Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
    expect(err.phase).toBe('create');
  });

  it.each(['a.b-c_D9', 'Z', 'x'.repeat(300)])('accepts the id %j', async (id) => {
    await objectAdd({ 'qom-type': 'dummy', id });
    expect(children()).toContain(id);
    await objectDel(id);
    expect(children()).not.toContain(id);
  });

  it('refuses a duplicate id and keeps the first object', async () => {
    await objectAdd({ 'qom-type': 'dummy', id: 'dup', sv: 'first' });
    const err = await rejection(objectAdd({ 'qom-type': 'dummy', id: 'dup', sv: 'second' }));
    expect(err.message).toBe("attempt to add duplicate property 'dup' to object (type 'container')");
    expect(err.code).toBe('LOOP_ERR_DUPLICATE');
    expect(qomGet('/objects/dup', 'sv')).toBe('first');
    await objectDel('dup');
  });

  it('leaves nothing behind when complete() fails, and finalizes the object', async () => {
    const before = children();
    const err = await rejection(objectAdd({ 'qom-type': 'dummy', id: 'broken', 'fail-complete': true }));
    expect(err.message).toBe('dummy refuses to complete');
    expect(children()).toEqual(before);
    // The id is free again.
    await objectAdd({ 'qom-type': 'dummy', id: 'broken' });
    await objectDel('broken');
  });
});

describe('object-del', () => {
  it.each(['nope', '', '/objects/io0', 'type'])('reports %j as not found', async (id) => {
    const err = await rejection(objectDel(id));
    expect(err.message).toBe(`object '${id}' not found`);
    expect(err.qmpClass).toBe('GenericError');
  });

  it('deletes once; the second delete is not found', async () => {
    await objectAdd({ 'qom-type': 'dummy', id: 'once' });
    await objectDel('once');
    expect((await rejection(objectDel('once'))).message).toBe("object 'once' not found");
  });
});

class Sticky extends QomObject implements UserCreatable {
  canBeDeleted(): boolean {
    return false;
  }
}

class Slow extends QomObject implements UserCreatable {
  seenId: string | undefined;
  release: (() => void) | undefined;
  async complete(): Promise<void> {
    this.seenId = userCreatableId(this);
    await new Promise<void>((resolve) => {
      this.release = resolve;
      slowStarted.push(this);
    });
  }
}
const slowStarted: Slow[] = [];

describe('user-creatable hooks', () => {
  beforeAll(() => {
    typeRegister({ name: 'sticky', parent: 'object', interfaces: ['user-creatable'], instanceClass: Sticky });
    typeRegister({ name: 'slow', parent: 'object', interfaces: ['user-creatable'], instanceClass: Slow });
  });

  it('refuses to delete an object whose canBeDeleted() says no', async () => {
    await objectAdd({ 'qom-type': 'sticky', id: 'ml0' });
    const err = await rejection(objectDel('ml0'));
    expect(err.message).toBe("object 'ml0' is in use, can not be deleted");
    expect(err.code).toBe('LOOP_ERR_IN_USE');
    expect(children()).toContain('ml0');
  });

  it('reserves the id while complete() runs, and shows the object only when complete', async () => {
    const pending = objectAdd({ 'qom-type': 'slow', id: 's1' });
    await new Promise((r) => setImmediate(r));
    expect(slowStarted).toHaveLength(1);
    expect(slowStarted[0]!.seenId).toBe('s1');
    expect(children()).not.toContain('s1');
    const err = await rejection(objectAdd({ 'qom-type': 'dummy', id: 's1' }));
    expect(err.message).toBe("attempt to add duplicate property 's1' to object (type 'container')");
    slowStarted[0]!.release!();
    await pending;
    expect(children()).toContain('s1');
    expect(qomGet('/objects/s1', 'type')).toBe('slow');
  });
});

describe('-object strings', () => {
  it('creates from the option syntax and from the JSON form', async () => {
    const a = await userCreatableProcessCmdline('dummy,id=c1,bv=yes,sv=Hiss hiss hiss,av=platypus,size=0x10');
    expect(a.kind).toBe('created');
    expect(qomGet('/objects/c1', 'bv')).toBe(true);
    expect(qomGet('/objects/c1', 'sv')).toBe('Hiss hiss hiss');
    expect(qomGet('/objects/c1', 'size')).toBe(16);
    await userCreatableProcessCmdline('{"qom-type":"dummy","id":"c2","size":18446744073709551615}');
    expect(qomGet('/objects/c2', 'size')).toBe(2n ** 64n - 1n);
    await objectDel('c1');
    await objectDel('c2');
  });

  it('lets the last value of a property win and the first id', async () => {
    const parsed = parseObjectOption('dummy,id=first,id=second,sv=a,sv=b');
    expect(parsed.kind).toBe('options');
    if (parsed.kind !== 'options') return;
    expect(parsed.options.id).toBe('first');
    expect(parsed.options.props.get('sv')).toBe('b');
  });

  it('refuses the same id in a second -object string, until the object is deleted', async () => {
    await userCreatableProcessCmdline('dummy,id=twice');
    const err = await rejection(userCreatableProcessCmdline('dummy,id=twice'));
    expect(err.message).toBe("Duplicate ID 'twice' for object");
    expect(err.phase).toBe('parse');
    await objectDel('twice');
    await userCreatableProcessCmdline('dummy,id=twice');
    await objectDel('twice');
  });

  it.each([
    ['dummy,id=o1,foo=bar', "Invalid parameter 'foo'"],
    ['dummy,id=o1,=5', "Invalid parameter ''"],
    ['=5', "Parameter 'qom-type' is missing"],
    ['dummy,=5', "Parameter 'id' is missing"],
    ['dummy,id=o1,=5,size=x', "Parameter 'size' expects a uint64 value"],
    ['dummy,sv=x', "Parameter 'id' is missing"],
    ['id=o1', "Parameter 'qom-type' is missing"],
    ['', "Parameter 'qom-type' is missing"],
    ['nosuchtype,id=x', "Parameter 'qom-type' does not accept value 'nosuchtype'"],
    ['dummy,id=o1,size=1k', "Parameter 'size' expects a uint64 value"],
    ['dummy,id=o1,av=yeti', "Parameter 'av' does not accept value 'yeti'"],
    ['{"qom-type":"dummy","id":"o1","size":"5"}', "Invalid parameter type for 'size', expected: integer"],
    ['{"qom-type":"dummy","id":"o1","foo":1}', "Parameter 'foo' is unexpected"],
    ['{"qom-type":"dummy","id":"o1"', 'JSON parse error, premature EOI'],
  ])('%j fails while parsing with %j', async (arg, message) => {
    const err = await rejection(userCreatableProcessCmdline(arg));
    expect(err.message).toBe(message);
    expect(err.phase).toBe('parse');
  });

  it('keeps the short-form boolean warnings, also on the error that follows them', async () => {
    const ok = parseObjectOption('dummy,id=w1,bv');
    expect(ok).toMatchObject({
      kind: 'options',
      warnings: ["short-form boolean option 'bv' deprecated", 'Please use bv=on instead'],
    });
    const err = await rejection(userCreatableProcessCmdline('dummy,id=w2,size'));
    expect(err.message).toBe("Parameter 'size' expects a uint64 value");
    expect((err as unknown as { warnings: string[] }).warnings).toEqual([
      "short-form boolean option 'size' deprecated",
      'Please use size=on instead',
    ]);
  });

  it('reports creation errors with phase create', async () => {
    const err = await rejection(userCreatableProcessCmdline('{"qom-type":"dummy","id":"a,b"}'));
    expect(err.message).toBe("Parameter 'id' expects an identifier");
    expect(err.phase).toBe('create');
    const err2 = await rejection(userCreatableProcessCmdline('dummy,id=fc,fail-complete=on'));
    expect(err2.message).toBe('dummy refuses to complete');
    expect(err2.phase).toBe('create');
    expect(children()).not.toContain('fc');
  });

  it('prints help for TYPE,help and help', async () => {
    expect(await userCreatableProcessCmdline('dummy,help')).toEqual({
      kind: 'help',
      text:
        'dummy options:\n' +
        '  av=<DummyAnimal>       -  (default: "frog")\n' +
        '  bv=<bool>\n' +
        '  fail-complete=<bool>\n' +
        '  size=<uint64>\n' +
        '  sv=<string>            - a string of no consequence\n',
      warnings: [],
    });
    const list = await userCreatableProcessCmdline('help');
    expect(list.kind).toBe('help');
    if (list.kind === 'help') {
      expect(list.text.startsWith('List of user creatable objects:\n')).toBe(true);
      expect(list.text).toContain('  dummy\n');
      expect(list.text).not.toContain('  user-creatable\n');
    }
    expect(await userCreatableProcessCmdline('?')).toEqual(list);
  });

  it('keeps /objects a container of the created objects', () => {
    expect(objectGetObjectsRoot().typename).toBe('container');
    expect(qomGet('/objects', 'type')).toBe('container');
  });
});
