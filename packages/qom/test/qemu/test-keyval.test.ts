/**
 * Our own tests for the scenarios of QEMU's tests/unit/test-keyval.c; the
 * describe titles keep QEMU's test paths. Where QEMU only checks that an error
 * happens, we pin the exact text our port (and QEMU) produces.
 */
import { describe, it, expect } from 'vitest';
import {
  keyvalParse,
  keyvalMerge,
  keyvalInt64,
  keyvalUint64,
  keyvalSize,
  keyvalBool,
  type KeyvalDict,
} from '../../src/keyval.js';

function parse(input: string, impliedKey?: string): KeyvalDict {
  return keyvalParse(input, impliedKey === undefined ? {} : { impliedKey }).dict;
}

function parseError(input: string, options: { impliedKey?: string; acceptHelp?: boolean } = {}): unknown {
  try {
    keyvalParse(input, options);
  } catch (e) {
    return e;
  }
  throw new Error(`keyvalParse(${JSON.stringify(input)}) did not throw`);
}

function expectParseError(input: string, message: string, options: { impliedKey?: string; acceptHelp?: boolean } = {}): void {
  const e = parseError(input, options) as { code?: string; message?: string; phase?: string };
  expect(e.code).toBe('LOOP_ERR_INVALID_PARAM');
  expect(e.phase).toBe('parse');
  expect(e.message).toBe(message);
}

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

describe('/keyval/keyval_parse', () => {
  it('parses nothing into an empty dictionary', () => {
    expect(keyvalParse('')).toEqual({ dict: {}, help: false });
  });

  it('rejects an empty key', () => {
    expectParseError('=val', "Invalid parameter ''");
  });

  it('rejects an empty key fragment', () => {
    expectParseError('.', "Invalid parameter '.'");
    expectParseError('key.', "Invalid parameter 'key.'");
  });

  it('rejects a key that is not a QAPI name', () => {
    expectParseError('7up=val', "Invalid parameter '7up'");
  });

  const long127 = 'a'.repeat(126) + 'z';
  const long128 = 'a'.repeat(127) + 'z';

  it('rejects an overlong key', () => {
    expectParseError(`${long128}=v`, `Parameter '${long128}' is too long`);
  });

  it('rejects an overlong key fragment', () => {
    expectParseError(`k.${long128}=v`, `Parameter fragment '${long128}' is too long`);
    expectParseError(`${long128}.k=v`, `Parameter fragment '${long128}' is too long`);
  });

  it('accepts a key of 127 characters', () => {
    expect(parse(`${long127}=v`)).toEqual({ [long127]: 'v' });
  });

  it('accepts a key fragment of 127 characters', () => {
    expect(parse(`k.${long127}=v`)).toEqual({ k: { [long127]: 'v' } });
  });

  it('rejects crap after a valid key', () => {
    expectParseError('key[0]=val', "Invalid parameter 'key[0]'");
  });

  it('lets the last of repeated keys win', () => {
    expect(parse('a=1,b=2,,x,a=3')).toEqual({ a: '3', b: '2,x' });
  });

  it('lets the last id win, unlike QemuOpts', () => {
    expect(parse('id=foo,id=bar')).toEqual({ id: 'bar' });
  });

  it('builds nested dictionaries from dotted keys', () => {
    expect(parse('a.b.c=1,a.b.c=2,d=3')).toEqual({ a: { b: { c: '2' } }, d: '3' });
  });

  it('rejects inconsistent dotted keys', () => {
    expectParseError('a.b=1,a=2', "Parameters 'a.*' used inconsistently");
    expectParseError('a.b=1,a.b.c=2', "Parameters 'a.b.*' used inconsistently");
    expectParseError('a=1,a.b=2', "Parameters 'a.*' used inconsistently");
  });

  it('ignores a trailing comma', () => {
    expect(parse('x=y,')).toEqual({ x: 'y' });
  });

  it('rejects a lone comma', () => {
    expectParseError(',', "Invalid parameter ''");
  });

  it('does not misread a value containing ,,id=', () => {
    expect(parse('x=,,id=bar')).toEqual({ x: ',id=bar' });
  });

  it('leaves an anti-social id to the caller', () => {
    expect(parse('id=666')).toEqual({ id: '666' });
  });

  it('does not support implied values (short-form booleans)', () => {
    expectParseError('an,noaus,noaus=', "Expected '=' after parameter 'an'");
  });

  it('treats "no" as a key without value', () => {
    expectParseError('no', "Expected '=' after parameter 'no'");
  });

  it('uses the implied key for the first item only', () => {
    expect(parse('an,aus=off,noaus=', 'implied')).toEqual({ implied: 'an', aus: 'off', noaus: '' });
    expectParseError('an,bn', "Expected '=' after parameter 'bn'", { impliedKey: 'implied' });
  });

  it('accepts a dotted implied key', () => {
    expect(parse('val', 'eins.zwei')).toEqual({ eins: { zwei: 'val' } });
  });

  it('rejects an implied key with empty value', () => {
    expectParseError(',', "Invalid parameter ''", { impliedKey: 'implied' });
  });

  it('rejects an implied value that starts with a comma', () => {
    expectParseError(',,,a=1', "Invalid parameter ''", { impliedKey: 'implied' });
  });

  it('ends the implied value at the first comma (no escaping there)', () => {
    expectParseError('val,,ue', "Invalid parameter ''", { impliedKey: 'implied' });
    expectParseError('iothread,,id=io0', "Invalid parameter ''", { impliedKey: 'qom-type' });
  });

  it('does not take an empty key as the implied key', () => {
    expectParseError('=val', "Invalid parameter ''", { impliedKey: 'implied' });
  });

  it('sets help for "help" by itself, without implied key', () => {
    expect(keyvalParse('help', { acceptHelp: true })).toEqual({ dict: {}, help: true });
  });

  it('sets help for "help" by itself, with implied key', () => {
    expect(keyvalParse('help', { impliedKey: 'implied', acceptHelp: true })).toEqual({ dict: {}, help: true });
  });

  it('sets help for "?" too', () => {
    expect(keyvalParse('?', { impliedKey: 'qom-type', acceptHelp: true })).toEqual({ dict: {}, help: true });
    expect(keyvalParse('iothread,?', { impliedKey: 'qom-type', acceptHelp: true })).toEqual({
      dict: { 'qom-type': 'iothread' },
      help: true,
    });
  });

  it('rejects "help" when no help is available, without implied key', () => {
    expectParseError('help', 'Help is not available for this option');
  });

  it('rejects "help" when no help is available, with implied key', () => {
    expectParseError('help', 'Help is not available for this option', { impliedKey: 'implied' });
  });

  it('reports a parse error in a later item before the help error', () => {
    expectParseError('help,7up=1', "Invalid parameter '7up'");
  });

  it('treats help=on as an ordinary key', () => {
    expect(keyvalParse('help=on', { acceptHelp: true })).toEqual({ dict: { help: 'on' }, help: false });
  });

  it('rejects "help" followed by crap, without implied key', () => {
    expectParseError('help.abc', "Expected '=' after parameter 'help.abc'", { acceptHelp: true });
  });

  it('takes "help" followed by crap as the implied value', () => {
    expect(keyvalParse('help.abc', { impliedKey: 'implied', acceptHelp: true })).toEqual({
      dict: { implied: 'help.abc' },
      help: false,
    });
  });

  it('sets help among other items, without implied key', () => {
    expect(keyvalParse('number=42,help,foo=bar', { acceptHelp: true })).toEqual({
      dict: { number: '42', foo: 'bar' },
      help: true,
    });
  });

  it('sets help among other items, with implied key', () => {
    expect(keyvalParse('val,help,foo=bar', { impliedKey: 'implied', acceptHelp: true })).toEqual({
      dict: { implied: 'val', foo: 'bar' },
      help: true,
    });
  });

  it('accepts downstream-prefixed names', () => {
    expect(parse('__com.redhat_foo=1,a.__org.qemu_x-y=2')).toEqual({
      '__com.redhat_foo': '1',
      a: { '__org.qemu_x-y': '2' },
    });
    expectParseError('__com=1', "Invalid parameter '__com'");
  });

  it('keeps values with = and empty values', () => {
    expect(parse('a=b=c,d=')).toEqual({ a: 'b=c', d: '' });
  });

  it('returns dictionaries safe for any member name', () => {
    const d = parse('constructor=1,toString=2');
    expect(d.constructor).toBe('1');
    expect(d.toString).toBe('2');
  });
});

describe('/keyval/keyval_parse/list', () => {
  it('does not allow the root to be a list', () => {
    expectParseError('0=1', "Invalid parameter '0'");
  });

  it('accepts list elements in any order', () => {
    expect(parse('list.0=null,list.2=zwei,list.1=eins')).toEqual({ list: ['null', 'eins', 'zwei'] });
  });

  it('lets the last of several spellings of an index win', () => {
    expect(parse('list.1=goner,list.0=null,list.01=eins,list.2=zwei')).toEqual({ list: ['null', 'eins', 'zwei'] });
    expect(parse('list.01=goner,list.0=null,list.1=eins')).toEqual({ list: ['null', 'eins'] });
  });

  it('builds lists at deeper nesting', () => {
    expect(parse('a.list.1=eins,a.list.00=null,a.list.2=zwei')).toEqual({ a: { list: ['null', 'eins', 'zwei'] } });
  });

  it('rejects a node that is both list and dictionary', () => {
    expectParseError('a.b.c=1,a.b.0=2', "Parameters 'a.b.*' used inconsistently");
    expectParseError('a.0.c=1,a.b.c=2', "Parameters 'a.*' used inconsistently");
  });

  it('reports the first missing list index', () => {
    expectParseError('list.1=lonely', "Parameter 'list.0' missing");
    expectParseError('list.0=null,list.2=eins,list.02=zwei', "Parameter 'list.1' missing");
    expectParseError('a.b.5=x,a.b.0=y', "Parameter 'a.b.1' missing");
    expectParseError('list.99999999999999999999=x', "Parameter 'list.0' missing");
  });

  it('builds lists of dictionaries and lists of lists', () => {
    expect(parse('a.0.x=1,a.1.x=2,b.0.0=head')).toEqual({ a: [{ x: '1' }, { x: '2' }], b: [['head']] });
  });
});

describe('/keyval/visit/bool', () => {
  it('converts on and off', () => {
    const d = parse('bool1=on,bool2=off');
    expect(keyvalBool('bool1', d.bool1 as string)).toBe(true);
    expect(keyvalBool('bool2', d.bool2 as string)).toBe(false);
  });

  it('accepts yes/true/y and no/false/n', () => {
    for (const s of ['yes', 'true', 'y']) expect(keyvalBool('b', s)).toBe(true);
    for (const s of ['no', 'false', 'n']) expect(keyvalBool('b', s)).toBe(false);
  });

  it('rejects anything else, case-sensitively', () => {
    const d = parse('bool1=offer');
    expect(thrownMessage(() => keyvalBool('bool1', d.bool1 as string))).toBe("Parameter 'bool1' expects 'on' or 'off'");
    expect(thrownMessage(() => keyvalBool('bool1', 'ON'))).toBe("Parameter 'bool1' expects 'on' or 'off'");
    expect(thrownMessage(() => keyvalBool('bool1', ''))).toBe("Parameter 'bool1' expects 'on' or 'off'");
  });
});

describe('/keyval/visit/number', () => {
  it('accepts the lower limit zero', () => {
    expect(keyvalUint64('number1', parse('number1=0').number1 as string)).toBe(0);
  });

  it('accepts the upper limit 2^64-1, and -1 as 2^64-1', () => {
    const d = parse('number1=18446744073709551615,number2=-1');
    expect(keyvalUint64('number1', d.number1 as string)).toBe(18446744073709551615n);
    expect(keyvalUint64('number2', d.number2 as string)).toBe(18446744073709551615n);
    expect(keyvalUint64('n', '-18446744073709551615')).toBe(1);
  });

  it('rejects values above the upper limit', () => {
    expect(thrownMessage(() => keyvalUint64('number1', '18446744073709551616'))).toBe(
      "Parameter 'number1' expects integer",
    );
  });

  it('rejects values below the lower limit', () => {
    expect(thrownMessage(() => keyvalUint64('number1', '-18446744073709551616'))).toBe(
      "Parameter 'number1' expects integer",
    );
  });

  it('accepts hex and octal', () => {
    const d = parse('number1=0x2a,number2=052');
    expect(keyvalUint64('number1', d.number1 as string)).toBe(42);
    expect(keyvalUint64('number2', d.number2 as string)).toBe(42);
    expect(keyvalInt64('number1', d.number1 as string)).toBe(42);
    expect(keyvalInt64('number2', d.number2 as string)).toBe(42);
  });

  it('rejects trailing crap', () => {
    const d = parse('number1=3.14,number2=08');
    expect(thrownMessage(() => keyvalUint64('number1', d.number1 as string))).toBe("Parameter 'number1' expects integer");
    expect(thrownMessage(() => keyvalUint64('number2', d.number2 as string))).toBe("Parameter 'number2' expects integer");
    expect(thrownMessage(() => keyvalInt64('number1', d.number1 as string))).toBe("Parameter 'number1' expects integer");
  });

  it('keeps int64 within its limits', () => {
    expect(keyvalInt64('i', '9223372036854775807')).toBe(9223372036854775807n);
    expect(keyvalInt64('i', '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(thrownMessage(() => keyvalInt64('i', '9223372036854775808'))).toBe("Parameter 'i' expects integer");
    expect(thrownMessage(() => keyvalInt64('i', '-9223372036854775809'))).toBe("Parameter 'i' expects integer");
    expect(keyvalInt64('i', ' +5')).toBe(5);
    expect(keyvalInt64('i', '-0x10')).toBe(-16);
  });

  it('rejects the oracle forms that qemu-storage-daemon refuses', () => {
    // transcripts/qsd/90-cmdline-object.json
    for (const s of ['1.5', '1k', '5x', '18446744073709551615', 'on', '1 2', 'x', '1,2', '']) {
      expect(thrownMessage(() => keyvalInt64('poll-max-ns', s))).toBe("Parameter 'poll-max-ns' expects integer");
    }
  });
});

describe('/keyval/visit/size', () => {
  it('accepts the lower limit zero', () => {
    expect(keyvalSize('sz1', parse('sz1=0').sz1 as string)).toBe(0);
  });

  it('keeps full 64 bits of precision around 2^53', () => {
    const d = parse('sz1=9007199254740991,sz2=9007199254740992,sz3=9007199254740993');
    expect(keyvalSize('sz1', d.sz1 as string)).toBe(0x1fffffffffffff);
    expect(keyvalSize('sz2', d.sz2 as string)).toBe(0x20000000000000n);
    expect(keyvalSize('sz3', d.sz3 as string)).toBe(0x20000000000001n);
  });

  it('goes past the signed limit 2^63', () => {
    const d = parse('sz1=9223372036854775807,sz2=9223372036854775808,sz3=9223372036854775809');
    expect(keyvalSize('sz1', d.sz1 as string)).toBe(0x7fffffffffffffffn);
    expect(keyvalSize('sz2', d.sz2 as string)).toBe(0x8000000000000000n);
    expect(keyvalSize('sz3', d.sz3 as string)).toBe(0x8000000000000001n);
  });

  it('is exact close to the upper limit', () => {
    expect(keyvalSize('sz1', '18446744073709549568')).toBe(0xfffffffffffff800n);
    expect(keyvalSize('sz2', '18446744073709550591')).toBe(0xfffffffffffffbffn);
    expect(keyvalSize('sz1', '18446744073709551615')).toBe(0xffffffffffffffffn);
  });

  it('rejects values beyond the limits', () => {
    expect(thrownMessage(() => keyvalSize('sz1', '-1'))).toBe("Parameter 'sz1' expects size");
    expect(thrownMessage(() => keyvalSize('sz2', '18446744073709551616'))).toBe("Parameter 'sz2' expects size");
  });

  it('applies suffixes', () => {
    const d = parse('sz1=8b,sz2=1.5k,sz3=2M,sz4=0.1G,sz5=16777215T');
    expect(keyvalSize('sz1', d.sz1 as string)).toBe(8);
    expect(keyvalSize('sz2', d.sz2 as string)).toBe(1536);
    expect(keyvalSize('sz3', d.sz3 as string)).toBe(2 * 1024 * 1024);
    expect(keyvalSize('sz4', d.sz4 as string)).toBe(Math.floor(1024 ** 3 / 10));
    expect(keyvalSize('sz5', d.sz5 as string)).toBe(16777215n * 1024n ** 4n);
    expect(keyvalSize('s', '1E')).toBe(1n << 60n);
    expect(keyvalSize('s', '0x10')).toBe(16);
    expect(keyvalSize('s', '1.k')).toBe(1024);
  });

  it('rejects a value beyond the limit with suffix', () => {
    expect(thrownMessage(() => keyvalSize('sz1', '16777216T'))).toBe("Parameter 'sz1' expects size");
  });

  it('rejects trailing crap', () => {
    expect(thrownMessage(() => keyvalSize('sz1', '0Z'))).toBe("Parameter 'sz1' expects size");
    expect(thrownMessage(() => keyvalSize('sz2', '16Gi'))).toBe("Parameter 'sz2' expects size");
  });

  it('rejects fractions without scale, exponents, and hex with suffix or fraction', () => {
    for (const s of ['1.5', '1.5e3k', '0x1k', '0x1.8k', '', 'k', '.5k', ' -1k']) {
      expect(thrownMessage(() => keyvalSize('s', s))).toBe("Parameter 's' expects size");
    }
  });
});

describe('/keyval/visit/dict', () => {
  it('reaches nested members', () => {
    const d = parse('a.b.c=1,a.b.c=2,d=3');
    const a = d.a as KeyvalDict;
    const b = a.b as KeyvalDict;
    expect(keyvalInt64('a.b.c', b.c as string)).toBe(2);
    expect(keyvalInt64('d', d.d as string)).toBe(3);
  });

  it('keeps an empty member value', () => {
    expect(parse('a.b=')).toEqual({ a: { b: '' } });
  });
});

describe('/keyval/visit/list', () => {
  it('builds nested lists with empty elements', () => {
    expect(parse('a.0=,a.1=I,a.2.0=II')).toEqual({ a: ['', 'I', ['II']] });
  });

  it('builds a list of lists', () => {
    expect(parse('a.0=,b.0.0=head')).toEqual({ a: [''], b: [['head']] });
  });
});

describe('/keyval/visit/optional', () => {
  it('tells present from missing members', () => {
    const d = parse('a.b=1');
    expect(Object.keys(d)).toEqual(['a']);
    expect(Object.keys(d.a as KeyvalDict)).toEqual(['b']);
  });
});

describe('/keyval/visit/alternate', () => {
  it('leaves every scalar a string', () => {
    expect(parse('a=1,b=2,c=on')).toEqual({ a: '1', b: '2', c: 'on' });
  });
});

describe('/keyval/visit/any', () => {
  it('yields a list of strings', () => {
    expect(parse('a.0=null,a.1=1')).toEqual({ a: ['null', '1'] });
  });
});

describe('/keyval/merge/dict', () => {
  it('merges dictionaries recursively and overwrites strings', () => {
    const first = parse('opt1=abc,opt2.sub1=def,opt2.sub2=ghi,opt3=xyz');
    const second = parse('opt1=ABC,opt2.sub2=GHI,opt2.sub3=JKL');
    const combined = parse('opt1=ABC,opt2.sub1=def,opt2.sub2=GHI,opt2.sub3=JKL,opt3=xyz');
    expect(keyvalMerge(first, second)).toEqual(combined);
    // Neither input changes.
    expect(first).toEqual(parse('opt1=abc,opt2.sub1=def,opt2.sub2=ghi,opt3=xyz'));
  });
});

describe('/keyval/merge/list', () => {
  it('appends lists', () => {
    const first = parse('opt1.0=abc,opt2.0=xyz');
    const second = parse('opt1.0=def');
    expect(keyvalMerge(first, second)).toEqual(parse('opt1.0=abc,opt1.1=def,opt2.0=xyz'));
  });
});

describe('/keyval/merge/conflict', () => {
  it('rejects a string merged with a dictionary, either way', () => {
    const first = parse('opt2=ABC');
    const second = parse('opt2.sub1=def,opt2.sub2=ghi');
    expect(thrownMessage(() => keyvalMerge(first, second))).toBe("Parameter 'opt2' used inconsistently");
    expect(thrownMessage(() => keyvalMerge(second, first))).toBe("Parameter 'opt2' used inconsistently");
  });

  it('names nested conflicts with their dotted path', () => {
    expect(thrownMessage(() => keyvalMerge(parse('a.b.0=x'), parse('a.b.c=y')))).toBe(
      "Parameter 'a.b' used inconsistently",
    );
  });
});

describe('qemu-storage-daemon --object (transcripts/qsd/90-cmdline-object.json)', () => {
  const object = (arg: string) => keyvalParse(arg, { impliedKey: 'qom-type', acceptHelp: true });

  it('accepts the valid forms', () => {
    expect(object('iothread,id=io0')).toEqual({ dict: { 'qom-type': 'iothread', id: 'io0' }, help: false });
    expect(object('id=io0,qom-type=iothread').dict).toEqual({ id: 'io0', 'qom-type': 'iothread' });
    expect(object('iothread,id=io0,').dict).toEqual({ 'qom-type': 'iothread', id: 'io0' });
    expect(object('main-loop,id=ml0,aio-max-batch=3,thread-pool-min=1,thread-pool-max=4').dict).toEqual({
      'qom-type': 'main-loop',
      id: 'ml0',
      'aio-max-batch': '3',
      'thread-pool-min': '1',
      'thread-pool-max': '4',
    });
  });

  it('dup-key-id: the last id wins; dup-qom-type: the explicit type wins', () => {
    expect(object('iothread,id=a,id=b').dict.id).toBe('b');
    expect(object('iothread,id=io0,qom-type=main-loop').dict['qom-type']).toBe('main-loop');
  });

  it("comma-escape-id: iothread,,id=io0 gives Invalid parameter ''", () => {
    expectParseError('iothread,,id=io0', "Invalid parameter ''", { impliedKey: 'qom-type', acceptHelp: true });
  });

  it('comma-escape-in-int: 1,,2 is one value, not an integer', () => {
    const v = object('iothread,id=io0,poll-max-ns=1,,2').dict['poll-max-ns'] as string;
    expect(v).toBe('1,2');
    expect(thrownMessage(() => keyvalInt64('poll-max-ns', v))).toBe("Parameter 'poll-max-ns' expects integer");
  });

  it("no-key: =5 gives Invalid parameter ''", () => {
    expectParseError('iothread,id=io0,=5', "Invalid parameter ''", { impliedKey: 'qom-type', acceptHelp: true });
  });

  it("a bare key gives Expected '=' after parameter", () => {
    expectParseError('iothread,id=io0,poll-grow', "Expected '=' after parameter 'poll-grow'", {
      impliedKey: 'qom-type',
      acceptHelp: true,
    });
  });

  it('integer forms: hex, octal, + and leading space are accepted', () => {
    expect(keyvalInt64('poll-max-ns', object('iothread,id=io0,poll-max-ns=+5').dict['poll-max-ns'] as string)).toBe(5);
    expect(keyvalInt64('poll-max-ns', object('iothread,id=io0,poll-max-ns= 5').dict['poll-max-ns'] as string)).toBe(5);
    expect(keyvalInt64('poll-max-ns', '0x10')).toBe(16);
    expect(keyvalInt64('poll-max-ns', '010')).toBe(8);
    expect(keyvalInt64('poll-max-ns', '-1')).toBe(-1);
    expect(keyvalInt64('poll-max-ns', '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(keyvalInt64('thread-pool-max', '2147483648')).toBe(2147483648);
  });

  it('missing pieces reach the caller', () => {
    expect(object('').dict).toEqual({});
    expect(object('id=io0').dict).toEqual({ id: 'io0' });
    expect(object('iothread,poll-max-ns=5').dict).toEqual({ 'qom-type': 'iothread', 'poll-max-ns': '5' });
    expect(object('iothread,id=').dict).toEqual({ 'qom-type': 'iothread', id: '' });
    expect(object('iothread,id=io0,foo=bar').dict.foo).toBe('bar');
  });

  it('help-iothread, help-main-loop, help-event-loop-base, question-mark', () => {
    expect(object('iothread,help')).toEqual({ dict: { 'qom-type': 'iothread' }, help: true });
    expect(object('main-loop,help')).toEqual({ dict: { 'qom-type': 'main-loop' }, help: true });
    expect(object('event-loop-base,help')).toEqual({ dict: { 'qom-type': 'event-loop-base' }, help: true });
    expect(object('?')).toEqual({ dict: {}, help: true });
  });
});
