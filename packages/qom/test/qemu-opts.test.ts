/**
 * qemuOptsParse against every QemuOpts-form `-object` string of the oracle's
 * transcripts/qemu/90-cmdline-object.json (qemu-system-x86_64 7.2.22). The
 * JSON-form cases (`{...}`) do not go through this parser and are left out,
 * except for the id rule they share. Errors that QEMU raises later (unknown
 * qom-type or property, missing id, range and pool checks) belong to the QOM
 * core; for those cases we check what the parser hands over.
 */
import { describe, it, expect } from 'vitest';
import { ID_HINT, idWellFormed, qemuOptsParse, type QemuOptsParsed } from '../src/qemu-opts.js';
import { optsInt64 } from '../src/string-input.js';

const INT_PROPS = new Set(['poll-max-ns', 'poll-grow', 'poll-shrink', 'aio-max-batch', 'thread-pool-min', 'thread-pool-max']);

function parse(arg: string, existingIds?: ReadonlySet<string>): QemuOptsParsed {
  return qemuOptsParse(arg, existingIds === undefined ? { impliedKey: 'qom-type' } : { impliedKey: 'qom-type', existingIds });
}

/** The last value of each key, as the opts visitor sees them. */
function lastValues(p: QemuOptsParsed): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of p.entries) out[e.key] = e.value;
  return out;
}

/** Parse, then convert the integer properties as the opts visitor does (in order of the last values). */
function parseAndConvert(arg: string): Record<string, string | number | bigint> {
  const values: Record<string, string | number | bigint> = { ...lastValues(parse(arg)) };
  for (const [k, v] of Object.entries(values)) {
    if (INT_PROPS.has(k)) values[k] = optsInt64(k, v as string);
  }
  return values;
}

function caught(fn: () => unknown): { code: string; message: string; phase: string | undefined; hint: string | undefined } {
  try {
    fn();
  } catch (e) {
    const err = e as { code: string; message: string; phase?: string; hint?: string };
    return { code: err.code, message: err.message, phase: err.phase, hint: err.hint };
  }
  throw new Error('did not throw');
}

describe('qemuOptsParse: accepted forms (transcript cases)', () => {
  it('valid-minimal: iothread,id=io0', () => {
    expect(parse('iothread,id=io0')).toEqual({
      entries: [{ key: 'qom-type', value: 'iothread' }],
      id: 'io0',
      help: false,
      warnings: [],
    });
  });

  it('valid-all-props', () => {
    const p = parse('iothread,id=io0,poll-max-ns=100,poll-grow=2,poll-shrink=3,aio-max-batch=4,thread-pool-min=1,thread-pool-max=8');
    expect(p.id).toBe('io0');
    expect(p.entries).toEqual([
      { key: 'qom-type', value: 'iothread' },
      { key: 'poll-max-ns', value: '100' },
      { key: 'poll-grow', value: '2' },
      { key: 'poll-shrink', value: '3' },
      { key: 'aio-max-batch', value: '4' },
      { key: 'thread-pool-min', value: '1' },
      { key: 'thread-pool-max', value: '8' },
    ]);
    expect(p.warnings).toEqual([]);
  });

  it('valid-id-first: id=io0,qom-type=iothread', () => {
    expect(parse('id=io0,qom-type=iothread')).toEqual({
      entries: [{ key: 'qom-type', value: 'iothread' }],
      id: 'io0',
      help: false,
      warnings: [],
    });
  });

  it('valid-plus-sign and valid-leading-space keep the raw value for the visitor', () => {
    expect(lastValues(parse('iothread,id=io0,poll-max-ns=+5'))['poll-max-ns']).toBe('+5');
    expect(lastValues(parse('iothread,id=io0,poll-max-ns= 5'))['poll-max-ns']).toBe(' 5');
    expect(parseAndConvert('iothread,id=io0,poll-max-ns=+5')['poll-max-ns']).toBe(5);
    expect(parseAndConvert('iothread,id=io0,poll-max-ns= 5')['poll-max-ns']).toBe(5);
  });

  it('valid-min-eq-max, valid-pool-max-int-max, max-200-min-100', () => {
    expect(parseAndConvert('iothread,id=io0,thread-pool-min=5,thread-pool-max=5')).toEqual({
      'qom-type': 'iothread',
      'thread-pool-min': 5,
      'thread-pool-max': 5,
    });
    expect(parseAndConvert('iothread,id=io0,thread-pool-max=2147483647')['thread-pool-max']).toBe(2147483647);
    expect(parse('iothread,id=io0,thread-pool-max=200,thread-pool-min=100').entries).toEqual([
      { key: 'qom-type', value: 'iothread' },
      { key: 'thread-pool-max', value: '200' },
      { key: 'thread-pool-min', value: '100' },
    ]);
  });

  it('trailing-comma: iothread,id=io0,', () => {
    expect(parse('iothread,id=io0,')).toEqual(parse('iothread,id=io0'));
  });

  it('two-iothreads and three-iothreads-order: distinct ids pass the duplicate check', () => {
    const seen = new Set<string>();
    for (const arg of ['iothread,id=c', 'iothread,id=a', 'iothread,id=b']) {
      const p = parse(arg, seen);
      seen.add(p.id!);
    }
    expect([...seen]).toEqual(['c', 'a', 'b']);
    expect(parse('iothread,id=io1', new Set(['io0'])).id).toBe('io1');
  });

  it('main-loop-valid and main-loop-and-iothread', () => {
    expect(parseAndConvert('main-loop,id=ml0,aio-max-batch=3,thread-pool-min=1,thread-pool-max=4')).toEqual({
      'qom-type': 'main-loop',
      'aio-max-batch': 3,
      'thread-pool-min': 1,
      'thread-pool-max': 4,
    });
    expect(parse('main-loop,id=ml0').id).toBe('ml0');
  });
});

describe('qemuOptsParse: duplicates (transcript cases)', () => {
  it('dup-key-id: the first id wins', () => {
    const p = parse('iothread,id=a,id=b');
    expect(p.id).toBe('a');
    expect(p.entries).toEqual([{ key: 'qom-type', value: 'iothread' }]);
  });

  it('dup-qom-type: both kept in order, the explicit one last', () => {
    const p = parse('iothread,id=io0,qom-type=main-loop');
    expect(p.entries).toEqual([
      { key: 'qom-type', value: 'iothread' },
      { key: 'qom-type', value: 'main-loop' },
    ]);
    expect(lastValues(p)['qom-type']).toBe('main-loop');
  });

  it('duplicate properties: last wins for the consumer', () => {
    expect(parseAndConvert('iothread,id=io0,poll-max-ns=1,poll-max-ns=2')['poll-max-ns']).toBe(2);
  });

  it("dup-id-iothread-main-loop: Duplicate ID 'x' for object", () => {
    const seen = new Set([parse('iothread,id=x').id!]);
    expect(caught(() => parse('main-loop,id=x', seen))).toEqual({
      code: 'LOOP_ERR_DUPLICATE',
      message: "Duplicate ID 'x' for object",
      phase: 'parse',
      hint: undefined,
    });
  });

  it('checks the id before the duplicate', () => {
    expect(caught(() => parse('iothread,id=a b', new Set(['a b']))).message).toBe("Parameter 'id' expects an identifier");
  });
});

describe('qemuOptsParse: comma escaping (transcript cases)', () => {
  it("comma-escape-id: iothread,,id=io0 makes qom-type 'iothread,id=io0'", () => {
    const p = parse('iothread,,id=io0');
    expect(p.entries).toEqual([{ key: 'qom-type', value: 'iothread,id=io0' }]);
    // QEMU's separate id pass knows no implied key and does find id=io0 there.
    expect(p.id).toBe('io0');
    expect(p.warnings).toEqual([]);
  });

  it('comma-escape-in-int: poll-max-ns=1,,2 is the value 1,2', () => {
    expect(lastValues(parse('iothread,id=io0,poll-max-ns=1,,2'))['poll-max-ns']).toBe('1,2');
    expect(caught(() => parseAndConvert('iothread,id=io0,poll-max-ns=1,,2')).message).toBe(
      "Parameter 'poll-max-ns' expects an int64 value",
    );
  });

  it('escapes in any value, and a triple comma ends the value after one comma', () => {
    expect(parse('iothread,id=io0,a=x,,y,,,b=z').entries).toEqual([
      { key: 'qom-type', value: 'iothread' },
      { key: 'a', value: 'x,y,' },
      { key: 'b', value: 'z' },
    ]);
  });

  it('comma-escape-json shares the id rule: a,b is not an identifier', () => {
    expect(idWellFormed('a,b')).toBe(false);
  });
});

describe('qemuOptsParse: bad integers (transcript cases)', () => {
  const bad: Array<[string, string]> = [
    ['bad-int-poll-max-ns-float', 'iothread,id=io0,poll-max-ns=1.5'],
    ['bad-int-poll-max-ns-suffix-k', 'iothread,id=io0,poll-max-ns=1k'],
    ['bad-int-poll-max-ns-trailing-junk', 'iothread,id=io0,poll-max-ns=5x'],
    ['bad-int-poll-max-ns-uint64-max', 'iothread,id=io0,poll-max-ns=18446744073709551615'],
    ['bad-int-poll-max-ns-bool-on', 'iothread,id=io0,poll-max-ns=on'],
    ['bad-int-poll-max-ns-space-inside', 'iothread,id=io0,poll-max-ns=1 2'],
  ];
  for (const [name, arg] of bad) {
    it(`${name}: ${arg}`, () => {
      expect(parse(arg).id).toBe('io0');
      expect(caught(() => parseAndConvert(arg))).toEqual({
        code: 'LOOP_ERR_INVALID_PARAM',
        message: "Parameter 'poll-max-ns' expects an int64 value",
        phase: 'parse',
        hint: undefined,
      });
    });
  }

  it("bad-int-thread-pool-min: thread-pool-min=x", () => {
    expect(caught(() => parseAndConvert('iothread,id=io0,thread-pool-min=x')).message).toBe(
      "Parameter 'thread-pool-min' expects an int64 value",
    );
  });

  it('negative values parse; the range error comes at creation', () => {
    expect(parseAndConvert('iothread,id=io0,poll-max-ns=-1')['poll-max-ns']).toBe(-1);
    expect(parseAndConvert('iothread,id=io0,poll-max-ns=-9223372036854775808')['poll-max-ns']).toBe(-9223372036854775808n);
  });

  it('pool values parse; the pool check comes at creation', () => {
    expect(parseAndConvert('iothread,id=io0,thread-pool-min=10,thread-pool-max=5')).toEqual({
      'qom-type': 'iothread',
      'thread-pool-min': 10,
      'thread-pool-max': 5,
    });
    expect(parseAndConvert('iothread,id=io0,thread-pool-max=0')['thread-pool-max']).toBe(0);
    expect(parseAndConvert('iothread,id=io0,thread-pool-max=2147483648')['thread-pool-max']).toBe(2147483648);
    expect(parseAndConvert('main-loop,id=ml0,thread-pool-max=0')['thread-pool-max']).toBe(0);
    expect(parseAndConvert('main-loop,id=ml0,thread-pool-min=9,thread-pool-max=3')).toEqual({
      'qom-type': 'main-loop',
      'thread-pool-min': 9,
      'thread-pool-max': 3,
    });
  });
});

describe('qemuOptsParse: keys (transcript cases)', () => {
  it("no-key: iothread,id=io0,=5 keeps the empty key for the caller to reject", () => {
    expect(parse('iothread,id=io0,=5').entries).toEqual([
      { key: 'qom-type', value: 'iothread' },
      { key: '', value: '5' },
    ]);
  });

  it('unknown-property and unknown-property-main-loop-poll reach the caller as entries', () => {
    expect(parse('iothread,id=io0,foo=bar').entries).toEqual([
      { key: 'qom-type', value: 'iothread' },
      { key: 'foo', value: 'bar' },
    ]);
    expect(parse('main-loop,id=ml0,poll-max-ns=1').entries).toEqual([
      { key: 'qom-type', value: 'main-loop' },
      { key: 'poll-max-ns', value: '1' },
    ]);
  });

  it('does not validate key syntax (keyval does)', () => {
    expect(parse('iothread,id=io0,7up=1,a.b=2,a b=3').entries.map((e) => e.key)).toEqual(['qom-type', '7up', 'a.b', 'a b']);
  });
});

describe('qemuOptsParse: ids (transcript cases)', () => {
  for (const [name, arg] of [
    ['empty-id', 'iothread,id='],
    ['id-with-space', 'iothread,id=a b'],
    ['id-with-slash', 'iothread,id=a/b'],
  ] as const) {
    it(`${name}: ${arg}`, () => {
      expect(caught(() => parse(arg))).toEqual({
        code: 'LOOP_ERR_INVALID_PARAM',
        message: "Parameter 'id' expects an identifier",
        phase: 'parse',
        hint: "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
      });
    });
  }

  it('exports the hint text', () => {
    expect(ID_HINT).toBe("Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
  });

  it('missing-id-with-prop: iothread,poll-max-ns=5 has no id', () => {
    expect(parse('iothread,poll-max-ns=5')).toEqual({
      entries: [
        { key: 'qom-type', value: 'iothread' },
        { key: 'poll-max-ns', value: '5' },
      ],
      id: undefined,
      help: false,
      warnings: [],
    });
  });

  it('validates only the first id', () => {
    expect(parse('iothread,id=ok,id=not ok').id).toBe('ok');
    expect(caught(() => parse('iothread,id=not ok,id=ok')).message).toBe("Parameter 'id' expects an identifier");
  });

  it('idWellFormed follows [A-Za-z][A-Za-z0-9._-]*, ASCII only, no length limit', () => {
    for (const ok of ['a.b-c_D9', 'Z', 'io0', 'a'.repeat(300)]) expect(idWellFormed(ok)).toBe(true);
    for (const bad of ['0abc', 'a b', 'a,b', '', '_a', '-a', 'a/b', 'été', 'a\n', '.a']) expect(idWellFormed(bad)).toBe(false);
  });
});

describe('qemuOptsParse: missing qom-type (transcript cases)', () => {
  it('missing-type: id=io0 has no qom-type entry', () => {
    expect(parse('id=io0')).toEqual({ entries: [], id: 'io0', help: false, warnings: [] });
  });

  it('empty-string: no entries at all', () => {
    expect(parse('')).toEqual({ entries: [], id: undefined, help: false, warnings: [] });
  });

  it('unknown-type: nosuchtype,id=x hands the type over', () => {
    expect(parse('nosuchtype,id=x').entries).toEqual([{ key: 'qom-type', value: 'nosuchtype' }]);
  });

  it('an empty first item is an empty implied value', () => {
    expect(parse(',id=x').entries).toEqual([{ key: 'qom-type', value: '' }]);
  });
});

describe('qemuOptsParse: help (transcript cases)', () => {
  for (const type of ['iothread', 'main-loop', 'event-loop-base']) {
    it(`help-${type}: ${type},help`, () => {
      expect(parse(`${type},help`)).toEqual({
        entries: [
          { key: 'qom-type', value: type },
          { key: 'help', value: 'on' },
        ],
        id: undefined,
        help: true,
        warnings: [],
      });
    });
  }

  it('help with an id too', () => {
    const p = parse('iothread,id=io0,help');
    expect(p.help).toBe(true);
    expect(p.id).toBe('io0');
  });

  it('question-mark: ? is the qom-type and asks for the type list', () => {
    expect(parse('?')).toEqual({ entries: [{ key: 'qom-type', value: '?' }], id: undefined, help: true, warnings: [] });
    expect(parse('help').help).toBe(true);
    expect(parse('iothread,?').help).toBe(true);
  });

  it('help=on and help=off count, as qemu_opt_has_help_opt only looks at the key', () => {
    expect(parse('iothread,help=on').help).toBe(true);
    expect(parse('iothread,help=off').help).toBe(true);
  });

  it('help after a bad id is still the id error', () => {
    expect(caught(() => parse('iothread,id=a b,help')).message).toBe("Parameter 'id' expects an identifier");
  });
});

describe('qemuOptsParse: short-form booleans (README: bare key poll-grow)', () => {
  it('poll-grow alone becomes poll-grow=on with two warning lines, then fails as an int', () => {
    const p = parse('iothread,id=io0,poll-grow');
    expect(p.entries).toEqual([
      { key: 'qom-type', value: 'iothread' },
      { key: 'poll-grow', value: 'on' },
    ]);
    expect(p.warnings).toEqual(["short-form boolean option 'poll-grow' deprecated", 'Please use poll-grow=on instead']);
    expect(caught(() => parseAndConvert('iothread,id=io0,poll-grow')).message).toBe(
      "Parameter 'poll-grow' expects an int64 value",
    );
  });

  it('the no prefix negates', () => {
    const p = parse('iothread,id=io0,nofoo');
    expect(p.entries[1]).toEqual({ key: 'foo', value: 'off' });
    expect(p.warnings).toEqual(["short-form boolean option 'nofoo' deprecated", 'Please use foo=off instead']);
  });

  it('delay and nodelay are steered to nodelay', () => {
    expect(parse('x,delay').warnings).toEqual(["short-form boolean option 'delay' deprecated", 'Please use nodelay=off instead']);
    expect(parse('x,nodelay').warnings).toEqual(["short-form boolean option 'nodelay' deprecated", 'Please use nodelay=on instead']);
  });

  it('nohelp warns and still counts as help', () => {
    const p = parse('iothread,nohelp');
    expect(p.entries[1]).toEqual({ key: 'help', value: 'off' });
    expect(p.warnings).toEqual(["short-form boolean option 'nohelp' deprecated", 'Please use help=off instead']);
    expect(p.help).toBe(true);
  });

  it('a bare id or noid item sets the id (QEMU quirk)', () => {
    expect(parse('iothread,noid').id).toBe('off');
    expect(parse('iothread,id').id).toBe('on');
  });

  it('the implied first item never warns', () => {
    expect(parse('iothread').warnings).toEqual([]);
  });
});
