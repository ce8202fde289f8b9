/**
 * The commands every loopd has. Packages loaded later (iothreads, the main
 * loop, statistics) add theirs to the same table with
 * `monitor.commands.register(...)`.
 */
import type { Monitor } from '../monitor.js';
import type { QmpCommandDef, QmpCommandTable } from '../qmp/dispatch.js';
import { qmpCapabilities, queryCommands, quit } from './control.js';
import { queryIothreads, xIothreadSetAffinity, xQueryAioStats, xQueryThreadPools } from './iothreads.js';
import { objectAdd, objectDel } from './object.js';
import { qomGet, qomList, qomListProperties, qomListTypes, qomSet } from './qom.js';
import { queryName, queryStatus, queryVersion } from './status.js';

/**
 * The built-in commands, in the order `query-commands` lists them.
 *
 * @qemu none
 * @since 0.0.0
 */
export const BUILTIN_COMMANDS: readonly QmpCommandDef<Monitor>[] = [
  qmpCapabilities,
  queryCommands,
  queryVersion,
  queryStatus,
  queryName,
  objectAdd,
  objectDel,
  qomList,
  qomGet,
  qomSet,
  qomListTypes,
  qomListProperties,
  queryIothreads,
  xQueryAioStats,
  xQueryThreadPools,
  xIothreadSetAffinity,
  quit,
];

/**
 * Registers {@link BUILTIN_COMMANDS} in `table`.
 *
 * @qemu qmp_init_marshal
 * @since 0.0.0
 */
export function registerBuiltinCommands(table: QmpCommandTable<Monitor>): void {
  for (const def of BUILTIN_COMMANDS) table.register(def);
}
