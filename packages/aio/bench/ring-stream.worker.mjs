// The worker side of ring-stream.bench.mjs: a driven context consuming a
// ring, or a MessagePort receiver; publishes its running count through
// shared memory (the producer waits for the warm-up and for the total).
import { parentPort, workerData } from 'node:worker_threads';
import { AioContext, Ring, thread } from '../dist/index.js';

if (workerData.cpu !== undefined) thread.setAffinity([workerData.cpu]);

const done = new Int32Array(workerData.done);
const total = workerData.total;
if (workerData.mode === 'ring') {
  const ctx = new AioContext();
  const ring = Ring.from(workerData.ring);
  let got = 0;
  ctx.setRingHandler(ring, (_items, n) => {
    const before = got;
    got += n;
    Atomics.store(done, 0, got);
    // Wake the producer only where it waits (end of warm-up, end of run).
    if (got >= total || (before < workerData.warm && got >= workerData.warm)) Atomics.notify(done, 0);
    if (got >= total) {
      ctx.setRingHandler(ring, null);
      ctx.destroy();
      parentPort.close();
    }
  });
  ctx.drive();
} else {
  let got = 0;
  parentPort.on('message', () => {
    Atomics.store(done, 0, ++got);
    if (got >= total) parentPort.close();
  });
}
