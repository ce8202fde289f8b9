import { beforeAll, describe, expect, it } from 'vitest';
import {
  containerGet,
  objectGetRoot,
  objectNew,
  objectPropertyAddLink,
  QomObject,
  qomGet,
  qomList,
  qomListProperties,
  qomSet,
  typeJsonSchema,
  typeRegister,
} from '../src/index.js';
import { QFloat } from '../src/json-value.js';
import { DummyObject, registerDummy } from './fixtures/dummy.js';

class Wide extends QomObject {
  values: Record<string, unknown> = {};
}

const INT_TYPES = ['int', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'] as const;

beforeAll(() => {
  registerDummy();
  typeRegister({
    name: 'wide',
    parent: 'object',
    instanceClass: Wide,
    classInit: (klass) => {
      for (const t of [...INT_TYPES, 'number', 'bool', 'string']) {
        klass.propertyAdd<Wide>({
          name: `p-${t}`,
          type: t,
          get: (o) => (o.values[t] ?? 0) as number,
          set: (o, v) => {
            o.values[t] = v;
          },
        });
      }
    },
  });
});

async function err(p: Promise<unknown> | (() => unknown)): Promise<Error & { code: string; qmpClass: string }> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    return e as Error & { code: string; qmpClass: string };
  }
  throw new Error('expected an error');
}

describe('property access errors', () => {
  it('uses QEMU\'s texts for missing, unreadable and unwritable properties', async () => {
    const obj = objectNew<DummyObject>('dummy');
    obj.propertyAdd({ name: 'wo', type: 'int', set: () => {} });
    const missing = await err(() => obj.propertyGet('nope'));
    expect(missing.message).toBe("Property 'dummy.nope' not found");
    expect(missing.code).toBe('LOOP_ERR_PROPERTY_NOT_FOUND');
    expect((await err(obj.propertySet('nope', 1))).message).toBe("Property 'dummy.nope' not found");
    expect((await err(() => obj.propertyGet('wo'))).message).toBe("Property 'dummy.wo' is not readable");
    const ro = await err(obj.propertySet('type', 'x'));
    expect(ro.message).toBe("Property 'dummy.type' is not writable");
    expect(ro.code).toBe('LOOP_ERR_PROPERTY_ACCESS');
    await obj.unref();
  });

  it('refuses duplicate instance properties and numbers [*] names', async () => {
    const obj = objectNew<DummyObject>('dummy');
    expect(() => obj.propertyAdd({ name: 'bv', type: 'bool' })).toThrow(
      "attempt to add duplicate property 'bv' to object (type 'dummy')",
    );
    expect(obj.propertyAdd({ name: 'slot[*]', type: 'int' }).name).toBe('slot[0]');
    expect(obj.propertyAdd({ name: 'slot[*]', type: 'int' }).name).toBe('slot[1]');
    await obj.propertyDel('slot[0]');
    expect(obj.propertyAdd({ name: 'slot[*]', type: 'int' }).name).toBe('slot[0]');
    await obj.unref();
  });
});

describe('64-bit integers', () => {
  it('keeps INT64_MAX, INT64_MIN and UINT64_MAX exact, as number when safe and bigint beyond', async () => {
    const obj = objectNew<Wide>('wide');
    await obj.propertySet('p-int', 9223372036854775807n);
    expect(obj.propertyGet('p-int')).toBe(9223372036854775807n);
    await obj.propertySet('p-int', -(2n ** 63n));
    expect(obj.propertyGet('p-int')).toBe(-(2n ** 63n));
    await obj.propertySet('p-uint64', 2n ** 64n - 1n);
    expect(obj.propertyGet('p-uint64')).toBe(18446744073709551615n);
    await obj.propertySet('p-int', 5n);
    expect(obj.propertyGet('p-int')).toBe(5);
    await obj.propertySet('p-int', 2 ** 60);
    expect(obj.propertyGet('p-int')).toBe(2n ** 60n);
    await obj.propertySet('p-int', Number.MAX_SAFE_INTEGER);
    expect(obj.propertyGet('p-int')).toBe(Number.MAX_SAFE_INTEGER);
    await obj.propertyParse('p-int', '9223372036854775807');
    expect(obj.propertyGet('p-int')).toBe(9223372036854775807n);
    await obj.propertyParse('p-int', '0x7fffffffffffffff');
    expect(obj.propertyGet('p-int')).toBe(9223372036854775807n);
    await obj.unref();
  });

  it.each([
    ['p-int', 2n ** 63n],
    ['p-int', 2 ** 63],
    ['p-int', -(2n ** 63n) - 1n],
    ['p-uint64', -1],
    ['p-uint64', 2n ** 64n],
    ['p-int8', 128],
    ['p-uint8', 256],
    ['p-int32', 2 ** 31],
    ['p-uint32', -1],
    ['p-int', 1.5],
    ['p-int', new QFloat(2)],
    ['p-int', '100'],
    ['p-int', true],
    ['p-int', null],
    ['p-int', {}],
    ['p-int', []],
  ])('rejects %s = %s on the JSON path', async (name, value) => {
    const obj = objectNew<Wide>('wide');
    const e = await err(obj.propertySet(name, value));
    expect(e.message).toBe(`Invalid parameter type for '${name}', expected: integer`);
    expect(e.code).toBe('LOOP_ERR_INVALID_PARAM');
    expect(obj.values).toEqual({});
    await obj.unref();
  });

  it('checks bool, string and number on the JSON path', async () => {
    const obj = objectNew<Wide>('wide');
    expect((await err(obj.propertySet('p-bool', 'on'))).message).toBe("Invalid parameter type for 'p-bool', expected: boolean");
    expect((await err(obj.propertySet('p-string', 1))).message).toBe("Invalid parameter type for 'p-string', expected: string");
    expect((await err(obj.propertySet('p-number', 'x'))).message).toBe("Invalid parameter type for 'p-number', expected: number");
    await obj.propertySet('p-number', new QFloat(2.5));
    expect(obj.values.number).toBe(2.5);
    await obj.propertyParse('p-bool', 'yes');
    expect(obj.values.bool).toBe(true);
    await obj.unref();
  });

  it('checks narrow integer types on the string path', async () => {
    const obj = objectNew<Wide>('wide');
    expect((await err(obj.propertyParse('p-uint8', '256'))).message).toBe("Parameter 'p-uint8' expects uint8_t");
    expect((await err(obj.propertyParse('p-int8', '-129'))).message).toBe("Parameter 'p-int8' expects int8_t");
    expect((await err(obj.propertyParse('p-int', '1k'))).message).toBe("Parameter 'p-int' expects an int64 value");
    await obj.propertyParse('p-uint16', '0xffff');
    expect(obj.values.uint16).toBe(65535);
    await obj.unref();
  });
});

describe('links', () => {
  it('reads as the target path, resolves, and checks writes', async () => {
    const holder = containerGet(objectGetRoot(), 'links');
    const target = objectNew<DummyObject>('dummy');
    holder.propertyAddChild('target', target);
    await target.unref();
    const user = objectNew<DummyObject>('dummy');
    holder.propertyAddChild('user', user);
    await user.unref();
    const link = objectPropertyAddLink(user, 'peer', 'dummy', { strong: true, check: () => {} });
    expect(qomGet('/links/user', 'peer')).toBe('');
    await qomSet('/links/user', 'peer', '/links/target');
    expect(link.target()).toBe(target);
    expect(target.refCount).toBe(2);
    expect(qomGet('/links/user', 'peer')).toBe('/links/target');
    expect(qomList('/links/user')).toContainEqual({ name: 'peer', type: 'link<dummy>' });
    expect(qomGet('/links/user/peer', 'sv')).toBe('');
    expect((await err(qomSet('/links/user', 'peer', '/links/nothing'))).message).toBe("Device '/links/nothing' not found");
    expect((await err(qomSet('/links/user', 'peer', '/links'))).message).toBe("Invalid parameter type for 'peer', expected: dummy");
    await qomSet('/links/user', 'peer', '');
    expect(link.target()).toBeUndefined();
    expect(target.refCount).toBe(1);
  });

  it('is read-only without a check', async () => {
    const obj = objectNew<DummyObject>('dummy');
    objectPropertyAddLink(obj, 'fixed', 'dummy');
    expect((await err(obj.propertySet('fixed', ''))).message).toBe("Property 'dummy.fixed' is not writable");
    await obj.unref();
  });
});

describe('introspection', () => {
  it('lists the properties of a type with description and default', () => {
    expect(qomListProperties('dummy')).toEqual([
      { name: 'type', type: 'string' },
      { name: 'bv', type: 'bool' },
      { name: 'sv', type: 'string', description: 'a string of no consequence' },
      { name: 'av', type: 'DummyAnimal', 'default-value': 'frog' },
      { name: 'size', type: 'uint64' },
      { name: 'fail-complete', type: 'bool' },
    ]);
    expect(qomListProperties('object')).toEqual([{ name: 'type', type: 'string' }]);
    expect(qomListProperties('container')).toEqual([{ name: 'type', type: 'string' }]);
  });

  it('uses QEMU\'s errors for unknown types and interfaces', async () => {
    const unknown = await err(() => qomListProperties('no-such-type'));
    expect(unknown.message).toBe("Class 'no-such-type' not found");
    expect(unknown.qmpClass).toBe('DeviceNotFound');
    expect((await err(() => qomListProperties(''))).message).toBe("Class '' not found");
    const iface = await err(() => qomListProperties('user-creatable'));
    expect(iface.message).toBe("Parameter 'typename' expects a QOM type");
    expect(iface.qmpClass).toBe('GenericError');
  });

  it('uses QEMU\'s errors for bad paths', async () => {
    const nf = await err(() => qomList('/no/such'));
    expect(nf.message).toBe("Device '/no/such' not found");
    expect(nf.qmpClass).toBe('DeviceNotFound');
    const amb = await err(() => qomList(''));
    expect(amb.message).toBe("Path '' is ambiguous");
    expect(amb.qmpClass).toBe('GenericError');
    expect((await err(() => qomGet('', 'type'))).message).toBe("Device '' not found");
    expect((await err(qomSet('/nope', 'type', 1))).message).toBe("Device '/nope' not found");
  });

  it('hands out the JSON Schema of a creatable type', () => {
    const schema = typeJsonSchema('dummy') as { properties: Record<string, Record<string, unknown>>; required: string[] };
    expect(schema.required).toEqual(['qom-type', 'id']);
    expect(schema.properties.size).toMatchObject({ type: 'integer', format: 'uint64', minimum: 0, 'x-qom-type': 'uint64' });
    expect(schema.properties.bv).toMatchObject({ type: 'boolean' });
    expect(schema.properties.av).toMatchObject({ default: 'frog' });
    expect(schema.properties.type).toBeUndefined();
  });
});
