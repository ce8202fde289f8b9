import { describe, expect, it } from 'vitest';
import {
  objectClassByName,
  objectClassDynamicCast,
  objectClassGetList,
  objectNew,
  QomObject,
  qomListTypes,
  typeExists,
  typeRegister,
} from '../src/index.js';

class Animal extends QomObject {
  legs = 4;
}
class Bird extends Animal {
  override legs = 2;
}
class Stone {}

typeRegister({ name: 'test-flyer', parent: 'interface' });
typeRegister({ name: 'test-animal', parent: 'object', abstract: true, instanceClass: Animal });
// Registered before its parent: classes are built lazily, parent first.
typeRegister({ name: 'test-parrot', parent: 'test-bird' });
typeRegister({ name: 'test-bird', parent: 'test-animal', interfaces: ['test-flyer'], instanceClass: Bird });

describe('type registry', () => {
  it('looks types up by name and builds classes lazily, parent first', () => {
    expect(typeExists('test-parrot')).toBe(true);
    const parrot = objectClassByName('test-parrot')!;
    expect(parrot.parent!.name).toBe('test-bird');
    expect(parrot.parent!.parent!.name).toBe('test-animal');
    expect(parrot.instanceClass).toBe(Bird);
    expect(objectClassByName('no-such-type')).toBeUndefined();
  });

  it('answers is-a and dynamic casts by type and by interface', () => {
    const bird = objectClassByName('test-bird')!;
    expect(bird.isA('test-bird')).toBe(true);
    expect(bird.isA('test-animal')).toBe(true);
    expect(bird.isA('object')).toBe(true);
    expect(bird.isA('test-flyer')).toBe(true);
    expect(bird.isA('container')).toBe(false);
    // Interfaces are inherited by subclasses.
    expect(objectClassByName('test-parrot')!.isA('test-flyer')).toBe(true);
    expect(objectClassDynamicCast(bird, 'test-flyer')).toBe(bird);
    expect(objectClassDynamicCast(bird, 'container')).toBeUndefined();
    expect(objectClassDynamicCast(bird, 'never-registered')).toBeUndefined();
    const obj = objectNew('test-parrot');
    expect(obj).toBeInstanceOf(Bird);
    expect(obj.typename).toBe('test-parrot');
    expect(obj.isA('test-flyer')).toBe(true);
    void obj.unref();
  });

  it('lists with abstract and implements filters', () => {
    const names = (impl: string | undefined, abs: boolean): string[] =>
      objectClassGetList(impl, abs).map((k) => k.name).filter((n) => n.startsWith('test-'));
    expect(names('test-animal', false).sort()).toEqual(['test-bird', 'test-parrot']);
    expect(names('test-animal', true).sort()).toEqual(['test-animal', 'test-bird', 'test-parrot']);
    expect(names('test-flyer', false).sort()).toEqual(['test-bird', 'test-parrot']);
    expect(names('test-flyer', true).sort()).toEqual(['test-bird', 'test-flyer', 'test-parrot']);
    expect(qomListTypes({ implements: 'test-animal', abstract: true })).toEqual([
      { name: 'test-animal', abstract: true, parent: 'object' },
      { name: 'test-parrot', parent: 'test-bird' },
      { name: 'test-bird', parent: 'test-animal' },
    ]);
    expect(qomListTypes({ implements: 'no-such-type' })).toEqual([]);
    expect(qomListTypes({ implements: '' })).toEqual([]);
    const all = qomListTypes({ abstract: true });
    expect(all).toContainEqual({ name: 'object', abstract: true });
    expect(qomListTypes()).not.toContainEqual(expect.objectContaining({ name: 'object' }));
    expect(all).toContainEqual({ name: 'interface', abstract: true });
    expect(all).toContainEqual({ name: 'user-creatable', abstract: true, parent: 'interface' });
    expect(qomListTypes()).not.toContainEqual(expect.objectContaining({ name: 'interface' }));
  });

  it('refuses to instantiate abstract and unknown types', () => {
    expect(() => objectNew('test-animal')).toThrow("object type 'test-animal' is abstract");
    expect(() => objectNew('test-flyer')).toThrow("object type 'test-flyer' is abstract");
    expect(() => objectNew('nope')).toThrow('invalid object type: nope');
    expect(() => new Animal()).toThrow("object type 'test-animal' is abstract");
  });

  it('refuses duplicate registration and bad names', () => {
    expect(() => typeRegister({ name: 'test-bird', parent: 'object' })).toThrow("Registering `test-bird' which already exists");
    expect(() => typeRegister({ name: '0abc', parent: 'object' })).toThrow("Registering '0abc' with illegal type name");
    expect(() => typeRegister({ name: 'a b', parent: 'object' })).toThrow("Registering 'a b' with illegal type name");
    try {
      typeRegister({ name: 'test-bird', parent: 'object' });
    } catch (err) {
      expect((err as { code: string }).code).toBe('LOOP_ERR_QOM_TYPE');
    }
  });

  it('reports a missing parent or interface when the class is built', () => {
    typeRegister({ name: 'test-orphan', parent: 'test-missing-parent' });
    expect(() => objectClassByName('test-orphan')).toThrow("Type 'test-orphan' is missing its parent 'test-missing-parent'");
    typeRegister({ name: 'test-noiface', parent: 'object', interfaces: ['test-missing-iface'] });
    expect(() => objectClassByName('test-noiface')).toThrow("missing interface 'test-missing-iface' for object 'test-noiface'");
  });

  it('requires a type class to extend its parent type class', () => {
    typeRegister({ name: 'test-stone', parent: 'test-bird', instanceClass: Stone as never });
    expect(() => objectClassByName('test-stone')).toThrow('class Stone of type \'test-stone\' must extend Bird');
  });
});
