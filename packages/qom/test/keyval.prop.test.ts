/**
 * Property tests for both option-string parsers: printing a map and parsing
 * it back is the identity, and no input makes either parser throw anything
 * but an InvalidParameterError.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { InvalidParameterError } from '../src/errors.js';
import { keyvalParse } from '../src/keyval.js';
import { qemuOptsParse } from '../src/qemu-opts.js';
import { optsBool, optsInt64, optsNumber, optsSize, optsUint64 } from '../src/string-input.js';
import { keyvalInt64, keyvalSize, keyvalUint64 } from '../src/keyval.js';

const RESERVED = new Set(['id', 'qom-type', 'help']);

const keyArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/).filter((k) => !RESERVED.has(k));

/** Mostly characters that matter to the parsers, plus anything at all. */
const trickyChars = fc.constantFrom(',', ',', '=', '.', '?', '-', '_', ' ', '0', '1', 'x', 'a', 'h', 'e', 'l', 'p', 'i', 'd', 'n', 'o', '\0', 'é');
const valueArb = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: trickyChars }));
const typeArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((t) => t !== 'help');
const inputArb = fc.oneof(
  fc.string({ unit: trickyChars, maxLength: 40 }),
  fc.string({ unit: 'binary' }),
  fc.array(fc.oneof(keyArb, fc.constantFrom('id', 'help', '?', 'no', 'a.b', 'a.0', '0', '')), { maxLength: 6 }).chain((keys) =>
    fc.tuple(...keys.map((k) => fc.tuple(fc.constant(k), fc.option(valueArb, { nil: undefined })))).map((items) =>
      items.map(([k, v]) => (v === undefined ? k : `${k}=${v.replaceAll(',', ',,')}`)).join(','),
    ),
  ),
);

function escape(v: string): string {
  return v.replaceAll(',', ',,');
}

function print(type: string, map: Record<string, string>): string {
  return [type, 'id=x', ...Object.entries(map).map(([k, v]) => `${k}=${escape(v)}`)].join(',');
}

function expectOnlyInvalidParameter(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidParameterError);
    expect((e as InvalidParameterError).code).toBe('LOOP_ERR_INVALID_PARAM');
    expect((e as InvalidParameterError).phase).toBe('parse');
    expect(typeof (e as Error).message).toBe('string');
    expect((e as Error).message.length).toBeGreaterThan(0);
  }
}

describe('round trip: type,id=x,k=v,... parses back to the same map', () => {
  it('qemuOptsParse', () => {
    fc.assert(
      fc.property(typeArb, fc.dictionary(keyArb, valueArb, { maxKeys: 8 }), (type, map) => {
        const parsed = qemuOptsParse(print(type, map), { impliedKey: 'qom-type' });
        expect(parsed.id).toBe('x');
        expect(parsed.help).toBe(false);
        expect(parsed.warnings).toEqual([]);
        expect(parsed.entries[0]).toEqual({ key: 'qom-type', value: type });
        expect(parsed.entries.slice(1)).toEqual(Object.entries(map).map(([key, value]) => ({ key, value })));
      }),
      { numRuns: 500 },
    );
  });

  it('keyvalParse', () => {
    fc.assert(
      fc.property(typeArb, fc.dictionary(keyArb, valueArb, { maxKeys: 8 }), (type, map) => {
        const parsed = keyvalParse(print(type, map), { impliedKey: 'qom-type', acceptHelp: true });
        expect(parsed.help).toBe(false);
        expect({ ...parsed.dict }).toEqual({ 'qom-type': type, id: 'x', ...map });
      }),
      { numRuns: 500 },
    );
  });

  it('a value with commas also survives as the QemuOpts implied value', () => {
    fc.assert(
      fc.property(valueArb.filter((v) => !v.includes('=') && v !== '' && v !== 'help' && v !== '?'), (type) => {
        const parsed = qemuOptsParse(`${escape(type)},id=x`, { impliedKey: 'qom-type' });
        // The first item is implied only while no '=' precedes its first ','.
        expect(parsed.entries[0]).toEqual({ key: 'qom-type', value: type });
      }),
      { numRuns: 300 },
    );
  });
});

describe('arbitrary input: only InvalidParameterError, with a message', () => {
  it('qemuOptsParse', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expectOnlyInvalidParameter(() => qemuOptsParse(input, { impliedKey: 'qom-type' }));
      }),
      { numRuns: 1000 },
    );
  });

  it('keyvalParse, with and without implied key and help', () => {
    fc.assert(
      fc.property(inputArb, fc.option(fc.constantFrom('qom-type', 'a.b', 'implied'), { nil: undefined }), fc.boolean(), (input, impliedKey, acceptHelp) => {
        expectOnlyInvalidParameter(() =>
          keyvalParse(input, impliedKey === undefined ? { acceptHelp } : { impliedKey, acceptHelp }),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('the scalar conversions', () => {
    const numeric = fc.oneof(
      fc.string({ unit: fc.constantFrom('0', '1', '7', '9', 'x', 'X', 'f', '-', '+', ' ', '.', 'e', 'k', 'p', 'B') }),
      fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(numeric, (s) => {
        for (const f of [optsInt64, optsUint64, optsSize, optsBool, optsNumber, keyvalInt64, keyvalUint64, keyvalSize]) {
          expectOnlyInvalidParameter(() => f('p', s));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('optsInt64 agrees with BigInt on plain decimals', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 64n), max: 1n << 64n }), (n) => {
        const inRange = n >= -(1n << 63n) && n < 1n << 63n;
        if (inRange) expect(BigInt(optsInt64('p', String(n)))).toBe(n);
        else expect(() => optsInt64('p', String(n))).toThrow("Parameter 'p' expects an int64 value");
      }),
      { numRuns: 500 },
    );
  });
});
