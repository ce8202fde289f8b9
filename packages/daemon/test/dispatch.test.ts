// The argument schema, the command table and the queue, without sockets.
import { parseJson, type JsonObject } from '@loop/qom';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  checkArguments,
  CommandQueue,
  dispatchRequest,
  encodeReply,
  QmpCommandTable,
  type ArgSchema,
  type QmpSession,
} from '../src/index.js';

function argError(schema: ArgSchema, args: string): string {
  try {
    checkArguments(schema, parseJson(args) as JsonObject);
  } catch (err) {
    expect(err).toBeInstanceOf(ArgumentError);
    return (err as Error).message;
  }
  return 'no error';
}

describe('/dispatch/arguments', () => {
  const schema: ArgSchema = [
    { name: 'path', type: 'str' },
    { name: 'n', type: 'int', optional: true },
    { name: 'flag', type: 'bool', optional: true },
    { name: 'v', type: 'any', optional: true },
  ];

  it('missing and mistyped members win over unexpected ones, in schema order', () => {
    expect(argError(schema, '{"extra": 1}')).toBe("Parameter 'path' is missing");
    expect(argError(schema, '{"extra": 1, "path": 5}')).toBe("Invalid parameter type for 'path', expected: string");
    expect(argError(schema, '{"path": "p", "flag": "yes", "n": 1.0}')).toBe(
      "Invalid parameter type for 'n', expected: integer",
    );
    expect(argError(schema, '{"path": "p", "flag": "yes"}')).toBe("Invalid parameter type for 'flag', expected: boolean");
    expect(argError(schema, '{"path": "p", "extra": 1}')).toBe("Parameter 'extra' is unexpected");
  });

  it('int is int64: bigint within range, not uint64 beyond it, not floats', () => {
    expect(argError(schema, '{"path": "p", "n": 9223372036854775807}')).toBe('no error');
    expect(argError(schema, '{"path": "p", "n": -9223372036854775808}')).toBe('no error');
    expect(argError(schema, '{"path": "p", "n": 9223372036854775808}')).toBe(
      "Invalid parameter type for 'n', expected: integer",
    );
    expect(argError(schema, '{"path": "p", "v": {"any": [null]}}')).toBe('no error');
  });

  it('lists and enums name their elements as QEMU does', () => {
    const s: ArgSchema = [{ name: 'enable', type: { list: { enum: ['oob'] } } }];
    expect(argError(s, '{"enable": {}}')).toBe("Invalid parameter type for 'enable', expected: array");
    expect(argError(s, '{"enable": ["oob", 2]}')).toBe("Invalid parameter type for 'enable[1]', expected: string");
    expect(argError(s, '{"enable": ["x"]}')).toBe("Parameter 'null' does not accept value 'x'");
    expect(argError([{ name: 'e', type: { enum: ['a'] } }], '{"e": "b"}')).toBe("Parameter 'e' does not accept value 'b'");
  });

  it('of several unexpected members names the one QEMU names, whatever the input order', () => {
    // Recorded from qemu-system 7.2 (test/oracle/extra, 63-qmp-unexpected-arguments-order).
    expect(argError([], '{"zzz": 1, "aaa": 2}')).toBe("Parameter 'zzz' is unexpected");
    expect(argError([], '{"aaa": 2, "zzz": 1}')).toBe("Parameter 'zzz' is unexpected");
    expect(argError([], '{"x": 3, "bar": 2, "foo": 1}')).toBe("Parameter 'bar' is unexpected");
    expect(argError(schema, '{"zzz": 1, "path": "p", "aaa": 2}')).toBe("Parameter 'zzz' is unexpected");
  });
});

describe('/dispatch/request', () => {
  const session: QmpSession = { id: 0, mode: 'command', oob: false };

  async function reply(text: string): Promise<string> {
    return encodeReply(await dispatchRequest(parseJson(text), new QmpCommandTable(), { session, monitor: null }));
  }

  it('checks the members in QEMU\'s QDict order, not input order', async () => {
    // Recorded from qemu-system 7.2 (test/oracle/extra, 61-qmp-request-members).
    for (const text of ['{"arguments": [], "execute": 5}', '{"execute": 5, "arguments": []}']) {
      expect(await reply(text)).toContain("QMP input member 'execute' must be a string");
    }
    for (const text of ['{"execute": 5, "bogus": 1}', '{"arguments": [], "bogus": 1}']) {
      expect(await reply(text)).toContain("QMP input member 'bogus' is unexpected");
    }
    expect(await reply('{"zzz": 1, "aaa": 2, "execute": "x"}')).toContain("QMP input member 'aaa' is unexpected");
  });
});

describe('/dispatch/table', () => {
  it('refuses a second command of the same name; lists by mode', () => {
    const table = new QmpCommandTable();
    table.register({ name: 'a', handler: () => 1 });
    table.register({ name: 'b', modes: ['negotiation', 'command'], handler: () => 2 });
    expect(() => table.register({ name: 'a', handler: () => 3 })).toThrow(
      expect.objectContaining({ code: 'LOOP_ERR_DUPLICATE_COMMAND' }),
    );
    expect(table.names('command')).toEqual(['a', 'b']);
    expect(table.names('negotiation')).toEqual(['b']);
    expect(table.find('a', 'negotiation')).toBeUndefined();
  });

  it('a result JSON cannot express becomes a GenericError reply with the id', async () => {
    const table = new QmpCommandTable();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    table.register({ name: 'cyclic', handler: () => cyclic });
    const session: QmpSession = { id: 0, mode: 'command', oob: false };
    const reply = await dispatchRequest(parseJson('{"execute": "cyclic", "id": 4}'), table, { session, monitor: null });
    expect(encodeReply(reply)).toBe(
      '{"id": 4, "error": {"class": "GenericError", "desc": "formatJson: cannot format a value that contains itself"}}\r\n',
    );
  });
});

describe('/dispatch/queue', () => {
  it('runs jobs one at a time in order, survives a throwing job, and drops an owner\'s waiting jobs', async () => {
    const queue = new CommandQueue();
    const log: string[] = [];
    const owner = {};
    queue.push(async () => {
      log.push('a<');
      await new Promise((r) => setTimeout(r, 20));
      log.push('a>');
    });
    queue.push(() => {
      throw new Error('boom');
    });
    queue.push(() => void log.push('dropped'), owner);
    queue.push(() => void log.push('b'));
    queue.pushFront(() => void log.push('first'));
    queue.dropOwner(owner);
    await queue.idle();
    expect(log).toEqual(['a<', 'a>', 'first', 'b']);
  });
});
