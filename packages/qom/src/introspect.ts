/**
 * The QOM commands of QMP as functions: each takes the command's arguments
 * and returns (or resolves to) the command's result in QMP's shape, so a
 * monitor can put it on the wire unchanged.
 */
import { AmbiguousPathError, InvalidParameterError, ObjectNotFoundError } from './errors.js';
import type { QomObject } from './object.js';
import type { Property } from './property.js';
import { jsonSchemaOfKind, type PropertyValue } from './property-types.js';
import { objectResolvePath } from './tree.js';
import { objectClassByName, objectClassGetList, objectNew } from './type-registry.js';
import { creatableProperties } from './user-creatable.js';

/** One entry of `qom-list`. @qemu ObjectPropertyInfo */
export interface ObjectPropertyInfo {
  name: string;
  type: string;
  description?: string;
  'default-value'?: PropertyValue;
}

/** One entry of `qom-list-types`. @qemu ObjectTypeInfo */
export interface ObjectTypeInfo {
  name: string;
  abstract?: true;
  parent?: string;
}

function resolveForList(path: string): QomObject {
  const { obj, ambiguous } = objectResolvePath(path);
  if (obj) return obj;
  if (ambiguous) throw new AmbiguousPathError(`Path '${path}' is ambiguous`);
  throw new ObjectNotFoundError(`Device '${path}' not found`);
}

function resolveForAccess(path: string): QomObject {
  const { obj } = objectResolvePath(path);
  if (!obj) throw new ObjectNotFoundError(`Device '${path}' not found`);
  return obj;
}

/**
 * QMP `qom-list`: the properties of the object at `path`.
 *
 * @qemu qmp_qom_list
 * @since 0.1.0
 */
export function qomList(path: string): ObjectPropertyInfo[] {
  const obj = resolveForList(path);
  return [...obj.properties()].map((p) => ({ name: p.name, type: p.type }));
}

/**
 * QMP `qom-get`: one property's value (integers as `number` or `bigint`,
 * child and link properties as paths).
 *
 * @qemu qmp_qom_get
 * @since 0.1.0
 */
export function qomGet(path: string, property: string): PropertyValue {
  return resolveForAccess(path).propertyGet(property);
}

/**
 * QMP `qom-set`: writes a property from a JSON value. Resolves to `{}`.
 *
 * @qemu qmp_qom_set
 * @since 0.1.0
 */
export async function qomSet(path: string, property: string, value: unknown): Promise<Record<string, never>> {
  await resolveForAccess(path).propertySet(property, value);
  return {};
}

/**
 * QMP `qom-list-types`: registered types, optionally only those that are (or
 * implement) `implements`; abstract ones only when `abstract` is true.
 *
 * @qemu qmp_qom_list_types
 * @since 0.1.0
 */
export function qomListTypes(args: { implements?: string; abstract?: boolean } = {}): ObjectTypeInfo[] {
  return objectClassGetList(args.implements, args.abstract ?? false).map((k) => {
    const info: ObjectTypeInfo = { name: k.name };
    if (k.abstract) info.abstract = true;
    if (k.parent) info.parent = k.parent.name;
    return info;
  });
}

function propertyInfo(p: Property): ObjectPropertyInfo {
  const info: ObjectPropertyInfo = { name: p.name, type: p.type };
  if (p.description !== undefined) info.description = p.description;
  if (p.defaultValue !== undefined) info['default-value'] = p.defaultValue;
  return info;
}

/**
 * QMP `qom-list-properties`: the properties of a type: for an abstract type
 * its class properties, otherwise those of a temporary instance (which is
 * created and released again: instance setup must not start anything).
 *
 * @qemu qmp_qom_list_properties
 * @since 0.1.0
 */
export function qomListProperties(typename: string): ObjectPropertyInfo[] {
  const klass = objectClassByName(typename);
  if (!klass) throw new ObjectNotFoundError(`Class '${typename}' not found`);
  if (!klass.isA('object')) throw new InvalidParameterError(`Parameter 'typename' expects a QOM type`);
  if (klass.abstract) return [...klass.properties()].map(propertyInfo);
  const obj = objectNew(typename);
  try {
    return [...obj.properties()].map(propertyInfo);
  } finally {
    void obj.unref();
  }
}

/**
 * The JSON Schema of a user-creatable type's creation arguments (what
 * `object-add` accepts for it), generated from its property kinds.
 *
 * @qemu none
 * @since 0.1.0
 */
export function typeJsonSchema(typename: string): Record<string, unknown> {
  const klass = objectClassByName(typename);
  if (!klass) throw new ObjectNotFoundError(`Class '${typename}' not found`);
  const properties: Record<string, unknown> = {
    'qom-type': { const: typename },
    id: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9._-]*$' },
  };
  for (const p of creatableProperties(klass)) {
    const schema: Record<string, unknown> = p.kind ? jsonSchemaOfKind(p.kind) : {};
    if (p.description !== undefined) schema.description = p.description;
    if (p.defaultValue !== undefined) schema.default = p.defaultValue;
    schema['x-qom-type'] = p.type;
    properties[p.name] = schema;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: typename,
    type: 'object',
    properties,
    required: ['qom-type', 'id'],
    additionalProperties: false,
  };
}
