// The event-loop commands on a running loopd with real iothreads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type RunningDaemon } from './support/daemon.js';
import { QmpTestClient, text } from './support/qmp-client.js';

let daemon: RunningDaemon;
let client: QmpTestClient;

beforeAll(async () => {
  const sock = join(tempDir(), 'q.sock');
  daemon = await startDaemon(['-qmp', `unix:${sock},server=on,wait=off`, '-object', 'iothread,id=io0,poll-max-ns=0', '-object', 'iothread,id=io1'], sock);
  client = await QmpTestClient.open(sock);
});

afterAll(async () => {
  client.destroy();
  daemon.child.kill('SIGTERM');
  await daemon.exited;
});

describe('/qmp/iothreads', () => {
  it('query-iothreads reports real thread ids named after the iothreads', async () => {
    const reply = (await client.execute('query-iothreads')) as { return: Array<{ id: string; 'thread-id': number }> };
    expect(reply.return.map((t) => t.id)).toEqual(['io0', 'io1']);
    for (const t of reply.return) {
      const comm = readFileSync(`/proc/${daemon.child.pid}/task/${t['thread-id']}/comm`, 'utf8').trim();
      expect(comm).toBe(`IO ${t.id}`);
    }
  });

  it('x-iothread-set-affinity pins the thread; unknown ids and bad arguments get QEMU-style errors', async () => {
    expect(text(await client.execute('x-iothread-set-affinity', { id: 'io1', cpus: [0] }))).toBe('{"return": {"cpus": [0]}}');
    const tid = ((await client.execute('query-iothreads')) as { return: Array<{ id: string; 'thread-id': number }> }).return[1]!['thread-id'];
    expect(readFileSync(`/proc/${daemon.child.pid}/task/${tid}/status`, 'utf8')).toMatch(/Cpus_allowed_list:\s*0\n/);
    expect(text(await client.execute('x-iothread-set-affinity', { id: 'nope', cpus: [0] }))).toBe(
      '{"error": {"class": "GenericError", "desc": "object \'nope\' not found"}}',
    );
    expect(text(await client.execute('x-iothread-set-affinity', { id: 'io1' }))).toBe(
      '{"error": {"class": "GenericError", "desc": "Parameter \'cpus\' is missing"}}',
    );
  });

  it('x-query-aio-stats reflects a qom-set of poll-max-ns on a running iothread', async () => {
    await client.execute('qom-set', { path: '/objects/io1', property: 'poll-max-ns', value: 1234 });
    const stats = (await client.execute('x-query-aio-stats')) as { return: Array<Record<string, unknown>> };
    expect(stats.return.map((s) => s.id)).toEqual(['main', 'io0', 'io1']);
    expect(stats.return[1]).toMatchObject({ 'poll-max-ns': 0 });
    expect(stats.return[2]).toMatchObject({ 'poll-max-ns': 1234, 'poll-ns': 0 });
  });

  it('object-del joins the thread', async () => {
    const tid = ((await client.execute('query-iothreads')) as { return: Array<{ 'thread-id': number }> }).return[0]!['thread-id'];
    expect(text(await client.execute('object-del', { id: 'io0' }))).toBe('{"return": {}}');
    expect(() => readFileSync(`/proc/${daemon.child.pid}/task/${tid}/comm`)).toThrow();
  });
});
