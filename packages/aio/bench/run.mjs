// Runs every @loop/aio benchmark in one process, side by side with Node's
// own primitives. `npx nx bench @loop/aio` (or `npm run bench -w @loop/aio`).
//
// Flags (used by the workspace harness, `npm run bench`, tools/bench):
//   --only a,b   run only these benches (file names without .bench.mjs)
//   --quick      a smoke check: bh-schedule and idle only (~10 s)
//   --json       print the report lines to stderr and, as the last stdout
//                line, one JSON object with every line printed, in order
//                (the harness parses them; the bench files stay unchanged)
import { format } from 'node:util';
import { run as bh } from './bh-schedule.bench.mjs';
import { run as timers } from './timer-mod.bench.mjs';
import { run as ring } from './ring-stream.bench.mjs';
import { run as cross } from './notify-cross-thread.bench.mjs';
import { run as idle } from './idle.bench.mjs';

// idle first: it reads the process's CPU time, which must not include the
// garbage collection the other benches leave behind (3.9 % of a core when it
// ran last, 0.02 % alone).
const benches = { idle, 'bh-schedule': bh, 'timer-mod': timers, 'ring-stream': ring, 'notify-cross-thread': cross };
const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyAt = args.indexOf('--only');
const selected = onlyAt >= 0 ? args[onlyAt + 1].split(',') : args.includes('--quick') ? ['idle', 'bh-schedule'] : Object.keys(benches);
for (const name of selected) if (!(name in benches)) throw new Error(`unknown bench '${name}' (have: ${Object.keys(benches).join(', ')})`);

const lines = [];
if (json) {
  console.log = (...a) => {
    const s = format(...a);
    lines.push(...s.split('\n'));
    process.stderr.write(s + '\n');
  };
}
const at = new Date().toISOString();
console.log(`@loop/aio benchmarks, Node ${process.version}, ${at}`);
for (const name of selected) await benches[name]();
if (json) process.stdout.write(JSON.stringify({ suite: '@loop/aio', node: process.version, at, benches: selected, lines }) + '\n');
