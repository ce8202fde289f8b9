import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/errors.js';
import { parseJson } from '../src/json-reader.js';
import { QFloat } from '../src/json-value.js';
import { formatJson } from '../src/json-writer.js';

describe('formatJson: QMP layout', () => {
  it('writes the greeting exactly as QEMU 7.2 sent it (oracle README)', () => {
    const greeting = {
      QMP: {
        version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' },
        capabilities: ['oob'],
      },
    };
    expect(formatJson(greeting)).toBe(
      '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}',
    );
  });

  it('writes replies with ": " and ", " and keys in the given order', () => {
    expect(formatJson({ return: [], id: 'my-id-1' })).toBe('{"return": [], "id": "my-id-1"}');
    expect(formatJson({ id: 42, error: { class: 'CommandNotFound', desc: 'The command x has not been found' } })).toBe(
      '{"id": 42, "error": {"class": "CommandNotFound", "desc": "The command x has not been found"}}',
    );
    expect(formatJson({ return: {} })).toBe('{"return": {}}');
    expect(formatJson([1, [2, []], {}])).toBe('[1, [2, []], {}]');
    expect(formatJson({ b: 1, a: { d: null, c: true } })).toBe('{"b": 1, "a": {"d": null, "c": true}}');
  });

  it('writes scalars', () => {
    expect(formatJson(null)).toBe('null');
    expect(formatJson(true)).toBe('true');
    expect(formatJson(false)).toBe('false');
    expect(formatJson('')).toBe('""');
    expect(formatJson(0)).toBe('0');
    expect(formatJson(-0)).toBe('0');
    expect(formatJson(-17)).toBe('-17');
  });

  it('writes keys such as __proto__ of prototype-less objects', () => {
    const o = parseJson('{"__proto__": 1, "constructor": [2]}');
    expect(formatJson(o)).toBe('{"__proto__": 1, "constructor": [2]}');
  });
});

describe('formatJson: integers', () => {
  it('prints 64-bit integers exactly', () => {
    expect(formatJson(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(formatJson(9223372036854775807n)).toBe('9223372036854775807');
    expect(formatJson(-9223372036854775808n)).toBe('-9223372036854775808');
    expect(formatJson(18446744073709551615n)).toBe('18446744073709551615');
    expect(formatJson({ return: 9223372036854775807n })).toBe('{"return": 9223372036854775807}');
  });

  it('prints a number that is not a safe integer as a double', () => {
    expect(formatJson(0.5)).toBe('0.5');
    expect(formatJson(2 ** 64)).toBe('1.8446744073709552e+19');
  });
});

describe('formatJson: doubles as %.17g', () => {
  const cases: Array<[number, string]> = [
    [2, '2'],
    [2.5, '2.5'],
    [0.1, '0.10000000000000001'],
    [1 / 3, '0.33333333333333331'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [123456789012345680000, '1.2345678901234568e+20'],
    [1e300, '1.0000000000000001e+300'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [1.5e-7, '1.4999999999999999e-07'],
    [5e-324, '4.9406564584124654e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [-2.5, '-2.5'],
    [-0, '-0'],
    [18446744073709551616, '1.8446744073709552e+19'],
    // Ties at the 18th digit round to even, as glibc does (toPrecision would round up).
    [2251799813685247.25, '2251799813685247.2'],
    [2251799813685247.75, '2251799813685247.8'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [Number.NaN, 'nan'],
  ];

  it.each(cases)('QFloat(%d) prints as %s', (value, text) => {
    expect(formatJson(new QFloat(value))).toBe(text);
  });

  it('reads back what it writes for finite doubles', () => {
    for (const [value, text] of cases) {
      if (!Number.isFinite(value)) continue;
      const back = parseJson(text);
      const n = back instanceof QFloat ? back.value : Number(back);
      expect(n === value || (n === 0 && value === 0), text).toBe(true);
    }
  });
});

describe('formatJson: strings as quoted_str writes them', () => {
  it('escapes quotes, backslashes and control characters, not the solidus', () => {
    expect(formatJson('"\\/\b\f\n\r\t')).toBe(String.raw`"\"\\/\b\f\n\r\t"`);
    expect(formatJson('\0\x01\x1f')).toBe(String.raw`"\u0000\u0001\u001F"`);
    expect(formatJson("'")).toBe(`"'"`);
  });

  it('escapes DEL and everything beyond ASCII with upper-case hex', () => {
    expect(formatJson('\x7f')).toBe(String.raw`"\u007F"`);
    expect(formatJson('été €')).toBe(String.raw`"\u00E9t\u00E9 \u20AC"`);
    expect(formatJson('😀')).toBe(String.raw`"\uD83D\uDE00"`);
    expect(formatJson('\u{10FFFD}')).toBe(String.raw`"\uDBFF\uDFFD"`);
  });

  it('replaces what QEMU cannot hold: lone surrogates and noncharacters', () => {
    expect(formatJson('a\uD800b')).toBe(String.raw`"a\uFFFDb"`);
    expect(formatJson('\uDC00')).toBe(String.raw`"\uFFFD"`);
    expect(formatJson('\uFFFE\uFFFF\uFDD0')).toBe(String.raw`"\uFFFD\uFFFD\uFFFD"`);
    expect(formatJson('\u{1FFFF}')).toBe(String.raw`"\uFFFD"`);
  });

  it('escapes keys the same way', () => {
    expect(formatJson({ 'é"': 1 })).toBe(String.raw`{"\u00E9\"": 1}`);
  });

  it('writes parse errors as a QMP client would see them', () => {
    let error: unknown;
    try {
      parseJson('é');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidParameterError);
    const desc = (error as Error).message;
    expect(formatJson({ error: { class: 'GenericError', desc } })).toBe(
      String.raw`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}}`,
    );
  });
});

describe('formatJson: other JavaScript values', () => {
  it('follows JSON.stringify for undefined, functions and toJSON', () => {
    expect(formatJson({ a: undefined, b: 1, c: () => 1, d: Symbol('x') })).toBe('{"b": 1}');
    expect(formatJson([undefined, () => 1])).toBe('[null, null]');
    expect(formatJson({ when: new Date(0) })).toBe('{"when": "1970-01-01T00:00:00.000Z"}');
    const err = new InvalidParameterError('bad');
    expect(JSON.parse(formatJson(err))).toMatchObject({ code: 'LOOP_ERR_INVALID_PARAM', message: 'bad' });
  });

  it('refuses what it cannot write', () => {
    expect(() => formatJson(undefined)).toThrow(TypeError);
    expect(() => formatJson(() => 1)).toThrow(TypeError);
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    expect(() => formatJson(loop)).toThrow(TypeError);
    const shared = { x: 1 };
    expect(formatJson([shared, shared])).toBe('[{"x": 1}, {"x": 1}]');
  });
});
