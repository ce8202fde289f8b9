/**
 * Errors raised by @loop/main-loop. Match on `code`; `qmpClass` is what a
 * monitor puts on the wire; texts are QEMU's where QEMU has one.
 */
export class MainLoopError extends Error {
  readonly code: string;
  readonly qmpClass = 'GenericError' as const;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'MainLoopError';
    this.code = code;
  }
}
