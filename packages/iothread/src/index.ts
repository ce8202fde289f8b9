export {
  addLoopIntProperty,
  EventLoopBase,
  rangeError,
  THREAD_POOL_MAX_DEFAULT,
  toContextNumber,
} from './event-loop-base.js';
export { IOThread, IOThreadError, IOTHREAD_POLL_MAX_NS_DEFAULT, queryIothreads, type IOThreadInfo } from './iothread.js';
