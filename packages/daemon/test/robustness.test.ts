// What bad or vanishing clients cannot do to the daemon: a client killed in
// the middle of a request, oversized input, floods, half-closed sockets and
// random bytes (fast-check), each time with another client still served.
import { connect, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { formatJson, type JsonObject, type JsonValue } from '@loop/qom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_READER_LIMITS, type Monitor } from '../src/index.js';
import { startMonitor } from './support/monitor.js';
import { QmpTestClient } from './support/qmp-client.js';

let monitor: Monitor;
let path: string;

beforeAll(async () => {
  ({ monitor, path } = await startMonitor());
});

afterAll(async () => {
  await monitor.close();
});

const isError = (m: JsonValue): boolean => typeof m === 'object' && m !== null && 'error' in m;

async function objectIds(client: QmpTestClient): Promise<string[]> {
  const reply = (await client.execute('qom-list', { path: '/objects' })) as { return?: { name: string }[] };
  return (reply.return ?? []).map((p) => p.name).filter((n) => n !== 'type');
}

describe('/robustness/disconnect', () => {
  const slowThenQueued =
    '{"execute": "object-add", "arguments": {"qom-type": "test-gadget", "id": "ID", "delay-ms": 200}}\n' +
    '{"execute": "object-add", "arguments": {"qom-type": "test-gadget", "id": "ID-q1"}}\n' +
    '{"execute": "object-add", "arguments": {"qom-type": "test-gadget", "id": "ID-q2"}}\n';

  it('a client reset mid-request harms nobody; its queued requests are dropped', async () => {
    // A TCP reset (RST) is a disconnection the server can see as such.
    const tcp = await monitor.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    const { port } = tcp.boundAddress as AddressInfo;
    const victim = await QmpTestClient.open({ host: '127.0.0.1', port });
    const other = await QmpTestClient.open(path);
    // The marker's reply proves the server read the whole write: the slow creation runs now.
    victim.sendRaw(`{"execute": "query-name", "id": "started"}\n${slowThenQueued.replaceAll('ID', 'reset')}`);
    expect(await victim.nextReply()).toEqual({ return: {}, id: 'started' });
    victim.socket.resetAndDestroy();
    expect(await other.execute('query-status', undefined, 'alive')).toEqual({
      return: { status: 'running', singlestep: false, running: true },
      id: 'alive',
    });
    // The running command finished (as in QEMU); the queued ones never ran.
    const ids = await objectIds(other);
    expect(ids).toContain('reset');
    expect(ids).not.toContain('reset-q1');
    expect(ids).not.toContain('reset-q2');
    expect(await other.execute('object-del', { id: 'reset' })).toEqual({ return: {} });
    other.destroy();
    await tcp.close();
  });

  it('a client that closes mid-request harms nobody; what it sent completely still runs', async () => {
    // A FIN cannot be told apart from a half-close: requests received in full
    // are executed, their replies go nowhere.
    const victim = await QmpTestClient.open(path);
    const other = await QmpTestClient.open(path);
    victim.sendRaw(`{"execute": "query-name", "id": "started"}\n${slowThenQueued.replaceAll('ID', 'gone')}`);
    expect(await victim.nextReply()).toEqual({ return: {}, id: 'started' });
    victim.destroy();
    expect(await other.execute('query-status', undefined, 'alive')).toMatchObject({ id: 'alive' });
    expect(await objectIds(other)).toEqual(expect.arrayContaining(['gone', 'gone-q1', 'gone-q2']));
    for (const id of ['gone', 'gone-q1', 'gone-q2']) expect(await other.execute('object-del', { id })).toEqual({ return: {} });
    other.destroy();
  });

  it('a client that half-closes still gets its replies, then the server closes', async () => {
    const client = await QmpTestClient.open(path);
    client.sendRaw('{"execute": "x-test-sleep", "arguments": {"ms": 30}, "id": 1}\n{"execute": "query-name", "id": 2}\n{"exec');
    client.end();
    // The unfinished value at the end gets no reply, as in QEMU.
    expect(await client.drain()).toEqual([
      { return: {}, id: 1 },
      { return: {}, id: 2 },
    ]);
  });
});

describe('/robustness/limits', () => {
  it('rejects a request larger than the bound with an error and keeps answering', async () => {
    const client = await QmpTestClient.open(path);
    const other = await QmpTestClient.open(path);
    const huge = 'a'.repeat(DEFAULT_READER_LIMITS.maxBytes + 4096);
    client.sendRaw(`{"execute": "x-test-echo", "arguments": {"value": "${huge}"}}\n`);
    client.sendRaw('{"execute": "query-name", "id": "after"}\n');
    const replies: JsonValue[] = [];
    for (;;) {
      const m = await client.nextReply();
      replies.push(m);
      if ((m as { id?: unknown }).id === 'after') break;
    }
    expect(replies[0]).toEqual({ error: { class: 'GenericError', desc: 'JSON token size limit exceeded' } });
    expect(replies.slice(0, -1).every(isError)).toBe(true);
    expect(replies.at(-1)).toEqual({ return: {}, id: 'after' });
    expect(await other.execute('query-name')).toEqual({ return: {} });
    // Nesting is bounded as well.
    client.sendRaw(`${'['.repeat(DEFAULT_READER_LIMITS.maxDepth + 1)}\n`);
    expect(await client.nextReply()).toEqual({
      error: { class: 'GenericError', desc: 'JSON nesting depth limit exceeded' },
    });
    client.destroy();
    other.destroy();
  });

  it('a client that floods without reading is paused, not buffered without end', async () => {
    const flooder = await QmpTestClient.open(path);
    const count = 3000;
    flooder.sendRaw('{"execute": "query-name"}\n'.repeat(count));
    const other = await QmpTestClient.open(path);
    expect(await other.execute('query-status', undefined, 1)).toMatchObject({ id: 1 });
    let replies = 0;
    while (replies < count) {
      expect(await flooder.nextReply()).toEqual({ return: {} });
      replies++;
    }
    expect(flooder.pending).toEqual([]);
    flooder.destroy();
    other.destroy();
  });
});

/** Complete JSON texts that are not valid QMP requests (each must get an error reply). */
const malformedValue: fc.Arbitrary<string> = fc.oneof(
  // Not an object at all.
  fc.oneof(fc.array(fc.jsonValue(), { maxLength: 4 }), fc.string(), fc.integer(), fc.boolean(), fc.constant(null)).map(
    (v) => formatJson(v),
  ),
  // An object without `execute`.
  fc
    .dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'execute'),
      fc.jsonValue({ maxDepth: 2 }),
      { minKeys: 0, maxKeys: 4 },
    )
    .map((d) => formatJson(d)),
  // `execute` that is not a string, or not a command.
  fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string').map((v) => formatJson({ execute: v as JsonValue })),
  fc.string({ maxLength: 12 }).map((name) => formatJson({ execute: `x-fuzz-${name}` })),
  // `arguments` that is not an object.
  fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer())).map((a) =>
    formatJson({ execute: 'query-name', arguments: a as JsonValue }),
  ),
  // Syntax errors inside balanced brackets.
  fc.constantFrom(
    '{"execute": }',
    '[1,,2]',
    '{"a" 1}',
    '{"a": 1,}',
    '{1: 2}',
    '{"a": tru}',
    '{"a": "\\x"}',
    '{"a": 1 "b": 2}',
    '{"a": 1, "a": 2}',
    '@@@',
    '{"execute": "query-name", "arguments": {"x": 0x10}}',
  ),
);

function exchange(payload: Uint8Array | string): Promise<{ messages: JsonValue[] }> {
  return (async () => {
    const client = await QmpTestClient.open(path);
    client.sendRaw(payload);
    client.end();
    return { messages: await client.drain(5000) };
  })();
}

describe('/robustness/fuzz', () => {
  it('10k random byte strings and malformed values, one per connection', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 256 }).map((bytes) => ({ kind: 'bytes' as const, payload: bytes })),
          malformedValue.map((v) => ({ kind: 'malformed' as const, payload: `${v}\n` })),
        ),
        async ({ kind, payload }) => {
          const { messages } = await exchange(payload);
          // Whatever came back is an error: random input never runs a command.
          expect(messages.every(isError)).toBe(true);
          if (kind === 'malformed') expect(messages.length).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 10_000 },
    );
    // The daemon is still up, and a fresh client is served.
    const client = await QmpTestClient.open(path);
    expect(await client.execute('query-status', undefined, 'fresh')).toEqual({
      return: { status: 'running', singlestep: false, running: true },
      id: 'fresh',
    });
    client.destroy();
  });

  it('a raw connection that sends garbage without negotiating is answered and closed cleanly', async () => {
    const socket = connect({ path });
    let received = '';
    socket.setEncoding('utf8').on('data', (t: string) => (received += t));
    await new Promise((r) => socket.once('connect', r));
    socket.end(Buffer.from([0xff, 0x00, 0x7b, 0x7d, 0x0a]));
    await new Promise((r) => socket.once('close', r));
    const lines = received.trim().split('\r\n');
    expect(lines[0]).toMatch(/^\{"QMP": /);
    expect(lines.slice(1).every((l) => (JSON.parse(l) as JsonObject).error !== undefined)).toBe(true);
  });
});
