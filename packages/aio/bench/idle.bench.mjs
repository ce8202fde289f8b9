// Idle cost: a context with polling on (poll-max-ns 32768) that has been
// idle for a second, then process CPU time over 2 s (target < 1% of a core).
import { AioContext, EventNotifier } from '../dist/index.js';
import { line, verdict } from './lib.mjs';

export async function run() {
  console.log('\n## idle');
  const ctx = new AioContext();
  ctx.setPollParams({ maxNs: 32768 });
  const e = new EventNotifier();
  ctx.setEventNotifier(e, { read: (n) => n.testAndClear(), poll: () => false, pollReady: () => {} });
  ctx.attach();
  e.set(); // joins the poll list
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, 2000));
  const c = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e3;
  const share = (c.user + c.system) / wall;
  line('idle attached context, poll-max-ns 32768: CPU', (share * 100).toFixed(3), '% of a core');
  verdict(share < 0.01, 'target < 1%');
  ctx.setEventNotifier(e, null);
  e.close();
  ctx.destroy();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
