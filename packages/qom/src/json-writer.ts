/**
 * Writing QEMU's JSON dialect the way its QMP monitor writes replies and
 * events, so that our daemon's output matches QEMU's byte for byte where
 * clients or recorded transcripts compare text.
 *
 * The format is QEMU's compact one: `": "` after a key, `", "` between
 * members and elements, no newline (the monitor adds one per message). The
 * output is pure ASCII: every code point from U+007F up is a `\uXXXX` escape
 * with upper-case hex, beyond the BMP as a surrogate pair; text that is not
 * valid Unicode for QEMU (a lone surrogate, a noncharacter) becomes `\uFFFD`.
 * Integers print exactly, `bigint` included; doubles print with C's `%.17g`,
 * so `QFloat(2)` prints as `2` and `QFloat(0.1)` as `0.10000000000000001`.
 *
 * @qemu qobject_to_json, JSONWriter (qobject/json-writer.c)
 */
import { QFloat, type JsonValue } from './json-value.js';

/**
 * Formats a value as QEMU's QMP output. Besides {@link JsonValue} it takes
 * what `JSON.stringify` takes, with the same rules: `toJSON()` is honoured
 * (so errors serialise through theirs), object members that are `undefined`,
 * functions or symbols are left out and array elements of those kinds become
 * `null`. A `number` that is not a safe integer prints as a double.
 *
 * @throws TypeError when the value itself cannot be written (`undefined`, a
 *   function, a symbol) or contains itself.
 * @qemu qobject_to_json
 */
export function formatJson(value: JsonValue | unknown): string {
  const out = write(value, new Set<object>());
  if (out === undefined) throw new TypeError(`formatJson: cannot format a value of type ${typeof value}`);
  return out;
}

/** Returns undefined for values JSON has no spelling for, so containers can skip them. */
function write(value: unknown, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isSafeInteger(value) ? String(value) : formatDouble(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'null';
  if (value instanceof QFloat) return formatDouble(value.value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(value), ancestors);
  if (ancestors.has(value)) throw new TypeError('formatJson: cannot format a value that contains itself');
  ancestors.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((item: unknown) => write(item, ancestors) ?? 'null').join(', ')}]`;
  } else {
    const members: string[] = [];
    for (const key of Object.keys(value)) {
      const member = write((value as Record<string, unknown>)[key], ancestors);
      if (member !== undefined) members.push(`${quote(key)}: ${member}`);
    }
    out = `{${members.join(', ')}}`;
  }
  ancestors.delete(value);
  return out;
}

const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

const hex4 = (unit: number): string => `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;

/** @qemu quoted_str */
function quote(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    const short = SHORT_ESCAPES[cp];
    if (short !== undefined) {
      out += short;
      continue;
    }
    if (cp >= 0x20 && cp < 0x7f) {
      out += s[i];
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    // QEMU's decoder refuses noncharacters and writes the replacement character instead.
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) cp = 0xfffd;
    if (cp > 0xffff) {
      out += hex4(0xd800 + ((cp - 0x10000) >> 10)) + hex4(0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      out += hex4(cp);
    }
  }
  return `${out}"`;
}

/**
 * C's `%.17g`: 17 significant digits, correctly rounded with ties to even
 * as glibc does (JavaScript's `toPrecision` rounds ties up), trailing zeros
 * dropped, exponent form when the exponent is below -4 or above 16.
 *
 * @qemu json_writer_double
 */
function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';

  // The exact decimal expansion of the double: digits × 10^-scale.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const high = view.getUint32(0);
  const biased = high >>> 20;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exp2 = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  let digits: string;
  let scale = 0;
  if (exp2 >= 0) {
    digits = (mantissa << BigInt(exp2)).toString();
  } else {
    digits = (mantissa * 5n ** BigInt(-exp2)).toString();
    scale = -exp2;
  }
  let exp10 = digits.length - 1 - scale;

  if (digits.length > 17) {
    const head = digits.slice(0, 17);
    const rest = digits.slice(17);
    const up =
      rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || (head.charCodeAt(16) - 0x30) % 2 === 1));
    digits = (BigInt(head) + (up ? 1n : 0n)).toString();
    if (digits.length > 17) {
      exp10++;
      digits = digits.slice(0, 17);
    }
  }
  digits = digits.replace(/0+$/, '');

  if (exp10 < -4 || exp10 >= 17) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp10);
    return `${sign}${m}e${exp10 < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp10 < 0) return `${sign}0.${'0'.repeat(-exp10 - 1)}${digits}`;
  const whole = digits.slice(0, exp10 + 1).padEnd(exp10 + 1, '0');
  const fraction = digits.slice(exp10 + 1);
  return fraction === '' ? sign + whole : `${sign}${whole}.${fraction}`;
}
