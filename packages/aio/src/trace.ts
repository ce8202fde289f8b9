/**
 * Every diagnostics channel of @loop/aio, in one table.
 *
 * Channels are named `loop:aio:<event>` after QEMU's trace events. Messages
 * are built only when a channel has subscribers, so tracing costs one
 * property read when nobody listens.
 *
 * @module
 */
import { channel } from 'node:diagnostics_channel';

/**
 * Published when a context starts busy-polling (QEMU's
 * `run_poll_handlers_begin`): `{ context, maxNs, timeoutNs }`.
 *
 * @qemu run_poll_handlers_begin
 * @since 0.1.0
 */
export const pollBeginChannel = channel('loop:aio:poll-begin');

/**
 * Published when busy-polling ends (QEMU's `run_poll_handlers_end`):
 * `{ context, progress, elapsedNs, timeoutNs }`.
 *
 * @qemu run_poll_handlers_end
 * @since 0.1.0
 */
export const pollEndChannel = channel('loop:aio:poll-end');

/**
 * Published when the polling time grows: `{ context, oldNs, newNs }`.
 *
 * @qemu poll_grow
 * @since 0.1.0
 */
export const pollGrowChannel = channel('loop:aio:poll-grow');

/**
 * Published when the polling time shrinks: `{ context, oldNs, newNs }`.
 *
 * @qemu poll_shrink
 * @since 0.1.0
 */
export const pollShrinkChannel = channel('loop:aio:poll-shrink');
