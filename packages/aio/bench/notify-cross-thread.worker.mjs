// The worker side of notify-cross-thread.bench.mjs.
import { parentPort, workerData } from 'node:worker_threads';
import { AioContext, scheduleRemoteBh, thread } from '../dist/index.js';

const { mode, cpu } = workerData;
if (cpu !== undefined) thread.setAffinity([cpu]);

if (mode === 'atomics' || mode === 'spin') {
  const w = new Int32Array(workerData.sab);
  for (;;) {
    if (mode === 'atomics') Atomics.wait(w, 0, 0);
    else while (Atomics.load(w, 0) === 0);
    const v = Atomics.exchange(w, 0, 0);
    if (v === -1) break;
    Atomics.store(w, 1, v);
    Atomics.notify(w, 1);
  }
} else if (mode === 'port') {
  parentPort.on('message', (m) => {
    if (m === -1) parentPort.close();
    else parentPort.postMessage(m);
  });
} else {
  // 'driven' | 'poll': a context (driven, or a poll(true) loop; polling
  // with workerData.maxNs) whose remote BH answers with a remote BH of the
  // main thread's context.
  const ctx = new AioContext();
  if (workerData.maxNs) ctx.setPollParams({ maxNs: workerData.maxNs });
  let stop = false;
  const ping = ctx.remoteBhNew(() => scheduleRemoteBh(workerData.pong));
  const quit = ctx.remoteBhNew(() => {
    stop = true;
    if (workerData.maxNs !== undefined) parentPort.postMessage({ stats: ctx.stats });
    if (mode === 'driven') {
      ctx.destroy();
      parentPort.close();
    }
  });
  parentPort.postMessage({ ping: ping.token, quit: quit.token });
  if (mode === 'driven') ctx.drive();
  else {
    while (!stop) ctx.poll(true);
    ctx.destroy();
    parentPort.close();
  }
}
