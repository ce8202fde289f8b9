/**
 * @loop/aio: QEMU's AioContext for Node.js.
 *
 * The ground floor of @loop: bottom halves, nanosecond timers on the
 * REALTIME, VIRTUAL and HOST clocks, readiness-based fd handlers, event
 * notifiers and adaptive polling, over a small epoll/eventfd/timerfd addon.
 * This file only re-exports.
 *
 * @module
 */
export { AioContext, RemoteBH, RING_DEFAULT_BATCH } from './context.js';
export { ContextHandle, scheduleRemoteBh } from './handle.js';
export type { ContextHandleData, RemoteBhToken } from './handle.js';
export type {
  AioContextOptions,
  AioContextStats,
  AioParams,
  EventNotifierHandler,
  FdHandler,
  ParamsKind,
  PollParamsInput,
  ThreadPoolParams,
  TimerParams,
} from './context.js';
export { BH } from './bh.js';
export { Timer, TimerList } from './timer.js';
export { ClockType, Scale, MAX_NS, clockGetNs, soonestTimeout, timeoutNsToMs, virtualClock } from './clock.js';
export { EventNotifier } from './notifier.js';
export { Ring } from './ring.js';
export type { RingData, RingKind, RingOptions } from './ring.js';
export type { SharedEventNotifier } from './notifier.js';
export { adjustPollNs, POLL_NS_INITIAL } from './polling.js';
export type { PollParams } from './polling.js';
export {
  DestroyedError,
  InvalidParameterError,
  LoopError,
  NativeBackendUnavailableError,
  NoContextError,
  SystemCallError,
  WrongThreadError,
} from './errors.js';
export type { LoopErrorFields, QmpErrorClass } from './errors.js';
export { pollBeginChannel, pollEndChannel, pollGrowChannel, pollShrinkChannel } from './trace.js';
export { thread } from './thread.js';
export type { NativeCounters } from './native.js';
export { nativeCounters } from './thread.js';
