/**
 * The QOM introspection commands: `qom-list`, `qom-get`, `qom-set`,
 * `qom-list-types`, `qom-list-properties`, with their argument schemas in
 * QEMU's member order.
 *
 * @qemu qom/qom-qmp-cmds.c, qapi/qom.json
 */
import { qomGet as get, qomList as list, qomListProperties as listProperties, qomListTypes as listTypes, qomSet as set } from '@loop/qom';
import type { Monitor } from '../monitor.js';
import type { QmpCommandDef } from '../qmp/dispatch.js';

/**
 * `qom-list`: the properties of the object at `path`.
 *
 * @qemu qmp_qom_list
 * @since 0.0.0
 */
export const qomList: QmpCommandDef<Monitor> = {
  name: 'qom-list',
  args: [{ name: 'path', type: 'str' }],
  handler: (args) => list(args.path as string),
};

/**
 * `qom-get`: one property's value (64-bit integers exact).
 *
 * @qemu qmp_qom_get
 * @since 0.0.0
 */
export const qomGet: QmpCommandDef<Monitor> = {
  name: 'qom-get',
  args: [
    { name: 'path', type: 'str' },
    { name: 'property', type: 'str' },
  ],
  handler: (args) => get(args.path as string, args.property as string),
};

/**
 * `qom-set`: writes one property; `value` is any JSON value, checked by the property.
 *
 * @qemu qmp_qom_set
 * @since 0.0.0
 */
export const qomSet: QmpCommandDef<Monitor> = {
  name: 'qom-set',
  args: [
    { name: 'path', type: 'str' },
    { name: 'property', type: 'str' },
    { name: 'value', type: 'any' },
  ],
  handler: (args) => set(args.path as string, args.property as string, args.value),
};

/**
 * `qom-list-types`: registered types, filtered by `implements`; abstract
 * ones only with `abstract: true`.
 *
 * @qemu qmp_qom_list_types
 * @since 0.0.0
 */
export const qomListTypes: QmpCommandDef<Monitor> = {
  name: 'qom-list-types',
  args: [
    { name: 'implements', type: 'str', optional: true },
    { name: 'abstract', type: 'bool', optional: true },
  ],
  handler(args) {
    const filter: { implements?: string; abstract?: boolean } = {};
    if (args.implements !== undefined) filter.implements = args.implements as string;
    if (args.abstract !== undefined) filter.abstract = args.abstract as boolean;
    return listTypes(filter);
  },
};

/**
 * `qom-list-properties`: the properties of a type.
 *
 * @qemu qmp_qom_list_properties
 * @since 0.0.0
 */
export const qomListProperties: QmpCommandDef<Monitor> = {
  name: 'qom-list-properties',
  args: [{ name: 'typename', type: 'str' }],
  handler: (args) => listProperties(args.typename as string),
};
