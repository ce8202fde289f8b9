// @loop/iothread benchmarks: main thread → iothread round trips, with
// adaptive polling off (poll-max-ns 0) and on (QEMU's default 32768), and the
// CPU an idle iothread uses in each case. `npx nx bench @loop/iothread`.
//
// - call: `iothread.aioContext.call(url, 'noop')`, awaited, back to back
//   (shared-memory request, the iothread's driven loop runs it, the reply
//   wakes the main thread's private notifier);
// - remote-BH wake, one way: the main thread schedules a remote BH of the
//   iothread (a bit in shared memory plus an eventfd write only when the
//   iothread sleeps) and the iothread records when it ran; each round waits
//   for its run and then 1 ms, so with polling on the iothread has usually
//   stopped polling (the wake then pays the blocking path, as an idle device
//   would).
// Read the ratios against the Atomics.wait/notify floor in @loop/aio's bench
// (about 50 µs across CPUs, 6 on one CPU on this machine kind).
//
// Flags (used by the workspace harness, `npm run bench`, tools/bench):
//   --quick   500 calls, 100 wakes, 0.2 s + 0.5 s idle window per row
//   --json    human lines to stderr, one JSON object with every row as the
//             last stdout line
import { AioContext, scheduleRemoteBh, thread } from '@loop/aio';
import { objectAdd, objectDel, objectResolvePath } from '@loop/qom';
import '../dist/index.js';
import { threadCpuNs } from '../../../tools/bench/quiet.mjs';

const CODE = new URL('./iothread-code.mjs', import.meta.url).href;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 500 : 5000));
const WAKES = Number(process.env.WAKES ?? (quick ? 100 : 1000));
const SETTLE_MS = quick ? 200 : 1000;
const IDLE_MS = quick ? 500 : 2000;
const log = json ? (s) => process.stderr.write(s + '\n') : console.log;
const now = () => process.hrtime.bigint();
const pct = (s, p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
const fmt = (ns) => (ns / 1000).toFixed(1).padStart(8);

function summary(samples) {
  const s = Float64Array.from(samples).sort();
  return { p50: pct(s, 50), p99: pct(s, 99) };
}

// The main thread's own context, attached to Node's loop (what @loop/main-loop does).
const main = new AioContext({ name: 'bench-main' });
main.attach();

async function measure(pollMaxNs, placement) {
  const id = `bench${pollMaxNs}${placement}`;
  await objectAdd({ 'qom-type': 'iothread', id, 'poll-max-ns': pollMaxNs });
  const t = objectResolvePath(`/objects/${id}`).obj;
  if (placement === 'cross') {
    thread.setAffinity([0]);
    await t.setAffinity([1]);
  } else {
    thread.setAffinity([0]);
    await t.setAffinity([0]);
  }
  await t.import(CODE);
  // call round trips
  for (let i = 0; i < 500; i++) await t.aioContext.call(CODE, 'noop');
  const calls = [];
  for (let i = 0; i < ROUNDS; i++) {
    const a = now();
    await t.aioContext.call(CODE, 'noop');
    calls.push(Number(now() - a));
  }
  // remote-BH wake, one way: schedule, let it run, repeat; the iothread
  // records when each run happened.
  const token = t.aioContext.remoteBhToken(await t.aioContext.call(CODE, 'setupBh'));
  const sent = [];
  for (let i = 0; i < WAKES; i++) {
    // One BH run per schedule (no coalescing), and the iothread idle again
    // before the next: wait until its counters show the run, then 1 ms more.
    const before = t.aioContext.readStats().bhsDispatched;
    sent.push(now());
    scheduleRemoteBh(token);
    while (t.aioContext.readStats().bhsDispatched === before) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 1));
  }
  const ran = (await t.aioContext.call(CODE, 'takeTimes')).map(BigInt);
  const bhs = ran.map((at, i) => Number(at - sent[i]));
  // idle CPU of the iothread over 2 s after 1 s of quiet (threadCpuNs:
  // schedstat in ns where the kernel has it, else 10 ms ticks)
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const c0 = threadCpuNs(t.threadId);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idle = (threadCpuNs(t.threadId) - c0) / (IDLE_MS * 1e6);
  await objectDel(id);
  thread.setAffinity([0, 1]);
  return { call: summary(calls), bh: summary(bhs), idle };
}

log(`@loop/iothread benchmarks, Node ${process.version}, ${new Date().toISOString()}, ${ROUNDS} rounds`);
log('placement  poll-max-ns   call round trip p50/p99 (µs)   remote-BH wake p50/p99 (µs)   idle iothread CPU');
const rows = [];
for (const placement of ['cross', 'same']) {
  for (const poll of [0, 32768]) {
    const r = await measure(poll, placement);
    rows.push({ placement, pollMaxNs: poll, ...r });
    log(
      `${placement.padEnd(10)} ${String(poll).padStart(11)}   ${fmt(r.call.p50)} /${fmt(r.call.p99)}    ${fmt(r.bh.p50)} /${fmt(r.bh.p99)}      ${(r.idle * 100).toFixed(2)} % of a core`,
    );
  }
}
if (json) process.stdout.write(JSON.stringify({ suite: '@loop/iothread', node: process.version, rounds: ROUNDS, wakes: WAKES, idleMs: IDLE_MS, rows }) + '\n');
process.exit(0);
