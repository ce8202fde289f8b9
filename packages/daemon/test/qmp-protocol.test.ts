// The QMP protocol over a real unix socket, against an in-process monitor:
// greeting, negotiation, the protocol cases of the oracle's 40-qmp-protocol
// transcript, id echo, ordering across clients, events, error mapping.
import { readFileSync } from 'node:fs';
import { formatJson, parseJson, type JsonObject, type JsonValue } from '@loop/qom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Monitor } from '../src/index.js';
import { loadTranscript } from './support/daemon.js';
import { startMonitor } from './support/monitor.js';
import { QmpTestClient, text } from './support/qmp-client.js';

let monitor: Monitor;
let path: string;

beforeAll(async () => {
  ({ monitor, path } = await startMonitor());
});

afterAll(async () => {
  await monitor.close();
});

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const [major, minor, micro] = manifest.version.split('.').map(Number);

/** The transcript's steps that need query-iothreads, replayed against a command loopd has. */
const IOTHREAD_STAND_IN = 'query-name';

function err(cls: string, desc: string, id?: JsonValue): JsonObject {
  return id === undefined ? { error: { class: cls, desc } } : { id, error: { class: cls, desc } };
}

describe('/qmp/greeting', () => {
  it('has our version numbers in QEMU shape and offers oob', async () => {
    const client = await QmpTestClient.connect(path);
    expect(text(client.greeting)).toBe(
      formatJson({
        QMP: {
          version: { qemu: { micro: micro!, minor: minor!, major: major! }, package: `@loop/daemon ${manifest.version}` },
          capabilities: ['oob'],
        },
      }),
    );
    client.destroy();
  });

  it('ends every message with CR LF, as QEMU does', async () => {
    const client = await QmpTestClient.connect(path);
    const raw = new Promise<string>((resolve) => client.socket.once('data', (t: string) => resolve(t)));
    client.sendRaw('{"execute": "qmp_capabilities"}\n');
    expect(await raw).toBe('{"return": {}}\r\n');
    client.destroy();
  });
});

describe('/qmp/negotiation', () => {
  it('refuses commands before qmp_capabilities with QEMU error', async () => {
    const client = await QmpTestClient.connect(path);
    const expecting = "Expecting capabilities negotiation with 'qmp_capabilities'";
    expect(await client.execute('query-status')).toEqual(err('CommandNotFound', expecting));
    expect(await client.execute('no-such-command', undefined, 7)).toEqual(err('CommandNotFound', expecting, 7));
    // Protocol errors keep their own text in negotiation mode.
    client.sendRaw('{"execute": 1}\n');
    expect(await client.nextReply()).toEqual(err('GenericError', "QMP input member 'execute' must be a string"));
    expect(await client.execute('qmp_capabilities', undefined, 'neg')).toEqual({ return: {}, id: 'neg' });
    expect(await client.execute('qmp_capabilities')).toEqual(
      err('CommandNotFound', 'Capabilities negotiation is already complete, command ignored'),
    );
    client.destroy();
  });

  it('checks the enable argument like QEMU', async () => {
    const client = await QmpTestClient.connect(path);
    expect(await client.execute('qmp_capabilities', { enable: 'oob' })).toEqual(
      err('GenericError', "Invalid parameter type for 'enable', expected: array"),
    );
    expect(await client.execute('qmp_capabilities', { enable: [1] })).toEqual(
      err('GenericError', "Invalid parameter type for 'enable[0]', expected: string"),
    );
    expect(await client.execute('qmp_capabilities', { enable: ['foo'] })).toEqual(
      err('GenericError', "Parameter 'null' does not accept value 'foo'"),
    );
    expect(await client.execute('qmp_capabilities', { bogus: true })).toEqual(
      err('GenericError', "Parameter 'bogus' is unexpected"),
    );
    client.destroy();
  });

  it('with oob enabled, exec-oob is a known member but no command allows it', async () => {
    const client = await QmpTestClient.connect(path);
    expect(await client.execute('qmp_capabilities', { enable: ['oob'] })).toEqual({ return: {} });
    client.sendRaw('{"exec-oob": "query-status", "id": 1}\n');
    expect(await client.nextReply()).toEqual(err('GenericError', 'The command query-status does not support OOB', 1));
    client.sendRaw('{"exec-oob": "query-status", "execute": "query-status"}\n');
    expect(await client.nextReply()).toEqual(
      err('GenericError', "QMP input member 'execute' clashes with 'exec-oob'"),
    );
    expect(await client.execute('query-status')).toEqual({
      return: { status: 'running', singlestep: false, running: true },
    });
    client.destroy();
  });
});

describe('/qmp/oracle/40-qmp-protocol', () => {
  it('answers every step as QEMU 7.2 did', async () => {
    const transcript = loadTranscript('40-qmp-protocol');
    const client = await QmpTestClient.connect(path);
    // The script negotiates first; compare that reply too.
    expect(await client.execute('qmp_capabilities')).toEqual(transcript.qmp_capabilities);
    for (const step of transcript.steps as JsonObject[]) {
      const where = `step ${String(step.step)}`;
      let raw = Object.hasOwn(step, 'send_raw') ? (step.send_raw as string) : `${formatJson(step.send!)}\n`;
      let expected = (Object.hasOwn(step, 'responses') ? step.responses : [step.response]) as JsonValue[];
      // query-iothreads arrives with @loop/iothread; the protocol behaviour is the
      // same with any command. In this scenario every `"return": []` is its reply
      // (step 13 completes the request step 12 began).
      raw = raw.replaceAll('query-iothreads', IOTHREAD_STAND_IN);
      expected = parseJson(formatJson(expected).replaceAll('"return": []', '"return": {}')) as JsonValue[];
      if (formatJson(step.send ?? null).includes('query-version')) {
        // The one difference the issue allows: our own version numbers.
        expected = [{ return: { qemu: { micro: micro!, minor: minor!, major: major! }, package: `@loop/daemon ${manifest.version}` } }];
      }
      client.sendRaw(raw);
      const received: JsonValue[] = [];
      for (let i = 0; i < expected.length; i++) received.push(await client.nextReply());
      expect(received, where).toEqual(expected);
      expect(client.pending, where).toEqual([]);
    }
    // Nothing extra arrived: the next reply is the marker's.
    expect(await client.execute('query-name', undefined, 'end')).toEqual({ return: {}, id: 'end' });
    client.destroy();
  });
});

describe('/qmp/dispatch', () => {
  it('echoes any id on return and error', async () => {
    const client = await QmpTestClient.open(path);
    for (const id of ['s', 0, -1, 9223372036854775807n, null, true, [1, 'a'], { a: { b: [] } }] as JsonValue[]) {
      expect(text(await client.execute('query-name', undefined, id))).toBe(text({ return: {}, id }));
      expect(text(await client.execute('nope', undefined, id))).toBe(
        text({ id, error: { class: 'CommandNotFound', desc: 'The command nope has not been found' } }),
      );
    }
    client.destroy();
  });

  it('keeps 64-bit integers exact in both directions', async () => {
    const client = await QmpTestClient.open(path);
    client.sendRaw('{"execute": "x-test-echo", "arguments": {"value": [18446744073709551615, -9223372036854775808, 2.0]}}\n');
    expect(text(await client.nextReply())).toBe('{"return": {"value": [18446744073709551615, -9223372036854775808, 2]}}');
    client.sendRaw(
      '{"execute": "object-add", "arguments": {"qom-type": "test-gadget", "id": "big0", "big": 9223372036854775807}}\n',
    );
    expect(await client.nextReply()).toEqual({ return: {} });
    client.sendRaw('{"execute": "qom-get", "arguments": {"path": "/objects/big0", "property": "big"}}\n');
    expect(text(await client.nextReply())).toBe('{"return": 9223372036854775807}');
    expect(await client.execute('object-del', { id: 'big0' })).toEqual({ return: {} });
    client.destroy();
  });

  it('maps @loop errors to their QMP class, without the command-line hint', async () => {
    const client = await QmpTestClient.open(path);
    expect(await client.execute('object-add', { 'qom-type': 'test-gadget', id: 'a b' })).toEqual(
      err('GenericError', "Parameter 'id' expects an identifier"),
    );
    expect(await client.execute('qom-list', { path: '/objects/nope' })).toEqual(
      err('DeviceNotFound', "Device '/objects/nope' not found"),
    );
    expect(await client.execute('object-add', { 'qom-type': 'test-gadget', id: 'g9', level: 101 })).toEqual(
      err('GenericError', 'level value must be in range [0, 100]'),
    );
    client.destroy();
  });

  it('turns an unexpected exception into a GenericError and keeps serving', async () => {
    const client = await QmpTestClient.open(path);
    expect(await client.execute('x-test-throw', undefined, 3)).toEqual(err('GenericError', 'something unexpected', 3));
    expect(await client.execute('query-name')).toEqual({ return: {} });
    client.destroy();
  });

  it('lists its commands, and object-add/qom-set/object-del work end to end', async () => {
    const client = await QmpTestClient.open(path);
    const names = ((await client.execute('query-commands')) as { return: { name: string }[] }).return.map((c) => c.name);
    for (const name of [
      'qmp_capabilities',
      'query-commands',
      'query-version',
      'query-status',
      'query-name',
      'object-add',
      'object-del',
      'qom-list',
      'qom-get',
      'qom-set',
      'qom-list-types',
      'qom-list-properties',
      'quit',
    ]) {
      expect(names).toContain(name);
    }
    expect(await client.execute('object-add', { 'qom-type': 'test-gadget', id: 'g1', level: 5 })).toEqual({ return: {} });
    expect(await client.execute('qom-set', { path: 'g1', property: 'level', value: 7 })).toEqual({ return: {} });
    expect(await client.execute('qom-get', { path: '/objects/g1', property: 'level' })).toEqual({ return: 7 });
    expect(await client.execute('qom-list-types', { implements: 'test-gadget' })).toEqual({
      return: [{ name: 'test-gadget', parent: 'object' }],
    });
    expect(await client.execute('object-del', { id: 'g1' })).toEqual({ return: {} });
    expect(await client.execute('object-del', { id: 'g1' })).toEqual(err('GenericError', "object 'g1' not found"));
    client.destroy();
  });
});

describe('/qmp/clients', () => {
  it('serves several clients at once, one command at a time in arrival order', async () => {
    const a = await QmpTestClient.open(path);
    const b = await QmpTestClient.open(path);
    const c = await QmpTestClient.open(path);
    const order: string[] = [];
    // The marker's reply proves a's sleep is queued (it runs now) before b and c send.
    a.sendRaw('{"execute": "query-name", "id": "marker"}\n{"execute": "x-test-sleep", "arguments": {"ms": 100}, "id": "a"}\n');
    expect(await a.nextReply()).toEqual({ return: {}, id: 'marker' });
    b.send({ execute: 'query-status', id: 'b' });
    c.send({ execute: 'query-name', id: 'c' });
    await Promise.all(
      [a, b, c].map(async (client) => {
        const reply = (await client.nextReply()) as { id: string };
        order.push(reply.id);
      }),
    );
    expect(order).toEqual(['a', 'b', 'c']);
    for (const client of [a, b, c]) client.destroy();
  });

  it('sends events only to clients past negotiation', async () => {
    const negotiated = await QmpTestClient.open(path);
    const fresh = await QmpTestClient.connect(path);
    monitor.emitEvent('TEST_EVENT', { n: 1 });
    const event = (await negotiated.next()) as JsonObject;
    expect(event.event).toBe('TEST_EVENT');
    expect(event.data).toEqual({ n: 1 });
    const ts = event.timestamp as { seconds: number; microseconds: number };
    expect(Object.keys(event)).toEqual(['timestamp', 'event', 'data']);
    expect(Number.isInteger(ts.seconds) && Math.abs(ts.seconds - Date.now() / 1000) < 60).toBe(true);
    expect(Number.isInteger(ts.microseconds) && ts.microseconds >= 0 && ts.microseconds < 1e6).toBe(true);
    expect(await fresh.execute('qmp_capabilities')).toEqual({ return: {} });
    expect(fresh.pending).toEqual([]);
    negotiated.destroy();
    fresh.destroy();
  });

  it('reads a request split byte by byte, and several on one write', async () => {
    const client = await QmpTestClient.open(path);
    for (const byte of Buffer.from('{"execute": "query-name", "id": 1}\n')) client.sendRaw(Buffer.of(byte));
    expect(await client.nextReply()).toEqual({ return: {}, id: 1 });
    client.sendRaw('{"execute":"query-name","id":2}{"execute":"query-name","id":3}\n');
    expect(await client.nextReply()).toEqual({ return: {}, id: 2 });
    expect(await client.nextReply()).toEqual({ return: {}, id: 3 });
    client.destroy();
  });
});

describe('/qmp/oracle/argument-errors', () => {
  // Steps of the QEMU transcripts whose errors come from the argument schema
  // or from @loop/qom and do not depend on an iothread existing. For the
  // object-add steps that name `iothread` only as a valid creatable type,
  // the test type stands in for it (the expected text is QEMU's, unchanged).
  const cases: [string, number[], boolean][] = [
    ['10-qom-list-types', [10, 11, 12, 13, 14], false],
    ['11-qom-list-properties', [3, 4, 5, 7, 8, 9, 10, 14, 21], false],
    ['20-qom-get-set-iothread-int-props', [201, 202, 203, 204, 205], false],
    ['30-object-add-del-errors', [0, 2, 3, 4, 5, 6, 7, 8, 11, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23, 26, 27, 28, 29, 30, 31, 33], true],
  ];
  for (const [name, steps, standIn] of cases) {
    it(`${name}: steps ${steps.join(', ')}`, async () => {
      const transcript = loadTranscript(name);
      const client = await QmpTestClient.open(path);
      for (const n of steps) {
        const step = (transcript.steps as JsonObject[])[n]!;
        expect(step.step).toBe(n);
        let send = formatJson(step.send!);
        if (standIn) send = send.replace('"qom-type": "iothread"', '"qom-type": "test-gadget"');
        client.sendRaw(`${send}\n`);
        expect(await client.nextReply(), `${name} step ${n}: ${send}`).toEqual(step.response);
      }
      client.destroy();
    });
  }
});
