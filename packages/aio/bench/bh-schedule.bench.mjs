// Same-thread dispatch: a BH chain (each BH schedules the next, one
// ctx.poll(false) per run) against a setImmediate chain, and bulk (1000
// distinct BHs per round) against 1000 setImmediates per loop turn.
// Read the ratio: > 1 means @loop is faster. Median of 3 runs.
import { AioContext } from '../dist/index.js';
import { line, median, verdict } from './lib.mjs';

function bhChain(n) {
  const ctx = new AioContext();
  let left = n;
  const bh = ctx.bhNew(() => {
    if (--left > 0) bh.schedule();
  });
  const t0 = process.hrtime.bigint();
  bh.schedule();
  while (left > 0) ctx.poll(false);
  const dt = Number(process.hrtime.bigint() - t0);
  ctx.destroy();
  return n / (dt / 1e9);
}

function immediateChain(n) {
  return new Promise((resolve) => {
    let left = n;
    const t0 = process.hrtime.bigint();
    const step = () => {
      if (--left > 0) setImmediate(step);
      else resolve(n / (Number(process.hrtime.bigint() - t0) / 1e9));
    };
    setImmediate(step);
  });
}

function bhBulk(rounds) {
  const ctx = new AioContext();
  let ran = 0;
  const bhs = Array.from({ length: 1000 }, () => ctx.bhNew(() => ran++));
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (const b of bhs) b.schedule();
    ctx.poll(false);
  }
  const dt = Number(process.hrtime.bigint() - t0);
  ctx.destroy();
  return ran / (dt / 1e9);
}

function immediateBulk(rounds) {
  return new Promise((resolve) => {
    let ran = 0;
    let r = 0;
    const cb = () => ran++;
    const t0 = process.hrtime.bigint();
    const round = () => {
      for (let i = 0; i < 1000; i++) setImmediate(cb);
      if (++r < rounds) setImmediate(round);
      else setImmediate(() => resolve(ran / (Number(process.hrtime.bigint() - t0) / 1e9)));
    };
    round();
  });
}

export async function run() {
  console.log('\n## bh-schedule (same thread)');
  const N = 500_000;
  const chain = [], imm = [], bulk = [], immBulk = [];
  bhChain(50_000);
  await immediateChain(50_000);
  for (let i = 0; i < 3; i++) {
    chain.push(bhChain(N));
    imm.push(await immediateChain(N));
    bulk.push(bhBulk(300));
    immBulk.push(await immediateBulk(300));
  }
  const c = median(chain), s = median(imm), b = median(bulk), sb = median(immBulk);
  line('BH chain (schedule + poll(false) per run)', (c / 1e6).toFixed(2), 'M/s');
  line('setImmediate chain', (s / 1e6).toFixed(2), 'M/s');
  verdict(c / s >= 2, `chain ratio ${(c / s).toFixed(1)}x (target >= 2x)`);
  line('BH bulk (1000 distinct BHs per round)', (b / 1e6).toFixed(2), 'M/s');
  line('setImmediate bulk (1000 per turn)', (sb / 1e6).toFixed(2), 'M/s');
  verdict(b / sb >= 0.5, `bulk ratio ${(b / sb).toFixed(2)}x (target >= 0.5x)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
