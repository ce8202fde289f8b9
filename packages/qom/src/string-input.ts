/**
 * String-to-value conversions for option strings.
 *
 * qemu-system parses an `-object` string with QemuOpts and then converts each
 * value with its *opts visitor*: every value arrives as a C string and is
 * read with the C library (`strtoll` and friends) or with QEMU's own
 * `qemu_strtosz`. This module reproduces those readers for JavaScript
 * strings, byte for byte where the C functions are defined, so that
 * `poll-max-ns=0x10`, `=010`, `=+5` and `= 5` are accepted and `=1.5`,
 * `=1k`, `=5x`, `=1 2`, `=on` and anything outside int64 are rejected exactly
 * like the oracle (transcripts/qemu/90-cmdline-object.json).
 *
 * The same readers back the keyval visitor conversions in keyval.ts, which
 * only differ in their error texts (`expects integer` there, `expects an int64
 * value` here).
 *
 * Notes on the emulation:
 * - White space means the C locale's `isspace`: space, \t, \n, \v, \f, \r.
 * - A C string ends at its first NUL byte; a JavaScript string does not, so a
 *   NUL character is treated as an ordinary (invalid) character.
 * - `strtod` is modelled for decimal and hexadecimal floating point input;
 *   underflow is reported for results that are zero or subnormal although the
 *   digits were not all zero (glibc sets ERANGE in those cases).
 * - The opts visitor has no floating point reader at all (QEMU leaves
 *   `type_number` unset there); `optsNumber` borrows the keyval visitor's rule.
 */

import { InvalidParameterError } from './errors.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;
const TWO_64 = 1n << 64n;
const SATURATE = 1n << 65n;

/** A C integer as `strtoll`/`strtoull` see it. */
interface CIntegerScan {
  /** False when no digit was read (C: end pointer left at the start). */
  readonly digits: boolean;
  /** A '-' sign came before the digits. */
  readonly negative: boolean;
  /** The absolute value of the digits read. */
  readonly magnitude: bigint;
  /** Index just after the last character consumed (0 when no digits). */
  readonly end: number;
}

function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/**
 * Reads an integer the way C's `strtoull(s + start, &end, base)` does
 * (base 0, 10 or 16): white space, an optional sign, an optional `0x` prefix
 * (base 0 and 16), then digits. Overflow is left to the caller, which sees the
 * exact magnitude.
 */
function scanCInteger(s: string, base: 0 | 10 | 16, start = 0): CIntegerScan {
  let i = start;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  let radix: number = base;
  // A 0x prefix only counts when a hex digit follows it; otherwise the 0 alone is the number.
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16) {
    radix = 16;
    i += 2;
  } else if (base === 0) {
    radix = s[i] === '0' ? 8 : 10;
  }
  const first = i;
  let magnitude = 0n;
  const big = BigInt(radix);
  while (digitValue(s[i]) < radix) {
    // Past 2^65 only "too large" matters; stop growing the bigint.
    if (magnitude <= SATURATE) magnitude = magnitude * big + BigInt(digitValue(s[i]));
    i++;
  }
  if (i === first) return { digits: false, negative: false, magnitude: 0n, end: start };
  return { digits: true, negative, magnitude, end: i };
}

/** Plain numbers where they are exact; bigint beyond 2^53 - 1. */
function toNumeric(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * @internal `strtoll(s, &end, 0)` required to consume the whole string without
 * ERANGE; undefined when it does not.
 *
 * @qemu qemu_strtoi64 (util/cutils.c)
 */
export function parseCInt64(s: string): bigint | undefined {
  const r = scanCInteger(s, 0);
  if (!r.digits || r.end !== s.length) return undefined;
  const v = r.negative ? -r.magnitude : r.magnitude;
  if (v > INT64_MAX || v < INT64_MIN) return undefined;
  return v;
}

/**
 * @internal `strtoull(s, &end, 0)` required to consume the whole string without
 * ERANGE; a negative number wraps modulo 2^64 as in C.
 *
 * @qemu qemu_strtou64 (util/cutils.c)
 */
export function parseCUint64Wrapping(s: string): bigint | undefined {
  const r = scanCInteger(s, 0);
  if (!r.digits || r.end !== s.length || r.magnitude > UINT64_MAX) return undefined;
  return r.negative ? (TWO_64 - r.magnitude) % TWO_64 : r.magnitude;
}

interface DoubleScan {
  readonly ok: boolean;
  readonly value: number;
  readonly end: number;
  readonly range: boolean;
}

function scanHexDigits(s: string, i: number): number {
  while (digitValue(s[i]) < 16) i++;
  return i;
}

function scanDecDigits(s: string, i: number): number {
  while (digitValue(s[i]) < 10) i++;
  return i;
}

/** C `strtod(s + start, &end)` in the C locale. */
function scanCDouble(s: string, start: number): DoubleScan {
  const fail: DoubleScan = { ok: false, value: 0, end: start, range: false };
  let i = start;
  while (isCSpace(s[i])) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') {
    if (s[i] === '-') sign = -1;
    i++;
  }
  const rest = s.slice(i, i + 8).toLowerCase();
  if (rest.startsWith('inf')) {
    const end = rest.startsWith('infinity') ? i + 8 : i + 3;
    return { ok: true, value: sign * Infinity, end, range: false };
  }
  if (rest.startsWith('nan')) {
    let end = i + 3;
    if (s[end] === '(') {
      let j = end + 1;
      while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
      if (s[j] === ')') end = j + 1;
    }
    return { ok: true, value: NaN, end, range: false };
  }
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    const m = i + 2;
    const intEnd = scanHexDigits(s, m);
    let fracStart = intEnd;
    let fracEnd = intEnd;
    if (s[intEnd] === '.') {
      fracStart = intEnd + 1;
      fracEnd = scanHexDigits(s, fracStart);
    }
    if (intEnd > m || fracEnd > fracStart) {
      let end = fracEnd;
      let exp = 0;
      if (s[end] === 'p' || s[end] === 'P') {
        let j = end + 1;
        let esign = 1;
        if (s[j] === '+' || s[j] === '-') {
          if (s[j] === '-') esign = -1;
          j++;
        }
        const expEnd = scanDecDigits(s, j);
        if (expEnd > j) {
          exp = esign * Math.min(Number(s.slice(j, Math.min(expEnd, j + 12))), 1e9);
          end = expEnd;
        }
      }
      const digits = s.slice(m, intEnd) + s.slice(fracStart, fracEnd);
      const mant = BigInt('0x' + (digits === '' ? '0' : digits));
      const value = hexFloatValue(mant, exp - 4 * (fracEnd - fracStart));
      return finishDouble(sign * value, mant !== 0n, end);
    }
    // "0x" without hex digits: the 0 alone is the number.
    return { ok: true, value: sign * 0, end: i + 1, range: false };
  }
  const intEnd = scanDecDigits(s, i);
  let end = intEnd;
  let fracEnd = intEnd;
  if (s[intEnd] === '.') {
    fracEnd = scanDecDigits(s, intEnd + 1);
    end = fracEnd;
  }
  const mantissaDigits = s.slice(i, intEnd) + (fracEnd > intEnd ? s.slice(intEnd + 1, fracEnd) : '');
  if (mantissaDigits === '') return fail;
  if (s[end] === 'e' || s[end] === 'E') {
    let j = end + 1;
    if (s[j] === '+' || s[j] === '-') j++;
    const expEnd = scanDecDigits(s, j);
    if (expEnd > j) end = expEnd;
  }
  const value = Number(s.slice(i, end));
  return finishDouble(sign * value, /[1-9]/.test(mantissaDigits), end);
}

function hexFloatValue(mant: bigint, exp2: number): number {
  if (mant === 0n) return 0;
  // Scale in steps so that neither factor overflows before the product is formed.
  let v = Number(mant);
  let e = exp2;
  while (e > 1000) {
    v *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    v *= 2 ** -1000;
    e += 1000;
  }
  return v * 2 ** e;
}

function finishDouble(value: number, nonZeroDigits: boolean, end: number): DoubleScan {
  const abs = Math.abs(value);
  const overflow = abs === Infinity;
  const underflow = nonZeroDigits && abs < 2.2250738585072014e-308;
  return { ok: true, value, end, range: overflow || underflow };
}

/**
 * `qemu_strtod_finite(s, NULL, &v)`: the whole string is one finite
 * double, read without ERANGE.
 */
function parseCDoubleFinite(s: string): number | undefined {
  const r = scanCDouble(s, 0);
  if (!r.ok || r.range || r.end !== s.length || !Number.isFinite(r.value)) return undefined;
  return r.value;
}

function suffixMultiplier(c: string | undefined): bigint {
  switch (c) {
    case 'B': case 'b': return 1n;
    case 'K': case 'k': return 1n << 10n;
    case 'M': case 'm': return 1n << 20n;
    case 'G': case 'g': return 1n << 30n;
    case 'T': case 't': return 1n << 40n;
    case 'P': case 'p': return 1n << 50n;
    case 'E': case 'e': return 1n << 60n;
    default: return -1n;
  }
}

/**
 * @internal QEMU's `qemu_strtosz(s, NULL, &v)`: a decimal (or `0x` hex) byte
 * count, optionally with a decimal fraction, and an optional binary suffix
 * B/K/M/G/T/P/E (either case). Fractions need a suffix other than B; hex takes
 * neither fraction nor suffix; negative numbers, exponents and results of
 * 2^64 or more are rejected; the fraction rounds half up.
 *
 * @qemu qemu_strtosz (util/cutils.c)
 */
export function parseQemuSize(s: string): bigint | undefined {
  const intPart = scanCInteger(s, 10);
  if (!intPart.digits || intPart.magnitude > UINT64_MAX) return undefined;
  if (s.slice(0, intPart.end).includes('-')) return undefined;
  let val = intPart.magnitude;
  let end = intPart.end;
  let frac = 0n; // 0.64 fixed point
  if (val === 0n && (s[end] === 'x' || s[end] === 'X')) {
    const hex = scanCInteger(s, 16);
    if (!hex.digits || hex.magnitude > UINT64_MAX) return undefined;
    val = hex.magnitude;
    end = hex.end;
    if (s[end] === '.' || suffixMultiplier(s[end]) > 0n) return undefined;
  } else if (s[end] === '.') {
    const f = end;
    const d = scanCDouble(s, f);
    if (!d.ok || d.range || !Number.isFinite(d.value)) {
      // "1." or "1.k": the dot alone is accepted and skipped.
      end = f + 1;
    } else if (/[eE]/.test(s.slice(f, d.end))) {
      return undefined;
    } else {
      end = d.end;
      const scaled = BigInt(Math.trunc(d.value * 2 ** 64));
      frac = scaled > UINT64_MAX ? UINT64_MAX : scaled;
    }
  }
  let mul = suffixMultiplier(s[end]);
  if (mul > 0n) end++;
  else mul = 1n;
  let result: bigint;
  if (mul === 1n) {
    if (frac !== 0n) return undefined;
    result = val;
  } else {
    const fracProduct = frac * mul;
    result = val * mul + (fracProduct >> 64n) + ((fracProduct & UINT64_MAX) >> 63n);
    if (result > UINT64_MAX) return undefined;
  }
  if (end !== s.length) return undefined;
  return result;
}

function invalid(name: string, what: string): InvalidParameterError {
  return new InvalidParameterError(`Parameter '${name}' expects ${what}`, { phase: 'parse' });
}

/**
 * A signed 64-bit integer, C `strtoll` base 0 over the whole string: decimal,
 * `0x` hex, leading-`0` octal, optional sign and leading white space.
 * Returns a number when exact, else a bigint.
 *
 * @qemu opts_type_int64 (qapi/opts-visitor.c)
 */
export function optsInt64(name: string, s: string): number | bigint {
  const v = parseCInt64(s);
  if (v === undefined) throw invalid(name, 'an int64 value');
  return toNumeric(v);
}

/**
 * An unsigned 64-bit integer; same syntax as {@link optsInt64}, but a leading
 * minus sign is always refused (QEMU's `parse_uint`), `+` is fine.
 *
 * @qemu opts_type_uint64 (qapi/opts-visitor.c)
 */
export function optsUint64(name: string, s: string): number | bigint {
  const r = scanCInteger(s, 0);
  let i = 0;
  while (isCSpace(s[i])) i++;
  if (!r.digits || r.magnitude > UINT64_MAX || s[i] === '-' || r.end !== s.length) {
    throw invalid(name, 'a uint64 value');
  }
  return toNumeric(r.magnitude);
}

/**
 * A signed integer narrower than 64 bits: read as int64 first (same error),
 * then range-checked by the generic visitor (`expects int32_t`).
 *
 * @qemu visit_type_int8 / int16 / int32 (qapi/qapi-visit-core.c)
 */
export function optsIntN(name: string, s: string, bits: 8 | 16 | 32): number {
  const v = optsInt64(name, s);
  const limit = 2 ** (bits - 1);
  if (typeof v !== 'number' || v < -limit || v > limit - 1) throw invalid(name, `int${bits}_t`);
  return v;
}

/**
 * An unsigned integer narrower than 64 bits: read as uint64 first (same
 * error), then range-checked by the generic visitor (`expects uint32_t`).
 *
 * @qemu visit_type_uint8 / uint16 / uint32 (qapi/qapi-visit-core.c)
 */
export function optsUintN(name: string, s: string, bits: 8 | 16 | 32): number {
  const v = optsUint64(name, s);
  if (typeof v !== 'number' || v > 2 ** bits - 1) throw invalid(name, `uint${bits}_t`);
  return v;
}

/**
 * A byte count with an optional binary suffix (see {@link parseQemuSize}).
 *
 * @qemu opts_type_size (qapi/opts-visitor.c)
 */
export function optsSize(name: string, s: string): number | bigint {
  const v = parseQemuSize(s);
  if (v === undefined) throw invalid(name, 'a size value');
  return toNumeric(v);
}

/**
 * Case-sensitive on/yes/true/y and off/no/false/n, shared by every QEMU string
 * parser since 5.2.
 *
 * @qemu opts_type_bool -> qapi_bool_parse (qapi/qapi-util.c)
 */
export function optsBool(name: string, s: string): boolean {
  if (s === 'on' || s === 'yes' || s === 'true' || s === 'y') return true;
  if (s === 'off' || s === 'no' || s === 'false' || s === 'n') return false;
  throw invalid(name, "'on' or 'off'");
}

/**
 * Strings pass through unchanged; kept so that callers can dispatch on the
 * property type without a special case.
 *
 * @qemu opts_type_str (qapi/opts-visitor.c)
 */
export function optsString(_name: string, s: string): string {
  return s;
}

/**
 * A finite double over the whole string (C `strtod`, no ERANGE). QEMU's opts
 * visitor has no number reader; this follows the keyval visitor, including its
 * message.
 *
 * @qemu qobject_input_type_number_keyval (qapi/qobject-input-visitor.c)
 */
export function optsNumber(name: string, s: string): number {
  const v = parseCDoubleFinite(s);
  if (v === undefined) {
    throw new InvalidParameterError(`Invalid parameter type for '${name}', expected: number`, { phase: 'parse' });
  }
  return v;
}
