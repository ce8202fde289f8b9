export { getMainAioContext, initMainLoop, inIOThread } from './main-loop.js';
export { MainLoop, mainLoopObject } from './main-loop-object.js';
export { MainLoopError } from './errors.js';
