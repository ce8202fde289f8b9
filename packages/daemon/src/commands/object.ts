/**
 * `object-add` and `object-del`, on top of @loop/qom's user-creatable
 * objects. object-add's arguments depend on `qom-type`, so the command
 * takes them boxed and @loop/qom checks them with QEMU's texts.
 *
 * @qemu qom/qom-qmp-cmds.c (qmp_object_add, qmp_object_del)
 */
import { objectAdd as qomObjectAdd, objectDel as qomObjectDel } from '@loop/qom';
import type { Monitor } from '../monitor.js';
import type { QmpCommandDef } from '../qmp/dispatch.js';

/**
 * `object-add`: creates a user-creatable object under `/objects`.
 *
 * @qemu qmp_object_add
 * @since 0.0.0
 */
export const objectAdd: QmpCommandDef<Monitor> = {
  name: 'object-add',
  args: 'boxed',
  handler: (args) => qomObjectAdd(args),
};

/**
 * `object-del`: deletes `/objects/<id>` (ids only, not paths).
 *
 * @qemu qmp_object_del
 * @since 0.0.0
 */
export const objectDel: QmpCommandDef<Monitor> = {
  name: 'object-del',
  args: [{ name: 'id', type: 'str' }],
  handler: (args) => qomObjectDel(args.id as string),
};
