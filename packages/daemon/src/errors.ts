/**
 * Errors raised by @loop/daemon.
 *
 * Like every @loop error they carry a stable `code` (match on it, not on
 * `instanceof`), the QMP error class QEMU would put on the wire and QEMU's
 * own text as `message`. Errors raised by @loop/qom (object-add, qom-set, ...)
 * travel through the monitor unchanged; these are the ones the monitor and
 * the command line add themselves.
 */
import type { QmpErrorClass } from '@loop/qom';

/**
 * Base of the daemon's errors.
 *
 * @qemu Error (qapi/error.h)
 * @since 0.0.0
 */
export class DaemonError extends Error {
  readonly code: string;
  readonly qmpClass: QmpErrorClass;

  constructor(code: string, qmpClass: QmpErrorClass, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.qmpClass = qmpClass;
  }
}

/**
 * A QMP message broke the protocol: it is not an object, lacks `execute`,
 * has an unknown member, and so on (`QMP input ...`).
 *
 * @qemu qmp_dispatch_check_obj (qapi/qmp-dispatch.c)
 * @since 0.0.0
 */
export class QmpInputError extends DaemonError {
  constructor(message: string) {
    super('LOOP_ERR_QMP_INPUT', 'GenericError', message);
  }
}

/**
 * The command does not exist, or not in the current mode (before or after
 * capabilities negotiation).
 *
 * @qemu ERROR_CLASS_COMMAND_NOT_FOUND
 * @since 0.0.0
 */
export class CommandNotFoundError extends DaemonError {
  constructor(message: string) {
    super('LOOP_ERR_NO_COMMAND', 'CommandNotFound', message);
  }
}

/**
 * A command's arguments do not match its schema: `Parameter 'x' is missing`,
 * `Invalid parameter type for 'x', expected: string`, `Parameter 'x' is unexpected`.
 *
 * @qemu qobject_input_visitor (qapi/qobject-input-visitor.c)
 * @since 0.0.0
 */
export class ArgumentError extends DaemonError {
  constructor(message: string) {
    super('LOOP_ERR_INVALID_PARAM', 'GenericError', message);
  }
}

/**
 * The command line is wrong: an unknown option, a missing argument, a bad
 * `-qmp` address, a plugin that cannot be loaded, a socket that cannot be
 * bound. `location` is what `loopd: <location>: <message>` prints.
 *
 * @qemu error_report with a command-line location (util/qemu-error.c)
 * @since 0.0.0
 */
export class UsageError extends DaemonError {
  readonly location: string | undefined;

  constructor(message: string, location?: string, options?: { cause?: unknown }) {
    super('LOOP_ERR_USAGE', 'GenericError', message, options);
    this.location = location;
  }
}
