/**
 * The `main-loop` QOM type: the user-creatable face of the main loop. Its
 * `aio-max-batch`, `thread-pool-min` and `thread-pool-max` apply to the main
 * AioContext (and through it to the main context's thread pool) on every
 * write, the writes during creation included, with QEMU's checks; creation
 * applies `thread-pool-max` before `thread-pool-min`, so `min=100,max=200`
 * is accepted.
 *
 * There is at most one (`only one main-loop instance allowed`); a creation
 * that fails does not take the slot, and the one that exists can never be
 * deleted (`object 'x' is in use, can not be deleted`). Creating one
 * initialises the main loop.
 *
 * Unlike QEMU, a second main-loop's property writes are not applied to the
 * main context before its creation fails; they are only checked, so the
 * errors and their order are QEMU's (a bad pool pair, then a duplicate id,
 * then the singleton rule) while the live context keeps its values.
 */
import { InvalidParameterError, typeRegister } from '@loop/qom';
import { EventLoopBase } from '@loop/iothread';
import { initMainLoop } from './main-loop.js';

let singleton: MainLoop | undefined;

function singletonError(): InvalidParameterError {
  return new InvalidParameterError('only one main-loop instance allowed');
}

/**
 * @qemu MainLoop (TYPE_MAIN_LOOP, util/main-loop.c)
 * @since 0.1.0
 */
export class MainLoop extends EventLoopBase {
  protected override updateParams(): void {
    if (singleton && singleton !== this) {
      // QEMU applies a second main-loop's writes to the main context and
      // fails later (duplicate id, then the singleton rule). We give the
      // same errors in the same order but leave the live context alone.
      this.checkThreadPoolPair();
      return;
    }
    this.applyLoopParams(initMainLoop());
  }

  protected override init(): void {
    if (singleton && singleton !== this) throw singletonError();
    this.applyLoopParams(initMainLoop());
    singleton = this;
  }

  override canBeDeleted(): boolean {
    return false;
  }

  protected override finalize(): void | Promise<void> {
    if (singleton === this) singleton = undefined;
    return super.finalize();
  }

  static {
    typeRegister({ name: 'main-loop', parent: 'event-loop-base', instanceClass: MainLoop });
  }
}

/** The `main-loop` object, if one was created. */
export function mainLoopObject(): MainLoop | undefined {
  return singleton;
}
