export {
  addLoopIntProperty,
  EventLoopBase,
  rangeError,
  THREAD_POOL_MAX_DEFAULT,
  toContextNumber,
} from './event-loop-base.js';
