// `loopd` with no arguments: the README's main-job command.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from './support/daemon.js';
import { QmpTestClient, text } from './support/qmp-client.js';

describe('/cli/embedded-default', () => {
  it('serves a main-loop and iothread io0 on a private socket until SIGTERM, then cleans up', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [CLI], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 10_000;
    let socket: string | undefined;
    while (!socket) {
      socket = /QMP on (\S+)/.exec(stderr)?.[1];
      if (Date.now() > deadline) throw new Error(`no socket path printed: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stderr.split('\n')[1]).toContain('socat - UNIX-CONNECT:');
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(socket)).mode & 0o777).toBe(0o700);

    const client = await QmpTestClient.open(socket);
    const threads = (await client.execute('query-iothreads')) as { return: Array<Record<string, unknown>> };
    expect(threads.return).toHaveLength(1);
    expect(threads.return[0]).toMatchObject({ id: 'io0', 'poll-max-ns': 32768, 'aio-max-batch': 0 });
    expect(text(await client.execute('qom-get', { path: '/objects/main-loop', property: 'type' }))).toBe('{"return": "main-loop"}');
    expect(text(await client.execute('object-del', { id: 'main-loop' }))).toBe(
      '{"error": {"class": "GenericError", "desc": "object \'main-loop\' is in use, can not be deleted"}}',
    );
    const stats = (await client.execute('x-query-aio-stats')) as { return: Array<{ id: string }> };
    expect(stats.return.map((s) => s.id)).toEqual(['main', 'io0']);

    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(dirname(socket))).toBe(false);
  });
});
