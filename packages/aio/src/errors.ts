/**
 * Errors raised by @loop/aio.
 *
 * Every error carries a stable `code` (match on it, not on `instanceof`: an
 * error that crosses a worker boundary arrives as a plain object), the QMP
 * error class a monitor would put on the wire, and a message a person can act
 * on. Where QEMU has a text for the same condition, the message is QEMU's.
 *
 * @module
 */

/**
 * The error classes QMP puts in `{"error": {"class": ...}}`.
 *
 * @qemu ErrorClass (qapi/error.h)
 * @since 0.1.0
 */
export type QmpErrorClass = 'GenericError' | 'CommandNotFound' | 'DeviceNotFound';

/**
 * Fields that locate a failure, where known.
 *
 * @qemu none
 * @since 0.1.0
 */
export interface LoopErrorFields {
  readonly cause?: unknown;
  readonly syscall?: string;
  readonly errno?: number;
  readonly fd?: number;
}

/**
 * Base of every @loop/aio error.
 *
 * @qemu Error (qapi/error.h)
 * @since 0.1.0
 */
export class LoopError extends Error {
  readonly code: string;
  readonly qmpClass: QmpErrorClass;
  readonly syscall: string | undefined;
  readonly errno: number | undefined;
  readonly fd: number | undefined;

  constructor(code: string, qmpClass: QmpErrorClass, message: string, fields: LoopErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.code = code;
    this.qmpClass = qmpClass;
    this.syscall = fields.syscall;
    this.errno = fields.errno;
    this.fd = fields.fd;
  }
}

/**
 * A home-thread method of an AioContext was called from another thread.
 *
 * @qemu none (QEMU asserts)
 * @since 0.1.0
 */
export class WrongThreadError extends LoopError {
  constructor(method: string) {
    super('LOOP_ERR_WRONG_THREAD', 'GenericError', `AioContext.${method}() must be called on the context's home thread`);
  }
}

/**
 * The native backend (epoll, eventfd, timerfd) is missing on this platform,
 * or the addon could not be loaded.
 *
 * @qemu none
 * @since 0.1.0
 */
export class NativeBackendUnavailableError extends LoopError {
  constructor(message: string, cause?: unknown) {
    super('LOOP_ERR_NO_NATIVE', 'GenericError', message, { cause });
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 4: 'EINTR', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM', 17: 'EEXIST',
  22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 28: 'ENOSPC', 38: 'ENOSYS', 1000: 'EUNKNOWN',
};

/**
 * A system call in the native backend failed.
 *
 * @qemu none (QEMU reports these through error_setg_errno)
 * @since 0.1.0
 */
export class SystemCallError extends LoopError {
  constructor(syscall: string, errno: number, fd?: number) {
    const name = ERRNO_NAMES[errno] ?? `errno ${errno}`;
    super('LOOP_ERR_SYSCALL', 'GenericError', `${syscall} failed: ${name}${fd === undefined ? '' : ` (fd ${fd})`}`, {
      syscall,
      errno,
      ...(fd === undefined ? {} : { fd }),
    });
  }
}

/**
 * A parameter was rejected; the message is QEMU's text for it.
 *
 * @qemu none (QEMU's error_setg texts are kept verbatim)
 * @since 0.1.0
 */
export class InvalidParameterError extends LoopError {
  constructor(message: string) {
    super('LOOP_ERR_INVALID_PARAM', 'GenericError', message);
  }
}

/**
 * An operation was attempted on a destroyed context, a deleted BH or a
 * closed notifier.
 *
 * @qemu none (use after free in QEMU)
 * @since 0.1.0
 */
export class DestroyedError extends LoopError {
  constructor(what: string) {
    super('LOOP_ERR_DESTROYED', 'GenericError', `${what} has been destroyed`);
  }
}

/**
 * No AioContext runs in the calling thread, or a second one was attached.
 *
 * @qemu qemu_get_current_aio_context
 * @since 0.1.0
 */
export class NoContextError extends LoopError {
  constructor(message = 'no AioContext in this thread') {
    super('LOOP_ERR_NO_CONTEXT', 'GenericError', message);
  }
}
