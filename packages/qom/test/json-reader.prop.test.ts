import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/errors.js';
import { JsonStreamReader, parseJson, type JsonStreamItem } from '../src/json-reader.js';
import { QFloat, type JsonObject, type JsonValue } from '../src/json-value.js';
import { formatJson } from '../src/json-writer.js';

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** What QEMU keeps of a string: lone surrogates and noncharacters turn into U+FFFD. */
function qemuString(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const invalid = (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
    out += invalid ? '\uFFFD' : ch;
  }
  return out;
}

function integerValue(n: bigint): JsonValue {
  return n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n;
}

/**
 * The value formatJson + parseJson give back: `%.17g` writes an integral
 * double below 1e17 without a point or exponent, so it comes back as an integer.
 */
function expected(v: JsonValue): JsonValue {
  if (typeof v === 'bigint') return integerValue(v);
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (typeof v === 'string') return qemuString(v);
  if (v instanceof QFloat) {
    return Number.isInteger(v.value) && Math.abs(v.value) < 1e17 ? integerValue(BigInt(v.value)) : v;
  }
  if (Array.isArray(v)) return v.map(expected);
  if (v !== null && typeof v === 'object') {
    const out = Object.create(null) as JsonObject;
    for (const key of Object.keys(v)) out[qemuString(key)] = expected(v[key]!);
    return out;
  }
  return v;
}

const oddUnits = fc.constantFrom('\uD800', '\uDFFF', '\uFFFF', '\uFDD0', '\0', '"', '\\', "'", 'é', '😀', '\x7f', '\n', '\u2028');
const stringArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: oddUnits, maxLength: 6 }),
);
// Keys must stay distinct after QEMU's replacements, or the object would have a duplicate key.
const keyArb = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString', '0', '17', ''))
  .filter((k) => qemuString(k) === k);

function toObject(entries: ReadonlyArray<readonly [string, JsonValue]>): JsonObject {
  const out = Object.create(null) as JsonObject;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: INT64_MIN, max: UINT64_MAX }),
  fc.constantFrom(INT64_MIN, 2n ** 63n - 1n, 2n ** 63n, UINT64_MAX),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => new QFloat(d)),
  stringArb,
);

const { value: valueArb } = fc.letrec<{ value: JsonValue; array: JsonValue[]; object: JsonObject }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.uniqueArray(fc.tuple(keyArb, tie('value')), { maxLength: 5, selector: ([k]) => k }).map(toObject),
}));

const jsonishUnit = fc.constantFrom(
  '{', '}', '[', ']', ':', ',', '"', "'", '\\', 'u', 'D', '8', '0', '1', '9', '-', '+', '.', 'e', 'E',
  't', 'r', 'n', 'l', 'a', 'f', ' ', '\n', '\t', '@', 'é', '\uD800', '\0', '\x01', '\uFFFF',
);

const values = (items: readonly JsonStreamItem[]): JsonValue[] =>
  items.map((item) => {
    if (item.kind === 'error') throw new Error(`unexpected error item: ${item.error.message}`);
    return item.value;
  });

/** Cuts `length` units at the given positions (taken modulo length + 1). */
function cuts(length: number, positions: readonly number[]): number[] {
  return [...new Set(positions.map((p) => p % (length + 1)))].sort((a, b) => a - b);
}

describe('JSON round trip (property)', () => {
  it('formatJson output parses back to the same value', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        expect(parseJson(formatJson(v))).toEqual(expected(v));
      }),
      { numRuns: 500 },
    );
  });

  it('formatJson output is printable ASCII', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        expect(formatJson(v)).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });
});

describe('parseJson on arbitrary input (property)', () => {
  function check(text: string): void {
    try {
      parseJson(text);
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidParameterError);
      expect((e as InvalidParameterError).code).toBe('LOOP_ERR_INVALID_PARAM');
      expect((e as InvalidParameterError).message.length).toBeGreaterThan(0);
    }
  }

  it('throws nothing but InvalidParameterError for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), check), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: jsonishUnit, maxLength: 40 }), check), { numRuns: 1000 });
  });

  it('throws nothing but InvalidParameterError for damaged valid JSON', () => {
    const damaged = fc
      .tuple(valueArb, fc.nat(), fc.string({ unit: jsonishUnit, maxLength: 3 }), fc.nat({ max: 3 }))
      .map(([v, at, insert, remove]) => {
        const text = formatJson(v);
        const p = at % (text.length + 1);
        return text.slice(0, p) + insert + text.slice(p + remove);
      });
    fc.assert(fc.property(damaged, check), { numRuns: 1000 });
  });

  it('never fails the same way for a stream: every item is a value or an InvalidParameterError', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: jsonishUnit, maxLength: 20 }), { maxLength: 5 }), (chunks) => {
        const r = new JsonStreamReader({ maxDepth: 8, maxTokens: 32, maxBytes: 64 });
        const items = [...chunks.flatMap((c) => r.push(c)), ...r.end()];
        for (const item of items) {
          if (item.kind === 'error') {
            expect(item.error).toBeInstanceOf(InvalidParameterError);
            expect(item.error.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('JsonStreamReader on chunked input (property)', () => {
  const separator = fc.constantFrom('\n', ' ', '\r\n', '\t', '  \n');

  it('yields the same values however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(valueArb, { maxLength: 6 }),
        separator,
        fc.array(fc.nat(), { maxLength: 8 }),
        (vs, sep, positions) => {
          const data = Buffer.from(vs.map((v) => formatJson(v) + sep).join(''), 'utf8');
          const r = new JsonStreamReader();
          const items: JsonStreamItem[] = [];
          let from = 0;
          for (const to of [...cuts(data.length, positions), data.length]) {
            items.push(...r.push(data.subarray(from, to)));
            from = to;
          }
          items.push(...r.end());
          expect(values(items)).toEqual(vs.map(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('yields the same values however the text is cut, with containers back to back', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (vs, positions) => {
        // Arrays and objects end themselves, so they need no separator at all.
        const text = vs.map((v) => formatJson([v])).join('');
        const r = new JsonStreamReader();
        const items: JsonStreamItem[] = [];
        let from = 0;
        for (const to of [...cuts(text.length, positions), text.length]) {
          items.push(...r.push(text.slice(from, to)));
          from = to;
        }
        expect(values(items)).toEqual(vs.map((v) => [expected(v)]));
        expect(r.end()).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
