// Scenarios of QEMU's tests/unit/check-qom-proplist.c, written as our own
// code: creation with properties from code and from the option syntax,
// enum properties, property iteration, finalization of child trees,
// partial path resolution and property release.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  containerGet,
  objectGetRoot,
  objectNew,
  objectResolvePath,
  QomObject,
  qomList,
  typeRegister,
  userCreatableProcessCmdline,
  objectDel,
} from '../../src/index.js';
import { DummyObject, finalizeLog, registerDummy } from '../fixtures/dummy.js';

class DummyNode extends QomObject {
  label = '';
  protected override async finalize(): Promise<void> {
    finalizeLog.push(`${this.typename}:${this.label}`);
    await super.finalize();
  }
}

beforeAll(() => {
  registerDummy();
  typeRegister({ name: 'dummy-dev', parent: 'object', instanceClass: DummyNode });
  typeRegister({ name: 'dummy-bus', parent: 'object', instanceClass: DummyNode });
  typeRegister({ name: 'dummy-backend', parent: 'object', instanceClass: DummyNode });
});

describe('/qom/proplist', () => {
  it('createlist', async () => {
    const obj = objectNew<DummyObject>('dummy');
    await obj.propertyParse('bv', 'yes');
    await obj.propertyParse('sv', 'Hiss hiss hiss');
    await obj.propertyParse('av', 'platypus');
    const parent = containerGet(objectGetRoot(), 'proplist-test');
    parent.propertyAddChild('dummy0', obj);
    await obj.unref();
    expect(obj.bv).toBe(true);
    expect(obj.sv).toBe('Hiss hiss hiss');
    expect(obj.av).toBe('platypus');
    expect(objectResolvePath('/proplist-test/dummy0').obj).toBe(obj);
    await obj.unparent();
    expect(obj.finalized).toBe(true);
  });

  it('createcmdline', async () => {
    const made = await userCreatableProcessCmdline('dummy,id=dummy1,bv=yes,sv=Hiss hiss hiss,av=platypus');
    expect(made.kind).toBe('created');
    const obj = objectResolvePath('/objects/dummy1').obj as DummyObject;
    expect([obj.bv, obj.sv, obj.av]).toEqual([true, 'Hiss hiss hiss', 'platypus']);
    await objectDel('dummy1');
  });

  it('badenum', async () => {
    const obj = objectNew<DummyObject>('dummy');
    await expect(obj.propertyParse('av', 'yeti')).rejects.toThrow("Parameter 'av' does not accept value 'yeti'");
    await expect(obj.propertySet('av', 'yeti')).rejects.toThrow("Parameter 'av' does not accept value 'yeti'");
    expect(obj.av).toBe('frog');
    await obj.unref();
  });

  it('getenum', async () => {
    const obj = objectNew<DummyObject>('dummy');
    await obj.propertySet('av', 'alligator');
    expect(obj.propertyGet('av')).toBe('alligator');
    await obj.unref();
  });

  it('iterator: instance properties, then class properties from the root down', async () => {
    const obj = objectNew<DummyObject>('dummy');
    obj.propertyAdd({ name: 'extra', type: 'int', get: () => 7 });
    expect([...obj.properties()].map((p) => p.name)).toEqual(['extra', 'type', 'bv', 'sv', 'av', 'size', 'fail-complete']);
    await obj.unref();
  });

  it('class_iterator', () => {
    const obj = objectNew<DummyObject>('dummy');
    expect([...obj.objectClass.properties()].map((p) => p.name)).toEqual(['type', 'bv', 'sv', 'av', 'size', 'fail-complete']);
    void obj.unref();
  });

  it('delchild: unparenting a device finalizes its whole subtree, children first', async () => {
    finalizeLog.length = 0;
    const dev = objectNew<DummyNode>('dummy-dev');
    dev.label = 'dev0';
    const bus = objectNew<DummyNode>('dummy-bus');
    bus.label = 'bus0';
    const backend = objectNew<DummyNode>('dummy-backend');
    backend.label = 'backend0';
    const parent = containerGet(objectGetRoot(), 'delchild');
    parent.propertyAddChild('dev0', dev);
    dev.propertyAddChild('bus0', bus);
    bus.propertyAddChild('backend0', backend);
    await Promise.all([dev.unref(), bus.unref(), backend.unref()]);
    expect(backend.canonicalPath).toBe('/delchild/dev0/bus0/backend0');
    expect(qomList('/delchild/dev0')).toEqual([
      { name: 'bus0', type: 'child<dummy-bus>' },
      { name: 'type', type: 'string' },
    ]);
    await dev.unparent();
    expect(finalizeLog).toEqual(['dummy-backend:backend0', 'dummy-bus:bus0', 'dummy-dev:dev0']);
    expect(backend.canonicalPath).toBeUndefined();
    expect(objectResolvePath('/delchild/dev0').obj).toBeUndefined();
  });

  it('release: deleting a property runs its release hook', async () => {
    const obj = objectNew<DummyObject>('dummy');
    const released: string[] = [];
    obj.propertyAdd({ name: 'r', type: 'string', get: () => 'x', release: () => void released.push('r') });
    await obj.propertyDel('r');
    expect(released).toEqual(['r']);
    expect(obj.propertyFind('r')).toBeUndefined();
    obj.propertyAdd({ name: 'r2', type: 'string', get: () => 'x', release: () => void released.push('r2') });
    await obj.unref();
    expect(released).toEqual(['r', 'r2']);
  });
});

describe('/qom/resolve', () => {
  it('partial', async () => {
    // root
    //  +- resolve-a (container)
    //  |   +- cont1 (container)
    //  |   |   +- leaf
    //  |   +- other
    //  +- resolve-b
    //      +- leaf
    const root = objectGetRoot();
    const cont1 = containerGet(root, 'resolve-a/cont1');
    const leaf1 = objectNew<DummyNode>('dummy-dev');
    cont1.propertyAddChild('leaf', leaf1);
    void leaf1.unref();
    const other = objectNew<DummyNode>('dummy-bus');
    containerGet(root, 'resolve-a').propertyAddChild('other', other);
    void other.unref();
    const leaf2 = objectNew<DummyNode>('dummy-backend');
    containerGet(root, 'resolve-b').propertyAddChild('leaf', leaf2);
    void leaf2.unref();

    expect(objectResolvePath('cont1/leaf').obj).toBe(leaf1);
    expect(objectResolvePath('resolve-b/leaf').obj).toBe(leaf2);
    expect(objectResolvePath('other').obj).toBe(other);
    expect(objectResolvePath('leaf')).toEqual({ obj: undefined, ambiguous: true });
    // A type narrows an ambiguous path down to one object.
    expect(objectResolvePath('leaf', 'dummy-backend').obj).toBe(leaf2);
    expect(objectResolvePath('', 'dummy-bus').obj).toBe(other);
    expect(objectResolvePath('').ambiguous).toBe(true);
    expect(objectResolvePath('no-such-leaf')).toEqual({ obj: undefined, ambiguous: false });
    // Absolute paths skip empty components.
    expect(objectResolvePath('//resolve-a//cont1/leaf/').obj).toBe(leaf1);
    expect(objectResolvePath('/resolve-a/cont1/leaf/type').obj).toBeUndefined();
    expect(objectResolvePath('/').obj).toBe(root);
  });
});
