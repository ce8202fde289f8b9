// Runs every @loop/aio benchmark in one process, side by side with Node's
// own primitives. `npx nx bench @loop/aio` (or `npm run bench -w @loop/aio`).
import { run as bh } from './bh-schedule.bench.mjs';
import { run as timers } from './timer-mod.bench.mjs';
import { run as ring } from './ring-stream.bench.mjs';
import { run as cross } from './notify-cross-thread.bench.mjs';
import { run as idle } from './idle.bench.mjs';

console.log(`@loop/aio benchmarks, Node ${process.version}, ${new Date().toISOString()}`);
await bh();
await timers();
await ring();
await cross();
await idle();
