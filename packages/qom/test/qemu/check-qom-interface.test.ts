// Scenarios of QEMU's tests/unit/check-qom-interface.c, in our own code: an
// interface implemented directly by a type and inherited by a subtype, with
// casts by interface name and the interface's behaviour reached through it.
import { describe, expect, it } from 'vitest';
import { objectClassByName, objectClassDynamicCast, objectNew, QomObject, typeRegister } from '../../src/index.js';

/** The TypeScript face of the `test-interface` QOM interface. */
interface TestIf {
  test(): number;
}

function isTestIf(obj: QomObject): obj is QomObject & TestIf {
  return obj.isA('test-interface') && typeof (obj as Partial<TestIf>).test === 'function';
}

class DirectImpl extends QomObject implements TestIf {
  test(): number {
    return 42;
  }
}
class IntermediateImpl extends DirectImpl {}

typeRegister({ name: 'test-interface', parent: 'interface' });
typeRegister({ name: 'direct-impl', parent: 'object', interfaces: ['test-interface'], instanceClass: DirectImpl });
typeRegister({ name: 'intermediate-impl', parent: 'direct-impl', instanceClass: IntermediateImpl });

describe('/qom/interface', () => {
  it('direct_impl', async () => {
    const obj = objectNew('direct-impl');
    expect(obj.isA('test-interface')).toBe(true);
    expect(isTestIf(obj) && obj.test()).toBe(42);
    await obj.unref();
  });

  it('intermediate_impl', async () => {
    const obj = objectNew('intermediate-impl');
    expect(obj.isA('test-interface')).toBe(true);
    expect(objectClassDynamicCast(obj.objectClass, 'test-interface')).toBe(obj.objectClass);
    expect(isTestIf(obj) && obj.test()).toBe(42);
    await obj.unref();
  });

  it('is abstract and not an object type', () => {
    const iface = objectClassByName('test-interface')!;
    expect(iface.isInterface).toBe(true);
    expect(iface.abstract).toBe(true);
    expect(iface.isA('object')).toBe(false);
    expect(() => objectNew('test-interface')).toThrow("object type 'test-interface' is abstract");
    expect(objectClassDynamicCast(objectClassByName('container')!, 'test-interface')).toBeUndefined();
  });
});
