/**
 * The protocol's own commands: capabilities negotiation, the command list
 * and `quit`.
 *
 * @qemu monitor/qmp-cmds-control.c, qapi/control.json
 */
import { CommandNotFoundError } from '../errors.js';
import type { Monitor } from '../monitor.js';
import type { QmpCommandDef } from '../qmp/dispatch.js';

/** The capabilities a client may enable; the greeting offers the same list. */
export const QMP_CAPABILITIES = ['oob'] as const;

/**
 * `qmp_capabilities`: leaves negotiation mode, optionally enabling `oob`.
 * A second call gets CommandNotFound `Capabilities negotiation is already
 * complete, command ignored`.
 *
 * @qemu qmp_qmp_capabilities
 * @since 0.0.0
 */
export const qmpCapabilities: QmpCommandDef<Monitor> = {
  name: 'qmp_capabilities',
  args: [{ name: 'enable', type: { list: { enum: QMP_CAPABILITIES } }, optional: true }],
  modes: ['negotiation', 'command'],
  handler(args, { session }) {
    if (session.mode === 'command') {
      throw new CommandNotFoundError('Capabilities negotiation is already complete, command ignored');
    }
    const enable = (args.enable ?? []) as string[];
    session.oob = enable.includes('oob');
    session.mode = 'command';
    return {};
  },
};

/**
 * `query-commands`: `[{"name": ...}]` for every command available after
 * negotiation.
 *
 * @qemu qmp_query_commands
 * @since 0.0.0
 */
export const queryCommands: QmpCommandDef<Monitor> = {
  name: 'query-commands',
  handler: (_args, { monitor }) => monitor.commands.names('command').map((name) => ({ name })),
};

/**
 * `quit`: replies `{}`, then every client in command mode gets the
 * `SHUTDOWN` event (`{"guest": false, "reason": "host-qmp-quit"}`) and the
 * daemon shuts down.
 *
 * @qemu qmp_quit
 * @since 0.0.0
 */
export const quit: QmpCommandDef<Monitor> = {
  name: 'quit',
  handler(_args, { monitor }) {
    monitor.requestShutdown('host-qmp-quit');
    return {};
  },
};
