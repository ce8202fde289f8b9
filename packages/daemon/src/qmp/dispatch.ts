/**
 * Command dispatch: the table of QMP commands, the queue that runs them one
 * at a time in arrival order, and the checks a request goes through before
 * its handler runs.
 *
 * A request is checked in QEMU's order:
 *
 * 1. it must be a JSON object (`QMP input must be a JSON object`);
 * 2. each member, in QEMU's QDict order (qdict-order.ts in @loop/qom, not
 *    input order): `execute` (and `exec-oob` once the client enabled the
 *    `oob` capability) must be a string and only one of them may be
 *    present, `arguments` must be an object, `id` may be anything,
 *    and every other member is unexpected (`QMP input member 'x' is
 *    unexpected`, which is also what `exec-oob` gets without the capability);
 * 3. `execute` must be present (`QMP input lacks member 'execute'`);
 * 4. the command must exist in the session's mode (CommandNotFound `The
 *    command x has not been found`, which before negotiation reads
 *    `Expecting capabilities negotiation with 'qmp_capabilities'`);
 * 5. `exec-oob` needs a command that allows out-of-band execution (none do);
 * 6. the arguments are checked against the command's schema, then the
 *    handler runs and its result (or error) becomes the reply.
 *
 * The `id` of a request that is an object is echoed in the reply, errors
 * included.
 *
 * @qemu qapi/qmp-dispatch.c (qmp_dispatch), monitor/qmp.c (monitor_qmp_dispatch)
 */
import { formatJson, qdictOrder, type JsonObject, type JsonValue, type QmpErrorClass } from '@loop/qom';
import { CommandNotFoundError, DaemonError, QmpInputError } from '../errors.js';
import { checkArguments, isJsonObject, type ArgSchema } from './args.js';

/**
 * The two modes of a QMP session: right after the greeting only
 * `qmp_capabilities` is available; after it, every other command.
 *
 * @qemu qmp_cap_negotiation_commands / qmp_commands (monitor/qmp.c)
 * @since 0.0.0
 */
export type QmpMode = 'negotiation' | 'command';

/**
 * The state of one client session that commands may read and change.
 *
 * @qemu MonitorQMP
 * @since 0.0.0
 */
export interface QmpSession {
  /** A number unique among the daemon's sessions. */
  readonly id: number;
  mode: QmpMode;
  /** Whether the client enabled the `oob` capability. */
  oob: boolean;
}

/**
 * What a command handler gets besides its arguments.
 *
 * @since 0.0.0
 */
export interface CommandContext<M = unknown> {
  /** The session the request came from. */
  readonly session: QmpSession;
  /** The daemon's monitor (events, shutdown, the command table). */
  readonly monitor: M;
}

/**
 * One QMP command.
 *
 * **Details** `args` is the argument schema (default: no arguments), or
 * `'boxed'` when the handler takes the whole argument object and checks it
 * itself (object-add, whose members depend on `qom-type`). The handler's
 * result (or what its promise resolves to) is the reply's `return`;
 * `undefined` becomes `{}`. A thrown error with a `qmpClass` becomes
 * `{"error": {"class": qmpClass, "desc": message}}`; any other throw is a
 * GenericError with its message.
 *
 * @qemu QmpCommand (include/qapi/qmp/dispatch.h)
 * @since 0.0.0
 */
export interface QmpCommandDef<M = unknown> {
  readonly name: string;
  readonly args?: ArgSchema | 'boxed';
  /** The modes the command is available in; default `['command']`. */
  readonly modes?: readonly QmpMode[];
  /** Whether `exec-oob` may run it. Default false; @loop has no out-of-band commands yet. */
  readonly allowOob?: boolean;
  readonly handler: (args: JsonObject, ctx: CommandContext<M>) => unknown;
}

/**
 * The commands a monitor knows, by name. Later packages add theirs
 * (`query-iothreads`, `x-query-thread-pools`, ...) through
 * {@link QmpCommandTable.register}.
 *
 * **Gotchas** Only code registers commands: nothing a client sends can add
 * one or load a module.
 *
 * @qemu qmp_register_command, qmp_find_command
 * @since 0.0.0
 */
export class QmpCommandTable<M = unknown> {
  readonly #commands = new Map<string, QmpCommandDef<M>>();

  /**
   * Adds a command.
   *
   * @throws {DaemonError} `LOOP_ERR_DUPLICATE_COMMAND` when the name is taken.
   */
  register(def: QmpCommandDef<M>): void {
    if (this.#commands.has(def.name)) {
      throw new DaemonError('LOOP_ERR_DUPLICATE_COMMAND', 'GenericError', `QMP command '${def.name}' is already registered`);
    }
    this.#commands.set(def.name, def);
  }

  /** Removes a command; true if it was there. */
  unregister(name: string): boolean {
    return this.#commands.delete(name);
  }

  /** The command available in `mode` under `name`. */
  find(name: string, mode: QmpMode): QmpCommandDef<M> | undefined {
    const def = this.#commands.get(name);
    if (!def) return undefined;
    return (def.modes ?? ['command']).includes(mode) ? def : undefined;
  }

  /** Names of the commands available in `mode`, in registration order. */
  names(mode: QmpMode = 'command'): string[] {
    return [...this.#commands.values()].filter((d) => (d.modes ?? ['command']).includes(mode)).map((d) => d.name);
  }
}

interface Job {
  readonly owner: object | undefined;
  readonly run: () => Promise<void> | void;
}

/**
 * Runs jobs one at a time, in the order they were pushed, awaiting each: the
 * daemon has one queue, so commands from all clients are serialised as
 * QEMU's dispatcher serialises them. A job that throws does not stop the
 * queue.
 *
 * @qemu monitor_qmp_dispatcher_co (monitor/qmp.c)
 * @since 0.0.0
 */
export class CommandQueue {
  #jobs: Job[] = [];
  #running = false;
  #idle: (() => void)[] = [];

  /** Queues `run` at the end. `owner` lets {@link dropOwner} cancel it while it waits. */
  push(run: () => Promise<void> | void, owner?: object): void {
    this.#jobs.push({ owner, run });
    this.#kick();
  }

  /** Queues `run` to go next, before everything already waiting. */
  pushFront(run: () => Promise<void> | void, owner?: object): void {
    this.#jobs.unshift({ owner, run });
    this.#kick();
  }

  /** Drops the waiting jobs of `owner` (a client that went away). A running job runs to its end. */
  dropOwner(owner: object): void {
    this.#jobs = this.#jobs.filter((j) => j.owner !== owner);
  }

  /** Jobs waiting (not counting a running one). */
  get length(): number {
    return this.#jobs.length;
  }

  /** Resolves once the queue is empty and nothing runs. */
  idle(): Promise<void> {
    if (!this.#running && this.#jobs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    for (let job = this.#jobs.shift(); job; job = this.#jobs.shift()) {
      try {
        await job.run();
      } catch {
        // A job reports its own errors; the queue keeps going.
      }
    }
    this.#running = false;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }
}

/** A reply object, ready for {@link formatJson}. */
export type QmpReply = JsonObject | { return: unknown; id?: JsonValue } | { id?: JsonValue; error: QmpErrorBody };

/** The `error` member of a reply. */
export interface QmpErrorBody {
  class: QmpErrorClass | string;
  desc: string;
}

/**
 * The `error` member for anything a command threw: the `qmpClass` and
 * message of a @loop error (its `hint` stays out: that is for the command
 * line), otherwise a GenericError with the message.
 *
 * @qemu qmp_error_response
 * @since 0.0.0
 */
export function errorBody(err: unknown): QmpErrorBody {
  if (typeof err === 'object' && err !== null) {
    const { qmpClass, message } = err as { qmpClass?: unknown; message?: unknown };
    const desc = typeof message === 'string' ? message : String(err);
    return { class: typeof qmpClass === 'string' ? qmpClass : 'GenericError', desc };
  }
  return { class: 'GenericError', desc: String(err) };
}

/** An error reply, with the request's `id` when it had one (QEMU puts `id` first here). */
export function errorReply(err: unknown, id?: JsonValue): QmpReply {
  const error = errorBody(err);
  return id === undefined ? { error } : { id, error };
}

/**
 * Checks the members of a request.
 *
 * @qemu qmp_dispatch_check_obj
 */
function checkRequest(request: JsonObject, allowOob: boolean): { command: string; oob: boolean } {
  let execKey: string | undefined;
  // QEMU walks the members in its QDict's hash order, which decides the
  // error when several are wrong (`{"arguments": [], "execute": 5}` is
  // about `execute`).
  for (const key of qdictOrder(Object.keys(request), (k) => k)) {
    const value = request[key];
    if (key === 'execute' || (key === 'exec-oob' && allowOob)) {
      if (typeof value !== 'string') throw new QmpInputError(`QMP input member '${key}' must be a string`);
      if (execKey !== undefined) throw new QmpInputError(`QMP input member '${key}' clashes with '${execKey}'`);
      execKey = key;
    } else if (key === 'arguments') {
      if (!isJsonObject(value)) throw new QmpInputError(`QMP input member 'arguments' must be an object`);
    } else if (key !== 'id') {
      throw new QmpInputError(`QMP input member '${key}' is unexpected`);
    }
  }
  if (execKey === undefined) throw new QmpInputError(`QMP input lacks member 'execute'`);
  return { command: request[execKey] as string, oob: execKey === 'exec-oob' };
}

/**
 * Handles one request (a complete JSON value from a client) and returns the
 * reply. Never throws: every failure becomes an error reply.
 *
 * @qemu qmp_dispatch + the negotiation rewrite of monitor_qmp_dispatch
 * @since 0.0.0
 */
export async function dispatchRequest<M>(
  request: JsonValue,
  table: QmpCommandTable<M>,
  ctx: CommandContext<M>,
): Promise<QmpReply> {
  if (!isJsonObject(request)) return errorReply(new QmpInputError('QMP input must be a JSON object'));
  const id = Object.hasOwn(request, 'id') ? request.id : undefined;
  const mode = ctx.session.mode;
  try {
    const { command, oob } = checkRequest(request, ctx.session.oob);
    const def = table.find(command, mode);
    if (!def) {
      throw new CommandNotFoundError(
        mode === 'negotiation'
          ? `Expecting capabilities negotiation with 'qmp_capabilities'`
          : `The command ${command} has not been found`,
      );
    }
    if (oob && !def.allowOob) throw new QmpInputError(`The command ${command} does not support OOB`);
    const given = Object.hasOwn(request, 'arguments') ? (request.arguments as JsonObject) : {};
    const args = def.args === 'boxed' ? given : checkArguments(def.args ?? [], given);
    let ret = await def.handler(args, ctx);
    if (ret === undefined) ret = {};
    return id === undefined ? { return: ret } : { return: ret, id };
  } catch (err) {
    return errorReply(err, id);
  }
}

/**
 * The wire form of a reply: QEMU's compact JSON and `\r\n` (the monitor
 * turns every newline it writes into CR LF). A result that JSON cannot
 * express (a cycle, a function) becomes a GenericError reply instead.
 *
 * @qemu monitor_qmp_respond, monitor_puts
 * @since 0.0.0
 */
export function encodeReply(reply: QmpReply): string {
  try {
    return `${formatJson(reply)}\r\n`;
  } catch (err) {
    const id = (reply as { id?: JsonValue }).id;
    return `${formatJson(errorReply(err, id))}\r\n`;
  }
}
