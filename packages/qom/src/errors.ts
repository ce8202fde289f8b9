/**
 * Errors raised by @loop/qom.
 *
 * Every error carries a stable `code` (match on it, not on `instanceof`: an
 * error that crosses a worker boundary arrives as a plain object), the QMP
 * error class a monitor puts on the wire, and QEMU's own text as `message`.
 * Errors of the `-object` path also say in which `phase` they arose, because
 * qemu-system prefixes parse errors with the option (`-object ARG: ...`) and
 * prints creation errors bare, and some carry a `hint` line that only the
 * command line prints.
 */

/** The error classes QMP puts in `{"error": {"class": ...}}`. */
export type QmpErrorClass =
  | 'GenericError'
  | 'CommandNotFound'
  | 'DeviceNotFound'
  | 'DeviceNotActive'
  | 'KVMMissingCap';

/** Where an `-object` error arose: while the option was parsed, or while the object was created. */
export type ErrorPhase = 'parse' | 'create';

export interface QomErrorOptions {
  readonly phase?: ErrorPhase;
  readonly hint?: string;
  readonly cause?: unknown;
}

/** The plain form an error takes when it crosses a thread or a socket. */
export interface SerializedLoopError {
  readonly name: string;
  readonly code: string;
  readonly qmpClass: QmpErrorClass;
  readonly message: string;
  readonly phase?: ErrorPhase;
  readonly hint?: string;
  readonly stack?: string;
}

/**
 * Base of every @loop/qom error.
 *
 * @qemu Error (qapi/error.h)
 * @since 0.1.0
 */
export class QomError extends Error {
  readonly code: string;
  readonly qmpClass: QmpErrorClass;
  phase: ErrorPhase | undefined;
  readonly hint: string | undefined;
  /**
   * Warnings the input raised before the error (an `-object` string's
   * short-form booleans); the command line prints them first, as QEMU does.
   */
  warnings: readonly string[] | undefined;

  constructor(code: string, qmpClass: QmpErrorClass, message: string, options: QomErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.qmpClass = qmpClass;
    this.phase = options.phase;
    this.hint = options.hint;
  }

  toJSON(): SerializedLoopError {
    const out: { -readonly [K in keyof SerializedLoopError]: SerializedLoopError[K] } = {
      name: this.name,
      code: this.code,
      qmpClass: this.qmpClass,
      message: this.message,
    };
    if (this.phase !== undefined) out.phase = this.phase;
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.stack !== undefined) out.stack = this.stack;
    return out;
  }
}

/**
 * A value, key, id or option was rejected: `Parameter 'x' expects ...`,
 * `Invalid parameter type for 'x', expected: integer`, `Parameter 'x' is unexpected`,
 * `x value must be in range [...]`, a malformed `-object` string.
 */
export class InvalidParameterError extends QomError {
  constructor(message: string, options?: QomErrorOptions) {
    super('LOOP_ERR_INVALID_PARAM', 'GenericError', message, options);
  }
}

/** A path, an object id or a class does not resolve: `Device 'x' not found`, `Class 'x' not found`. */
export class ObjectNotFoundError extends QomError {
  constructor(message: string, options?: QomErrorOptions) {
    super('LOOP_ERR_NOT_FOUND', 'DeviceNotFound', message, options);
  }
}

/** `object 'x' not found` from object-del: QEMU reports it as a GenericError. */
export class UnknownObjectIdError extends QomError {
  constructor(id: string, options?: QomErrorOptions) {
    super('LOOP_ERR_NO_OBJECT_ID', 'GenericError', `object '${id}' not found`, options);
  }
}

/** A partial path matched more than one object: `Path 'x' is ambiguous`. */
export class AmbiguousPathError extends QomError {
  constructor(message: string, options?: QomErrorOptions) {
    super('LOOP_ERR_AMBIGUOUS_PATH', 'GenericError', message, options);
  }
}

/** `Property 'type.name' not found`. */
export class PropertyNotFoundError extends QomError {
  constructor(message: string, options?: QomErrorOptions) {
    super('LOOP_ERR_PROPERTY_NOT_FOUND', 'GenericError', message, options);
  }
}

/** `Property 'type.name' is not readable` / `is not writable`. */
export class PropertyAccessError extends QomError {
  constructor(message: string, options?: QomErrorOptions) {
    super('LOOP_ERR_PROPERTY_ACCESS', 'GenericError', message, options);
  }
}

/** `attempt to add duplicate property 'x' to object (type 'y')`, `Duplicate ID 'x' for object`. */
export class DuplicateError extends QomError {
  constructor(message: string, options?: QomErrorOptions) {
    super('LOOP_ERR_DUPLICATE', 'GenericError', message, options);
  }
}

/** `object 'x' is in use, can not be deleted`. */
export class ObjectInUseError extends QomError {
  constructor(id: string, options?: QomErrorOptions) {
    super('LOOP_ERR_IN_USE', 'GenericError', `object '${id}' is in use, can not be deleted`, options);
  }
}

/**
 * A type-system misuse by code (not by a QMP client): registering a name twice,
 * a missing parent or interface, instantiating an abstract or unknown type.
 */
export class QomTypeError extends QomError {
  constructor(message: string, options?: QomErrorOptions) {
    super('LOOP_ERR_QOM_TYPE', 'GenericError', message, options);
  }
}

/** True for any error (or rebuilt plain object) raised by a @loop package. */
export function isLoopError(value: unknown): value is { code: string; qmpClass: QmpErrorClass; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('LOOP_ERR_');
}
