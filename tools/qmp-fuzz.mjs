#!/usr/bin/env node
// Differential QMP fuzzer: generates random scenarios of object-add,
// qom-set, qom-get, object-del and queries on iothreads and main-loop,
// runs each against real QEMU (qemu-system-x86_64, Debian's qemu-system-x86)
// and against loopd, and stops at the first answer that differs.
//
//   npx nx run-many -t build && node tools/qmp-fuzz.mjs [--scenarios 1000] [--seed N] [--qemu PATH]
//
// Replies are compared after the oracle's masking (thread ids; the lists
// QEMU returns in hash order are compared sorted, key order ignored) and
// with the differences docs/qemu-compat.md allows (query-version's numbers,
// qom-list-types without an event-loop filter, which this fuzzer does not
// send). Both servers live across scenarios; every scenario deletes what it
// created, and a scenario that created a main-loop (never deletable)
// restarts both. This is a tool, not a test: it is never run by CI.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatJson, JsonStreamReader, QFloat } from '@loop/qom';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const SCENARIOS = Number(args.get('scenarios') ?? 1000);
let seed = Number(args.get('seed') ?? Date.now() % 1_000_000);
const QEMU = args.get('qemu') ?? 'qemu-system-x86_64';
const LOOPD = join(root, 'packages/daemon/dist/cli.js');

// --- a small seeded PRNG (mulberry32), so a failing run can be replayed with --seed
function rand() {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];
const chance = (p) => rand() < p;

const INT_PROPS = ['poll-max-ns', 'poll-grow', 'poll-shrink', 'aio-max-batch', 'thread-pool-min', 'thread-pool-max'];
const BASE_PROPS = ['aio-max-batch', 'thread-pool-min', 'thread-pool-max'];
const VALUES = [
  () => 0,
  () => 1,
  () => 2,
  () => 7,
  () => 64,
  () => 65,
  () => 100,
  () => 200,
  () => 32768,
  () => 2147483647,
  () => 2147483648,
  () => 9223372036854775807n,
  () => 9223372036854775808n,
  () => -1,
  () => -(2n ** 63n),
  () => '5',
  () => new QFloat(2),
  () => new QFloat(1.5),
  () => true,
  () => null,
  () => ({}),
  () => [],
];
const IDS = ['io0', 'io1', 'io2', 'a', 'b', 'Z9', 'x.y-z_', 'ml0'];
const BAD_IDS = ['0abc', 'a b', '', '_a', 'a/b'];

function randomValue() {
  return pick(VALUES)();
}

/** One random step, given the ids the scenario believes exist. */
function randomStep(known) {
  const r = rand();
  const id = known.length && chance(0.7) ? pick(known) : chance(0.1) ? pick(BAD_IDS) : pick(IDS);
  if (r < 0.3) {
    const type = chance(0.12) ? 'main-loop' : chance(0.05) ? pick(['event-loop-base', 'no-such-type']) : 'iothread';
    const a = { 'qom-type': type, id };
    const props = type === 'main-loop' ? BASE_PROPS : INT_PROPS;
    for (const p of props) if (chance(0.25)) a[p] = chance(0.7) ? pick([0, 1, 4, 8, 64, 100, 200, 32768]) : randomValue();
    if (chance(0.05)) a.foo = 1;
    return { execute: 'object-add', arguments: a };
  }
  if (r < 0.55) return { execute: 'qom-set', arguments: { path: `/objects/${id}`, property: pick([...INT_PROPS, 'type', 'nope']), value: randomValue() } };
  if (r < 0.7) return { execute: 'qom-get', arguments: { path: pick([`/objects/${id}`, id, `/objects/${id}/x`]), property: pick([...INT_PROPS, 'type', 'nope']) } };
  if (r < 0.8) return { execute: 'object-del', arguments: { id } };
  return pick([
    { execute: 'query-iothreads' },
    { execute: 'qom-list', arguments: { path: '/objects' } },
    { execute: 'qom-list', arguments: { path: `/objects/${id}` } },
    { execute: 'qom-list-types', arguments: { implements: 'event-loop-base', abstract: chance(0.5) } },
    { execute: 'qom-list-properties', arguments: { typename: pick(['iothread', 'main-loop', 'event-loop-base']) } },
  ]);
}

// --- QMP connection
class Qmp {
  constructor(socket) {
    this.socket = socket;
    this.reader = new JsonStreamReader();
    this.queue = [];
    this.waiters = [];
    socket.on('data', (chunk) => {
      for (const item of this.reader.push(new Uint8Array(chunk))) {
        const msg = item.kind === 'value' ? item.value : { parseError: item.error.message };
        if (msg && typeof msg === 'object' && 'event' in msg) continue;
        const w = this.waiters.shift();
        if (w) w(msg);
        else this.queue.push(msg);
      }
    });
  }
  static async open(path) {
    const socket = createConnection({ path });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const q = new Qmp(socket);
    await q.next();
    await q.execute({ execute: 'qmp_capabilities' });
    return q;
  }
  next() {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply within 10 s')), 10_000);
      this.waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }
  execute(cmd) {
    this.socket.write(`${formatJson(cmd)}\n`);
    return this.next();
  }
  close() {
    this.socket.destroy();
  }
}

class Server {
  constructor(name, argv) {
    this.name = name;
    this.argv = argv;
  }
  async start() {
    this.dir = mkdtempSync(join(tmpdir(), `fuzz-${this.name}-`));
    const sock = join(this.dir, 'qmp.sock');
    const [cmd, ...rest] = this.argv(sock);
    this.proc = spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    const deadline = Date.now() + 15_000;
    while (!existsSync(sock)) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not start: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (;;) {
      try {
        this.qmp = await Qmp.open(sock);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  async stop() {
    try {
      await this.qmp?.execute({ execute: 'quit' });
    } catch {
      // gone already
    }
    this.qmp?.close();
    await new Promise((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const ORDERLESS = new Set(['query-iothreads', 'qom-list', 'qom-list-types', 'qom-list-properties']);
function canonical(value) {
  return formatJson(value, undefined);
}
function normalise(execute, reply) {
  const mask = (v) => {
    if (Array.isArray(v)) return v.map(mask);
    if (v && typeof v === 'object' && !(v instanceof QFloat)) {
      const out = {};
      for (const k of Object.keys(v).sort()) out[k] = k === 'thread-id' ? '<tid>' : mask(v[k]);
      return out;
    }
    return v;
  };
  const m = mask(reply);
  if (ORDERLESS.has(execute) && Array.isArray(m.return)) m.return = [...m.return].sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
  return canonical(m);
}

const qemu = new Server('qemu', (sock) => [QEMU, '-machine', 'none', '-nodefaults', '-display', 'none', '-no-user-config', '-qmp', `unix:${sock},server=on,wait=off`]);
const loopd = new Server('loopd', (sock) => [process.execPath, LOOPD, '-qmp', `unix:${sock},server=on,wait=off`]);

const startSeed = seed;
let steps = 0;
let restarts = 0;
await Promise.all([qemu.start(), loopd.start()]);
try {
  for (let n = 1; n <= SCENARIOS; n++) {
    const scenarioSeed = seed;
    const known = [];
    const length = 5 + Math.floor(rand() * 16);
    let mainLoop = false;
    const trace = [];
    for (let s = 0; s < length; s++) {
      const cmd = randomStep(known);
      const [a, b] = await Promise.all([qemu.qmp.execute(cmd), loopd.qmp.execute(cmd)]);
      steps++;
      const na = normalise(cmd.execute, a);
      const nb = normalise(cmd.execute, b);
      trace.push(formatJson(cmd));
      if (na !== nb) {
        console.log(`DIFFERENCE in scenario ${n} (run --seed ${startSeed}; scenario seed ${scenarioSeed}), step ${s}:`);
        console.log(trace.map((t) => `  ${t}`).join('\n'));
        console.log(`  qemu:  ${formatJson(a)}\n  loopd: ${formatJson(b)}`);
        process.exitCode = 1;
        throw new Error('difference');
      }
      if (cmd.execute === 'object-add' && 'return' in a) {
        known.push(cmd.arguments.id);
        if (cmd.arguments['qom-type'] === 'main-loop') mainLoop = true;
      }
    }
    // Clean up: delete every object (same answers expected), restart when a main-loop exists.
    const list = await qemu.qmp.execute({ execute: 'qom-list', arguments: { path: '/objects' } });
    for (const p of list.return ?? []) {
      if (!String(p.type).startsWith('child<')) continue;
      const cmd = { execute: 'object-del', arguments: { id: p.name } };
      const [a, b] = await Promise.all([qemu.qmp.execute(cmd), loopd.qmp.execute(cmd)]);
      if (normalise('object-del', a) !== normalise('object-del', b)) {
        console.log(`DIFFERENCE while cleaning scenario ${n}: ${formatJson(cmd)}\n  qemu:  ${formatJson(a)}\n  loopd: ${formatJson(b)}`);
        process.exitCode = 1;
        throw new Error('difference');
      }
    }
    if (mainLoop) {
      restarts++;
      await Promise.all([qemu.stop(), loopd.stop()]);
      await Promise.all([qemu.start(), loopd.start()]);
    }
    if (n % 100 === 0) console.log(`${n} scenarios, ${steps} steps, ${restarts} restarts: no difference`);
  }
  console.log(`done: ${SCENARIOS} scenarios, ${steps} steps (seed ${startSeed}), no difference`);
} catch (err) {
  if (err.message !== 'difference') throw err;
} finally {
  await Promise.all([qemu.stop(), loopd.stop()]);
}
