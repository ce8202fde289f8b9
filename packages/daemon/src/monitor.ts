/**
 * The monitor: what ties the QMP servers, the command table and the
 * command queue of one daemon together, and what commands talk to when they
 * need more than their arguments (events, shutdown, the list of commands).
 *
 * **Lifecycle**
 *
 * ```mermaid
 * stateDiagram-v2
 *   [*] --> serving: new Monitor(), listen()
 *   serving --> shuttingDown: quit (requestShutdown) or close()
 *   shuttingDown --> closed: servers closed, clients flushed, sockets removed
 * ```
 *
 * - *serving*: every `listen()` adds a server; clients of all servers share
 *   one queue.
 * - *shuttingDown*: `requestShutdown(reason)` queues, ahead of everything
 *   waiting, a job that sends `SHUTDOWN` to every client in command mode
 *   and then emits `'shutdown'`; the owner (the CLI) then calls `close()`.
 * - *closed*: `close()` stopped the servers, flushed and closed every
 *   client and removed the unix sockets. It is idempotent.
 *
 * @qemu monitor/monitor.c, monitor/qmp.c
 */
import { EventEmitter } from 'node:events';
import type { JsonObject, JsonReaderLimits, JsonValue } from '@loop/qom';
import { registerBuiltinCommands } from './commands/index.js';
import { CommandQueue, dispatchRequest, QmpCommandTable, type QmpReply } from './qmp/dispatch.js';
import type { QmpAddress } from './qmp/address.js';
import type { QmpConnection } from './qmp/connection.js';
import { qmpEvent, qmpGreeting } from './qmp/messages.js';
import { QmpServer, type ServerHost } from './qmp/server.js';
import { qmpVersion, type QmpVersion } from './version.js';

/**
 * Monitor settings.
 *
 * @since 0.0.0
 */
export interface MonitorOptions {
  /** The version in the greeting and `query-version`; default the package's ({@link qmpVersion}). */
  readonly version?: QmpVersion;
  /** Bounds of one pending request per client; default `DEFAULT_READER_LIMITS`. */
  readonly readerLimits?: JsonReaderLimits;
  /** Requests of one client waiting for replies before its reading pauses. Default 16. */
  readonly maxPending?: number;
  /** Clients per server at once. Default 64. */
  readonly maxConnections?: number;
  /** Register the built-in commands (default true). */
  readonly builtinCommands?: boolean;
}

/** Why the daemon shuts down, as the SHUTDOWN event's `reason` says it. @qemu ShutdownCause */
export type ShutdownReason = 'host-qmp-quit' | 'host-signal' | 'host-error';

/**
 * Events: `'shutdown'` (reason) once a shutdown was requested and the
 * SHUTDOWN event went out.
 *
 * @qemu Monitor (monitor/monitor-internal.h)
 * @since 0.0.0
 */
export class Monitor extends EventEmitter<{ shutdown: [ShutdownReason] }> implements ServerHost {
  /** The commands clients can run; later packages register theirs here. */
  readonly commands = new QmpCommandTable<Monitor>();
  /** The one queue every client's requests go through. */
  readonly queue = new CommandQueue();
  readonly version: QmpVersion;
  readonly #options: MonitorOptions;
  readonly #servers: QmpServer[] = [];
  readonly #connections = new Set<QmpConnection>();
  #shutdownRequested: ShutdownReason | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: MonitorOptions = {}) {
    super();
    this.#options = options;
    this.version = options.version ?? qmpVersion();
    if (options.builtinCommands !== false) registerBuiltinCommands(this.commands);
  }

  /**
   * Starts a QMP server on `address`.
   *
   * @throws {UsageError} `LOOP_ERR_USAGE` when the address cannot be bound.
   */
  async listen(address: QmpAddress): Promise<QmpServer> {
    const server = await QmpServer.listen(address, this, {
      readerLimits: this.#options.readerLimits,
      maxPending: this.#options.maxPending,
      maxConnections: this.#options.maxConnections,
    });
    this.#servers.push(server);
    return server;
  }

  /** The servers started so far. */
  get servers(): readonly QmpServer[] {
    return this.#servers;
  }

  /** The reason given to {@link requestShutdown}, once it was called. */
  get shutdownReason(): ShutdownReason | undefined {
    return this.#shutdownRequested;
  }

  /**
   * Sends an event to every client in command mode.
   *
   * @qemu monitor_qapi_event_emit
   */
  emitEvent(event: string, data?: JsonObject): void {
    const message = qmpEvent(event, data);
    for (const connection of this.#connections) connection.sendEvent(message);
  }

  /**
   * Asks the daemon to shut down: right after the running command (whose
   * reply goes out first), `SHUTDOWN` is sent and `'shutdown'` emitted.
   * Later calls do nothing.
   *
   * @qemu qemu_system_shutdown_request
   */
  requestShutdown(reason: ShutdownReason): void {
    if (this.#shutdownRequested) return;
    this.#shutdownRequested = reason;
    this.queue.pushFront(() => {
      this.emitEvent('SHUTDOWN', { guest: false, reason });
      this.emit('shutdown', reason);
    });
  }

  /**
   * Stops every server, flushes and closes every client, removes the unix
   * sockets. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#servers.map((s) => s.close()));
    })();
    return this.#closing;
  }

  /** @internal ServerHost */
  greeting(): JsonObject {
    return qmpGreeting(this.version);
  }

  /** @internal ServerHost */
  dispatch(request: JsonValue, connection: QmpConnection): Promise<QmpReply> {
    return dispatchRequest(request, this.commands, { session: connection.session, monitor: this });
  }

  /** @internal ServerHost */
  connectionOpened(connection: QmpConnection): void {
    this.#connections.add(connection);
  }

  /** @internal ServerHost */
  connectionClosed(connection: QmpConnection): void {
    this.#connections.delete(connection);
  }
}
