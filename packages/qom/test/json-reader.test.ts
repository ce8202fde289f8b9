import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/errors.js';
import { JsonStreamReader, parseJson, type JsonStreamItem } from '../src/json-reader.js';
import { QFloat, type JsonValue } from '../src/json-value.js';

/** Items as comparable data: values as they are, errors as their message. */
function summary(items: readonly JsonStreamItem[]): Array<{ value: JsonValue } | { error: string }> {
  return items.map((item) => {
    if (item.kind === 'value') return { value: item.value };
    expect(item.error).toBeInstanceOf(InvalidParameterError);
    expect(item.error.code).toBe('LOOP_ERR_INVALID_PARAM');
    return { error: item.error.message };
  });
}

function parseError(text: string): string {
  try {
    parseJson(text);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidParameterError);
    expect((e as InvalidParameterError).code).toBe('LOOP_ERR_INVALID_PARAM');
    expect((e as InvalidParameterError).qmpClass).toBe('GenericError');
    return (e as Error).message;
  }
  throw new Error(`parseJson(${JSON.stringify(text)}) did not fail`);
}

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));

describe('parseJson: values', () => {
  it('reads scalars', () => {
    expect(parseJson('null')).toBe(null);
    expect(parseJson('true')).toBe(true);
    expect(parseJson('false')).toBe(false);
    expect(parseJson('"str"')).toBe('str');
    expect(parseJson(' \t\r\n 42 \n')).toBe(42);
    expect(parseJson('-7')).toBe(-7);
    expect(parseJson('0')).toBe(0);
  });

  it('reads -0 as the integer 0, as strtoll does', () => {
    expect(Object.is(parseJson('-0'), 0)).toBe(true);
  });

  it('keeps integers exact to 64 bits, signed and unsigned', () => {
    expect(parseJson('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseJson('-9007199254740991')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(parseJson('9007199254740992')).toBe(9007199254740992n);
    expect(parseJson('-9007199254740992')).toBe(-9007199254740992n);
    expect(parseJson('9223372036854775807')).toBe(9223372036854775807n); // INT64_MAX
    expect(parseJson('-9223372036854775808')).toBe(-9223372036854775808n); // INT64_MIN
    expect(parseJson('9223372036854775808')).toBe(9223372036854775808n); // uint64
    expect(parseJson('18446744073709551615')).toBe(18446744073709551615n); // UINT64_MAX
  });

  it('turns integers beyond uint64 or below int64 into doubles, as QEMU does', () => {
    expect(parseJson('18446744073709551616')).toEqual(new QFloat(18446744073709551616)); // 2^64
    expect(parseJson('-9223372036854775809')).toEqual(new QFloat(-9223372036854775808));
    expect(parseJson('123456789012345678901234567890')).toEqual(new QFloat(1.2345678901234568e29));
  });

  it('reads every literal with a fraction or exponent as a QFloat', () => {
    const two = parseJson('2.0');
    expect(two).toBeInstanceOf(QFloat);
    expect((two as QFloat).value).toBe(2);
    expect(parseJson('1.5')).toEqual(new QFloat(1.5));
    expect(parseJson('1e3')).toEqual(new QFloat(1000));
    expect(parseJson('1E+3')).toEqual(new QFloat(1000));
    expect(parseJson('25e-1')).toEqual(new QFloat(2.5));
    expect(parseJson('-0.5')).toEqual(new QFloat(-0.5));
    expect(Object.is((parseJson('-0.0') as QFloat).value, -0)).toBe(true);
    expect(parseJson('1e400')).toEqual(new QFloat(Infinity));
    expect(parseJson('0.1')).toEqual(new QFloat(0.1));
  });

  it('reads nested values and keeps key order', () => {
    const v = parseJson('{"execute": "qom-set", "arguments": {"path": "/objects/io0", "value": [1, [2.5, {}], []]}, "id": {"a": [1, 2]}}');
    expect(v).toEqual({
      execute: 'qom-set',
      arguments: { path: '/objects/io0', value: [1, [new QFloat(2.5), {}], []] },
      id: { a: [1, 2] },
    });
    expect(Object.keys(v as object)).toEqual(['execute', 'arguments', 'id']);
    expect(Object.keys(parseJson('{"z": 1, "a": 2, "m": 3}') as object)).toEqual(['z', 'a', 'm']);
  });

  it('builds objects without a prototype, so __proto__ is an ordinary key', () => {
    const v = parseJson('{"__proto__": {"polluted": true}, "constructor": 1, "toString": 2}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(null);
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    expect(v['__proto__']).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reads the -object JSON form of the command-line transcript', () => {
    // 90-cmdline-object.json, case valid-json
    expect(parseJson('{"qom-type":"iothread","id":"io0","poll-max-ns":5,"thread-pool-max":7}')).toEqual({
      'qom-type': 'iothread',
      id: 'io0',
      'poll-max-ns': 5,
      'thread-pool-max': 7,
    });
  });
});

describe('parseJson: strings', () => {
  it('decodes every escape, including the single-quote extension', () => {
    expect(parseJson(String.raw`"\" \\ \/ \b \f \n \r \t \'"`)).toBe('" \\ / \b \f \n \r \t \'');
    expect(parseJson(String.raw`"\u0041\u00e9\u20AC"`)).toBe('Aé€');
    expect(parseJson(String.raw`"\u0000"`)).toBe('\0');
  });

  it('joins surrogate pairs from \\u escapes', () => {
    expect(parseJson(String.raw`"\uD83D\uDE00"`)).toBe('😀');
    expect(parseJson(String.raw`"\ud83d\ude00!"`)).toBe('😀!');
  });

  it('reads raw UTF-8, including the modified-UTF-8 form of U+0000', () => {
    expect(parseJson('"été 😀 €"')).toBe('été 😀 €');
    const r = new JsonStreamReader();
    expect(summary(r.push(bytes('"a', [0xc0, 0x80], 'b"\n')))).toEqual([{ value: 'a\0b' }]);
  });

  it('reads single-quoted strings, which may hold double quotes', () => {
    expect(parseJson(`'say "hi"'`)).toBe('say "hi"');
    expect(parseJson(String.raw`'it\'s'`)).toBe("it's");
    expect(parseJson(`{'execute': 'query-iothreads'}`)).toEqual({ execute: 'query-iothreads' });
  });

  it('takes DEL and non-ASCII raw, but no control character', () => {
    expect(parseJson('"\x7f"')).toBe('\x7f');
    expect(parseError('"a\tb"')).toBe("JSON parse error, stray '\"a\t'");
    expect(parseError('"a\nb"')).toBe("JSON parse error, stray '\"a\n'");
  });
});

describe('parseJson: QEMU error texts', () => {
  const cases: Array<[string, string]> = [
    // 90-cmdline-object.json, case json-malformed
    ['{"qom-type":"iothread","id":"io0"', 'JSON parse error, premature EOI'],
    ['[', 'JSON parse error, premature EOI'],
    ['{"a":', 'JSON parse error, premature EOI'],
    ['[1,', 'JSON parse error, premature EOI'],
    ['{"a"', 'JSON parse error, premature EOI'],
    // 40-qmp-protocol.json, raw step "lexer garbage"
    ['@@@', "JSON parse error, stray '@'"],
    ['"abc', `JSON parse error, stray '"abc'`],
    ["'abc", "JSON parse error, stray ''abc'"],
    ['01', "JSON parse error, stray '01'"],
    ['-', "JSON parse error, stray '-'"],
    ['-x', "JSON parse error, stray '-x'"],
    ['1.', "JSON parse error, stray '1.'"],
    ['1.x', "JSON parse error, stray '1.x'"],
    ['1e', "JSON parse error, stray '1e'"],
    ['1e+', "JSON parse error, stray '1e+'"],
    ['{"a": 1.}', "JSON parse error, stray '1.}'"],
    ['Null', "JSON parse error, stray 'N'"],
    ['"\\', `JSON parse error, stray '"\\'`],
    ['é', "JSON parse error, stray '\uFFFD'"],
    ['}', 'JSON parse error, expecting value'],
    [']', 'JSON parse error, expecting value'],
    [':', 'JSON parse error, expecting value'],
    [',', 'JSON parse error, expecting value'],
    ['[,]', 'JSON parse error, expecting value'],
    ['[1,]', 'JSON parse error, expecting value'],
    ['{"a":}', 'JSON parse error, expecting value'],
    ['{,}', 'JSON parse error, expecting value'],
    ['{"a":1,}', 'JSON parse error, expecting value'],
    ['{"a": 1]', 'JSON parse error, expected separator in dict'],
    ['{"a": 1 "b": 2}', 'JSON parse error, expected separator in dict'],
    ['[1 2]', 'JSON parse error, expected separator in list'],
    ['[1}', 'JSON parse error, expected separator in list'],
    ['{"a" 1}', 'JSON parse error, missing : in object pair'],
    ['{1: 2}', 'JSON parse error, key is not a string in object'],
    ['{null: 2}', 'JSON parse error, key is not a string in object'],
    ['{"a": 1, "a": 2}', 'JSON parse error, duplicate key'],
    ['{"a": 1, \'a\': 2}', 'JSON parse error, duplicate key'],
    ['nul', "JSON parse error, invalid keyword 'nul'"],
    ['True', "JSON parse error, stray 'T'"],
    ['[truex]', "JSON parse error, invalid keyword 'truex'"],
    [String.raw`"\x"`, 'JSON parse error, invalid escape sequence in string'],
    [String.raw`"\U0041"`, 'JSON parse error, invalid escape sequence in string'],
    [String.raw`"\u12G4"`, String.raw`JSON parse error, \u12G4 is not a valid Unicode character`],
    [String.raw`"\u12"`, String.raw`JSON parse error, \u12" is not a valid Unicode character`],
    [String.raw`"\uD800"`, String.raw`JSON parse error, \uD800 is not a valid Unicode character`],
    [String.raw`"\ud800x"`, String.raw`JSON parse error, \ud800 is not a valid Unicode character`],
    [String.raw`"\uD800\u0041"`, String.raw`JSON parse error, \uD800 is not a valid Unicode character`],
    [String.raw`"\uD800\uD800"`, String.raw`JSON parse error, \uD800 is not a valid Unicode character`],
    [String.raw`"\uDC00"`, String.raw`JSON parse error, \uDC00 is not a valid Unicode character`],
    [String.raw`"\uFFFF"`, String.raw`JSON parse error, \uFFFF is not a valid Unicode character`],
    [String.raw`"\uFDD0"`, String.raw`JSON parse error, \uFDD0 is not a valid Unicode character`],
    [String.raw`"\uD83F\uDFFE"`, String.raw`JSON parse error, \uD83F\uDFFE is not a valid Unicode character`],
    ['"\uFFFF"', 'JSON parse error, invalid UTF-8 sequence in string'],
    ['"\uD800"', 'JSON parse error, invalid UTF-8 sequence in string'],
    ['', 'Expecting a JSON value'],
    [' \n\t', 'Expecting a JSON value'],
    ['1 2', 'Expecting at most one JSON value'],
    ['{"a": 1}{"b": 2}', 'Expecting at most one JSON value'],
    ['{"a": 1} @', 'Expecting at most one JSON value'],
    ['@ {"a": 1}', "JSON parse error, stray '@'"],
    ['truefalse', "JSON parse error, invalid keyword 'truefalse'"],
    ['true false', 'Expecting at most one JSON value'],
  ];

  it.each(cases)('%j fails with %j', (text, message) => {
    expect(parseError(text)).toBe(message);
  });

  it('cuts long parser messages where QEMU`s 1024-byte buffer does', () => {
    const word = 'x'.repeat(2000);
    const message = parseError(word);
    expect(message).toBe(`JSON parse error, invalid keyword '${'x'.repeat(1023 - "invalid keyword '".length)}`);
  });

  it('stops at the first NUL, as QEMU reads a C string', () => {
    expect(parseJson('{"a": 1}\0garbage')).toEqual({ a: 1 });
    expect(parseError('\0{"a": 1}')).toBe('Expecting a JSON value');
  });

  it('stops reading once the first error is certain', () => {
    const start = performance.now();
    expect(parseError(','.repeat(1_000_000))).toBe('JSON parse error, expecting value');
    expect(parseError('1' + ' 2'.repeat(500_000))).toBe('Expecting at most one JSON value');
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('applies the default nesting limit of 1024', () => {
    expect(parseJson('['.repeat(1024) + ']'.repeat(1024))).toBeInstanceOf(Array);
    expect(parseError('['.repeat(1025) + ']'.repeat(1025))).toBe('JSON nesting depth limit exceeded');
    expect(parseError('{"a":'.repeat(1025) + '1' + '}'.repeat(1025))).toBe('JSON nesting depth limit exceeded');
  });
});

describe('JsonStreamReader', () => {
  it('answers the raw inputs of 40-qmp-protocol.json the way QEMU parsed them', () => {
    const r = new JsonStreamReader();
    // empty arguments
    expect(summary(r.push('{"execute": "query-iothreads", "arguments": {}}\n'))).toEqual([
      { value: { execute: 'query-iothreads', arguments: {} } },
    ]);
    // non-objects parse fine; QMP rejects them one level up
    expect(summary(r.push('[1, 2]\n'))).toEqual([{ value: [1, 2] }]);
    expect(summary(r.push('"str"\n'))).toEqual([{ value: 'str' }]);
    // an unterminated object gets no reply until it is completed
    expect(r.push('{"execute": "query-iothreads"\n')).toEqual([]);
    expect(summary(r.push('}\n'))).toEqual([{ value: { execute: 'query-iothreads' } }]);
    // single quotes
    expect(summary(r.push("{'execute': 'query-iothreads'}\n"))).toEqual([{ value: { execute: 'query-iothreads' } }]);
    // two commands on one line: two replies
    expect(summary(r.push('{"execute": "query-iothreads"}{"execute": "query-iothreads"}\n'))).toEqual([
      { value: { execute: 'query-iothreads' } },
      { value: { execute: 'query-iothreads' } },
    ]);
    // lexer garbage: a single error, then the connection is fine
    expect(summary(r.push('@@@\n'))).toEqual([{ error: "JSON parse error, stray '@'" }]);
    expect(summary(r.push('{"execute": "query-iothreads"}\n'))).toEqual([{ value: { execute: 'query-iothreads' } }]);
  });

  it('returns values as soon as they close, and scalars once the next byte shows they ended', () => {
    const r = new JsonStreamReader();
    expect(summary(r.push('{"a": 1}'))).toEqual([{ value: { a: 1 } }]);
    expect(r.push('42')).toEqual([]);
    expect(summary(r.push(' '))).toEqual([{ value: 42 }]);
    expect(r.push('tru')).toEqual([]);
    expect(summary(r.push('e\n"s"'))).toEqual([{ value: true }, { value: 's' }]);
    expect(r.push('7')).toEqual([]);
    expect(summary(r.end())).toEqual([{ value: 7 }]);
  });

  it('reports a value left open at the end of input', () => {
    const r = new JsonStreamReader();
    expect(r.push('{"execute": ')).toEqual([]);
    expect(summary(r.end())).toEqual([{ error: 'JSON parse error, premature EOI' }]);
    expect(summary(r.push('"str'))).toEqual([]);
    expect(summary(r.end())).toEqual([{ error: `JSON parse error, stray '"str'` }]);
    // usable again
    expect(summary(r.push('[1]'))).toEqual([{ value: [1] }]);
  });

  it('resynchronises after a lexical error as QEMU does: at the next structural or control character', () => {
    const r = new JsonStreamReader();
    // The error drops the open object; the lexer skips to ',' and the rest is read as new input.
    expect(summary(r.push('{"a": @x, "b": 1}\n'))).toEqual([
      { error: "JSON parse error, stray '@'" },
      { error: 'JSON parse error, expecting value' },
      { value: 'b' },
      { error: 'JSON parse error, expecting value' },
      { value: 1 },
      { error: 'JSON parse error, expecting value' },
    ]);
    expect(summary(r.push('{"ok": true}'))).toEqual([{ value: { ok: true } }]);
  });

  it('resynchronises on a 0xFF byte, the reset a QMP client can send', () => {
    const r = new JsonStreamReader();
    expect(r.push(bytes('{"execute": "qmp_'))).toEqual([]);
    expect(summary(r.push(bytes([0xff], '{"execute": "query-iothreads"}')))).toEqual([
      { error: `JSON parse error, stray '"qmp_\uFFFD'` },
      { value: { execute: 'query-iothreads' } },
    ]);
    expect(summary(r.push(bytes('{"a": ', [0xff], '{"b": 2}')))).toEqual([
      { error: "JSON parse error, stray '\uFFFD'" },
      { value: { b: 2 } },
    ]);
  });

  it('shows what QEMU shows for raw NUL and invalid UTF-8', () => {
    const r = new JsonStreamReader();
    expect(summary(r.push(bytes([0], '\n')))).toEqual([{ error: "JSON parse error, stray ''" }]);
    // The NUL ends the message text; recovery then skips the '"' and stops at the newline.
    expect(summary(r.push(bytes('"ab', [0], '"\n')))).toEqual([{ error: `JSON parse error, stray '"ab'` }]);
    expect(summary(r.push(bytes('"', [0xc3, 0x28], '"\n')))).toEqual([
      { error: 'JSON parse error, invalid UTF-8 sequence in string' },
    ]);
    expect(summary(r.push(bytes('"', [0xe0, 0x80, 0xaf], '"\n')))).toEqual([
      { error: 'JSON parse error, invalid UTF-8 sequence in string' },
    ]);
    expect(summary(r.push(bytes('"', [0xed, 0xa0, 0x80], '"\n')))).toEqual([
      { error: 'JSON parse error, invalid UTF-8 sequence in string' },
    ]);
  });

  it('handles closing brackets that do not match', () => {
    const r = new JsonStreamReader();
    expect(summary(r.push('}]'))).toEqual([
      { error: 'JSON parse error, expecting value' },
      { error: 'JSON parse error, expecting value' },
    ]);
    // A negative count hands the tokens over at once.
    expect(summary(r.push('[}'))).toEqual([{ error: 'JSON parse error, expecting value' }]);
    // Only the totals are counted, so '[{]' still waits for its '}'.
    expect(r.push('[{]')).toEqual([]);
    expect(summary(r.push('}'))).toEqual([{ error: 'JSON parse error, expecting value' }]);
  });

  const messages = [
    '{"execute": "qom-set", "arguments": {"path": "/objects/io0", "property": "poll-max-ns", "value": 9223372036854775807}, "id": "é😀"}',
    "{'execute': 'query-iothreads', 'id': [1.5, -2, true, null, \"\\u00e9\\uD83D\\uDE00\"]}",
  ];
  const expected: JsonValue[] = [
    {
      execute: 'qom-set',
      arguments: { path: '/objects/io0', property: 'poll-max-ns', value: 9223372036854775807n },
      id: 'é😀',
    },
    { execute: 'query-iothreads', id: [new QFloat(1.5), -2, true, null, 'é😀'] },
  ];

  it.each(messages.map((m, i) => [i, m] as const))('reads message %i split at every byte', (i, message) => {
    const data = Buffer.from(message + '\n', 'utf8');
    for (let cut = 0; cut <= data.length; cut++) {
      const r = new JsonStreamReader();
      const items = [...r.push(data.subarray(0, cut)), ...r.push(data.subarray(cut)), ...r.end()];
      expect(summary(items), `cut at byte ${cut}`).toEqual([{ value: expected[i]! }]);
    }
  });

  it.each(messages.map((m, i) => [i, m] as const))('reads message %i split at every character, surrogates too', (i, message) => {
    const text = `${message}${message}\n`;
    for (let cut = 0; cut <= text.length; cut++) {
      const r = new JsonStreamReader();
      const items = [...r.push(text.slice(0, cut)), ...r.push(text.slice(cut))];
      expect(summary(items), `cut at ${cut}`).toEqual([{ value: expected[i]! }, { value: expected[i]! }]);
    }
  });

  it('reads a message fed one byte at a time', () => {
    const r = new JsonStreamReader();
    const items: JsonStreamItem[] = [];
    for (const b of Buffer.from(`${messages[0]}${messages[1]}\n`, 'utf8')) items.push(...r.push(Uint8Array.of(b)));
    expect(summary(items)).toEqual([{ value: expected[0]! }, { value: expected[1]! }]);
  });
});

describe('JsonStreamReader limits', () => {
  it('enforces the nesting limit and then carries on as QEMU`s streamer does', () => {
    const r = new JsonStreamReader({ maxDepth: 2 });
    expect(summary(r.push('[[1]]'))).toEqual([{ value: [[1]] }]);
    expect(summary(r.push('{"a": [1]}'))).toEqual([{ value: { a: [1] } }]);
    // The third '[' is refused and everything collected so far dropped; what follows is new input.
    expect(summary(r.push('[[[1]]]\n'))).toEqual([
      { error: 'JSON nesting depth limit exceeded' },
      { value: 1 },
      { error: 'JSON parse error, expecting value' },
      { error: 'JSON parse error, expecting value' },
      { error: 'JSON parse error, expecting value' },
    ]);
    expect(summary(r.push('{"ok": 1}'))).toEqual([{ value: { ok: 1 } }]);
  });

  it('defaults to QEMU`s nesting limit of 1024', () => {
    const r = new JsonStreamReader();
    expect(summary(r.push('['.repeat(1024) + ']'.repeat(1024)))).toHaveLength(1);
    const items = summary(r.push('['.repeat(1025)));
    expect(items).toEqual([{ error: 'JSON nesting depth limit exceeded' }]);
  });

  it('enforces the byte limit on the tokens of one value', () => {
    const r = new JsonStreamReader({ maxBytes: 10 });
    // '{' '"a"' ':' are 5 bytes; the string of 7 would make 12, plus one.
    expect(summary(r.push('{"a": "xxxxx"}\n'))).toEqual([
      { error: 'JSON token size limit exceeded' },
      { error: 'JSON parse error, expecting value' },
    ]);
    // Whitespace does not count.
    expect(summary(r.push('{ "a" :     "x" }'))).toEqual([{ value: { a: 'x' } }]);
  });

  it('enforces the byte limit on a single token, restarting the lexer mid-token as QEMU does', () => {
    const r = new JsonStreamReader({ maxBytes: 8 });
    expect(summary(r.push('"abcdefghijkl"\n[1]\n'))).toEqual([
      { error: 'JSON token size limit exceeded' },
      { error: "JSON parse error, invalid keyword 'ijkl'" },
      { error: 'JSON parse error, stray \'"\n\'' },
      { value: [1] },
    ]);
  });

  it('enforces the token count limit', () => {
    const r = new JsonStreamReader({ maxTokens: 3 });
    expect(summary(r.push('[1]'))).toEqual([{ value: [1] }]);
    expect(summary(r.push('[1,2]'))).toEqual([
      { error: 'JSON token count limit exceeded' },
      { error: 'JSON parse error, expecting value' },
    ]);
  });

  it('defaults to QEMU`s token count limit of 2 Mi', () => {
    const n = 1 << 20; // '[' + n values + (n - 1) commas + ']' = 2n + 1 tokens
    const ok = new JsonStreamReader();
    const fits = ok.push(`[${'0,'.repeat(n - 2)}0]`);
    expect(fits).toHaveLength(1);
    expect((fits[0] as { value: unknown[] }).value).toHaveLength(n - 1);
    const over = new JsonStreamReader();
    expect(summary(over.push(`[${'0,'.repeat(n - 1)}0]`)).slice(0, 1)).toEqual([
      { error: 'JSON token count limit exceeded' },
    ]);
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => new JsonStreamReader({ maxDepth: 0 })).toThrow(RangeError);
    expect(() => new JsonStreamReader({ maxBytes: 1.5 })).toThrow(RangeError);
    expect(() => new JsonStreamReader({ maxTokens: Number.NaN })).toThrow(RangeError);
  });
});
