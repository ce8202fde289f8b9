/**
 * The opts visitor's string conversions (qemu-system `-object`), with every
 * integer and boolean form of the oracle transcripts
 * (transcripts/qemu/90-cmdline-object.json, README "integer parsing").
 */
import { describe, it, expect } from 'vitest';
import {
  optsBool,
  optsInt64,
  optsIntN,
  optsNumber,
  optsSize,
  optsString,
  optsUint64,
  optsUintN,
} from '../src/string-input.js';

function caught(fn: () => unknown): { code: string; message: string; phase: string | undefined } {
  try {
    fn();
  } catch (e) {
    const err = e as { code: string; message: string; phase?: string };
    return { code: err.code, message: err.message, phase: err.phase };
  }
  throw new Error('did not throw');
}

const INT64_ERR = "Parameter 'poll-max-ns' expects an int64 value";

describe('optsInt64', () => {
  it('accepts the transcript forms', () => {
    expect(optsInt64('poll-max-ns', '100')).toBe(100);
    expect(optsInt64('poll-max-ns', '0x10')).toBe(16);
    expect(optsInt64('poll-max-ns', '010')).toBe(8);
    expect(optsInt64('poll-max-ns', '+5')).toBe(5);
    expect(optsInt64('poll-max-ns', ' 5')).toBe(5);
    expect(optsInt64('poll-max-ns', '-1')).toBe(-1);
    expect(optsInt64('thread-pool-max', '2147483647')).toBe(2147483647);
    expect(optsInt64('thread-pool-max', '2147483648')).toBe(2147483648);
    expect(optsInt64('thread-pool-max', '0')).toBe(0);
  });

  it('accepts INT64_MAX and INT64_MIN as bigint', () => {
    expect(optsInt64('poll-max-ns', '9223372036854775807')).toBe(9223372036854775807n);
    expect(optsInt64('poll-max-ns', '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(optsInt64('poll-max-ns', '0x7fffffffffffffff')).toBe(9223372036854775807n);
    expect(optsInt64('poll-max-ns', '-0x8000000000000000')).toBe(-9223372036854775808n);
    expect(optsInt64('poll-max-ns', '0777777777777777777777')).toBe(9223372036854775807n);
  });

  it('returns a number up to 2^53 - 1 and a bigint beyond', () => {
    expect(optsInt64('x', '9007199254740991')).toBe(9007199254740991);
    expect(optsInt64('x', '-9007199254740991')).toBe(-9007199254740991);
    expect(optsInt64('x', '9007199254740992')).toBe(9007199254740992n);
    expect(optsInt64('x', '-9007199254740992')).toBe(-9007199254740992n);
    expect(optsInt64('x', '9007199254740993')).toBe(9007199254740993n);
  });

  it('accepts C white space, signs and hex case variants', () => {
    expect(optsInt64('x', '\t\n\v\f\r 7')).toBe(7);
    expect(optsInt64('x', '0X1f')).toBe(31);
    expect(optsInt64('x', '-0x10')).toBe(-16);
    expect(optsInt64('x', '+0x10')).toBe(16);
    expect(optsInt64('x', ' -010')).toBe(-8);
    expect(optsInt64('x', '0')).toBe(0);
    expect(optsInt64('x', '-0')).toBe(0);
    expect(optsInt64('x', '00')).toBe(0);
  });

  it('rejects the transcript bad forms with the exact text', () => {
    for (const s of ['abc', '1.5', '', '1k', '5x', '1e3', 'on', '1 2', '1,2', 'x', '18446744073709551615']) {
      expect(caught(() => optsInt64('poll-max-ns', s))).toEqual({
        code: 'LOOP_ERR_INVALID_PARAM',
        message: INT64_ERR,
        phase: 'parse',
      });
    }
  });

  it('rejects values just outside int64', () => {
    expect(caught(() => optsInt64('poll-max-ns', '9223372036854775808')).message).toBe(INT64_ERR);
    expect(caught(() => optsInt64('poll-max-ns', '-9223372036854775809')).message).toBe(INT64_ERR);
    expect(caught(() => optsInt64('poll-max-ns', '0x8000000000000000')).message).toBe(INT64_ERR);
  });

  it('rejects C forms that stop early', () => {
    for (const s of ['08', '09', '0x', '0xg', '5 ', ' ', '+', '-', '- 5', '+-5', '0x-1', '1_000', '５', '5\0']) {
      expect(caught(() => optsInt64('poll-max-ns', s)).message).toBe(INT64_ERR);
    }
  });
});

describe('optsUint64', () => {
  const ERR = "Parameter 'size' expects a uint64 value";

  it('accepts the full range, hex, octal and +', () => {
    expect(optsUint64('size', '0')).toBe(0);
    expect(optsUint64('size', '18446744073709551615')).toBe(18446744073709551615n);
    expect(optsUint64('size', '0xffffffffffffffff')).toBe(18446744073709551615n);
    expect(optsUint64('size', '010')).toBe(8);
    expect(optsUint64('size', '+5')).toBe(5);
    expect(optsUint64('size', ' 5')).toBe(5);
    expect(optsUint64('size', '9007199254740991')).toBe(9007199254740991);
    expect(optsUint64('size', '9007199254740992')).toBe(9007199254740992n);
  });

  it('refuses every negative number instead of wrapping', () => {
    for (const s of ['-1', '-0', ' -5', '-18446744073709551615']) expect(caught(() => optsUint64('size', s)).message).toBe(ERR);
  });

  it('rejects overflow and junk', () => {
    for (const s of ['18446744073709551616', '', 'abc', '1.5', '5x', '1 2', '08']) {
      expect(caught(() => optsUint64('size', s))).toEqual({ code: 'LOOP_ERR_INVALID_PARAM', message: ERR, phase: 'parse' });
    }
  });
});

describe('optsIntN / optsUintN', () => {
  it('range-checks after the 64-bit read', () => {
    expect(optsIntN('x', '2147483647', 32)).toBe(2147483647);
    expect(optsIntN('x', '-2147483648', 32)).toBe(-2147483648);
    expect(caught(() => optsIntN('x', '2147483648', 32)).message).toBe("Parameter 'x' expects int32_t");
    expect(caught(() => optsIntN('x', '-129', 8)).message).toBe("Parameter 'x' expects int8_t");
    expect(caught(() => optsIntN('x', '40000', 16)).message).toBe("Parameter 'x' expects int16_t");
    expect(caught(() => optsIntN('x', 'abc', 32)).message).toBe("Parameter 'x' expects an int64 value");
    expect(optsUintN('x', '4294967295', 32)).toBe(4294967295);
    expect(caught(() => optsUintN('x', '4294967296', 32)).message).toBe("Parameter 'x' expects uint32_t");
    expect(caught(() => optsUintN('x', '256', 8)).message).toBe("Parameter 'x' expects uint8_t");
    expect(caught(() => optsUintN('x', '-1', 16)).message).toBe("Parameter 'x' expects a uint64 value");
  });
});

describe('optsSize', () => {
  it('reads byte counts with binary suffixes', () => {
    expect(optsSize('s', '0')).toBe(0);
    expect(optsSize('s', '1k')).toBe(1024);
    expect(optsSize('s', '1.5M')).toBe(1.5 * 1024 * 1024);
    expect(optsSize('s', '18446744073709551615')).toBe(18446744073709551615n);
  });

  it("rejects with 'a size value'", () => {
    for (const s of ['-1', '1.5', '1x', '', '16777216T']) {
      expect(caught(() => optsSize('s', s)).message).toBe("Parameter 's' expects a size value");
    }
  });
});

describe('optsBool', () => {
  it('accepts on/yes/true/y and off/no/false/n', () => {
    for (const s of ['on', 'yes', 'true', 'y']) expect(optsBool('b', s)).toBe(true);
    for (const s of ['off', 'no', 'false', 'n']) expect(optsBool('b', s)).toBe(false);
  });

  it("rejects anything else with QEMU's text, case-sensitively", () => {
    for (const s of ['', 'ON', 'On', 'Yes', 'TRUE', '1', '0', 'offer', ' on', 'on ']) {
      expect(caught(() => optsBool('b', s))).toEqual({
        code: 'LOOP_ERR_INVALID_PARAM',
        message: "Parameter 'b' expects 'on' or 'off'",
        phase: 'parse',
      });
    }
  });
});

describe('optsString', () => {
  it('passes strings through', () => {
    expect(optsString('s', '')).toBe('');
    expect(optsString('s', 'a,b=c')).toBe('a,b=c');
  });
});

describe('optsNumber', () => {
  it('reads C doubles over the whole string', () => {
    expect(optsNumber('n', '1.5')).toBe(1.5);
    expect(optsNumber('n', ' -2e3')).toBe(-2000);
    expect(optsNumber('n', '.5')).toBe(0.5);
    expect(optsNumber('n', '5.')).toBe(5);
    expect(optsNumber('n', '0x1p3')).toBe(8);
    expect(optsNumber('n', '0x.8')).toBe(0.5);
    expect(optsNumber('n', '1e308')).toBe(1e308);
    expect(optsNumber('n', '0')).toBe(0);
  });

  it('rejects junk, non-finite values and ERANGE', () => {
    for (const s of ['', 'abc', '1.5x', 'inf', '-infinity', 'nan', 'NAN(1)', '1e309', '1e-400', '1e', '0x']) {
      expect(caught(() => optsNumber('n', s)).message).toBe("Invalid parameter type for 'n', expected: number");
    }
  });
});
