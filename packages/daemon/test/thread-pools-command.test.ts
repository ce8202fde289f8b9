// x-query-thread-pools on a loopd whose main context has a pool in use.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type RunningDaemon } from './support/daemon.js';
import { QmpTestClient } from './support/qmp-client.js';

const PLUGIN = fileURLToPath(new URL('./fixtures/pool-plugin.mjs', import.meta.url));
let daemon: RunningDaemon;
let client: QmpTestClient;

beforeAll(async () => {
  const sock = join(tempDir(), 'q.sock');
  daemon = await startDaemon(
    ['--plugin', PLUGIN, '-qmp', `unix:${sock},server=on,wait=off`, '-object', 'main-loop,id=ml0,thread-pool-min=2,thread-pool-max=4', '-object', 'iothread,id=io0'],
    sock,
  );
  client = await QmpTestClient.open(sock);
});

afterAll(async () => {
  client.destroy();
  daemon.child.kill('SIGTERM');
  await daemon.exited;
});

describe('/qmp/x-query-thread-pools', () => {
  it('reports the main pool, sized by the main-loop object, and no pool for an unused iothread', async () => {
    const reply = (await client.execute('x-query-thread-pools')) as { return: Array<Record<string, unknown>> };
    const [main, io0] = reply.return;
    expect(main).toMatchObject({ id: 'main', exists: true, min: 2, max: 4, completed: 1 });
    expect(main!.threads).toBeGreaterThanOrEqual(2);
    expect(io0).toEqual({ id: 'io0', 'thread-id': expect.any(Number), exists: false });
    await client.execute('qom-set', { path: '/objects/ml0', property: 'thread-pool-max', value: 6 });
    const again = (await client.execute('x-query-thread-pools')) as { return: Array<Record<string, unknown>> };
    expect(again.return[0]).toMatchObject({ min: 2, max: 6 });
  });
});
