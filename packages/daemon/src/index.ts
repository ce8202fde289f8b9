export { ArgumentError, CommandNotFoundError, DaemonError, QmpInputError, UsageError } from './errors.js';
export { Monitor, type MonitorOptions, type ShutdownReason } from './monitor.js';
export { checkArguments, type ArgSchema, type ArgSpec, type ArgType } from './qmp/args.js';
export {
  CommandQueue,
  dispatchRequest,
  encodeReply,
  errorBody,
  errorReply,
  QmpCommandTable,
  type CommandContext,
  type QmpCommandDef,
  type QmpErrorBody,
  type QmpMode,
  type QmpReply,
  type QmpSession,
} from './qmp/dispatch.js';
export { DEFAULT_TCP_HOST, parseQmpAddress, type QmpAddress } from './qmp/address.js';
export { DEFAULT_READER_LIMITS, QmpConnection, type ConnectionHost, type ConnectionOptions } from './qmp/connection.js';
export { qmpEvent, qmpGreeting, qmpTimestamp } from './qmp/messages.js';
export { QmpServer, type QmpServerOptions, type ServerHost } from './qmp/server.js';
export { BUILTIN_COMMANDS, registerBuiltinCommands } from './commands/index.js';
export { helpText, parseCommandLine, type CommandLine, type GivenOption } from './options.js';
export { loadPlugin, resolvePlugin, type LoopdPluginModule } from './plugin.js';
export { daemonVersion, qmpVersion, type QmpVersion } from './version.js';
