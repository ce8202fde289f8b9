// `/objects` is created by the first thing that touches it, as in QEMU: an
// object-add that fails before its object is added leaves it absent (this
// file runs in a process of its own, so the tree starts fresh).
import { describe, expect, it } from 'vitest';
import { InvalidParameterError, objectAdd, objectDel, objectResolvePath, QomObject, typeRegister } from '../src/index.js';

class Picky extends QomObject {
  level = 0;
}

typeRegister<Picky>({
  name: 'picky',
  parent: 'object',
  interfaces: ['user-creatable'],
  instanceClass: Picky,
  classInit: (klass) => {
    klass.propertyAdd<Picky>({
      name: 'level',
      type: 'int',
      get: (o) => o.level,
      set: (o, v) => {
        if ((v as number) < 0) throw new InvalidParameterError('level value must be in range [0, 9223372036854775807]');
        o.level = v as number;
      },
    });
  },
});

function objectsRootExists(): boolean {
  return objectResolvePath('/objects').obj !== undefined;
}

describe('/objects is lazy', () => {
  it('stays absent after object-add fails on an id, a type or a property value', async () => {
    await expect(objectAdd({ 'qom-type': 'picky', id: '0bad' })).rejects.toThrow("Parameter 'id' expects an identifier");
    await expect(objectAdd({ 'qom-type': 'nosuch', id: 'p' })).rejects.toThrow("Parameter 'qom-type' does not accept value 'nosuch'");
    await expect(objectAdd({ 'qom-type': 'picky', id: 'p', level: 'x' })).rejects.toThrow("Invalid parameter type for 'level'");
    await expect(objectAdd({ 'qom-type': 'picky', id: 'p', level: -1 })).rejects.toThrow('level value must be in range');
    expect(objectsRootExists()).toBe(false);
  });

  it('appears with the first object, or with object-del of an unknown id', async () => {
    await expect(objectDel('nope')).rejects.toThrow("object 'nope' not found");
    expect(objectsRootExists()).toBe(true);
    await objectAdd({ 'qom-type': 'picky', id: 'p', level: 2 });
    expect(objectResolvePath('/objects/p').obj).toBeInstanceOf(Picky);
  });
});
