/**
 * Reading QEMU's JSON dialect: one value from an `-object {...}` argument, or
 * a stream of values from a QMP socket.
 *
 * The reader works on the UTF-8 bytes, in three stages as QEMU does, because
 * QEMU's error texts and its recovery after bad input follow from that
 * structure and a client can observe both:
 *
 * 1. A lexer cuts bytes into tokens. Beyond RFC 8259 it takes single-quoted
 *    strings and the `\'` escape. A byte that cannot continue the current
 *    token ends it with `JSON parse error, stray '<token so far>'`; the lexer
 *    then skips input up to a structural character (`{}[]:,`), a control
 *    character other than tab (a newline, typically) or the bytes 0xFE/0xFF,
 *    and starts afresh there. So `@@@\n` costs one error, not three.
 * 2. A streamer counts braces and brackets and hands the tokens collected so
 *    far to the parser as soon as they balance (or go negative). Several
 *    values on one line are several messages; an unfinished value waits. The
 *    streamer enforces the size, token-count and nesting limits, and on any
 *    error drops what it had collected.
 * 3. A parser turns one message's tokens into a {@link JsonValue} or into the
 *    first syntax error: `JSON parse error, <what>`.
 *
 * Error texts, all of them `InvalidParameterError` messages (QMP GenericError):
 *
 * - `JSON parse error, stray '<token>'`: lexical error. The token is the text
 *   of the broken token including the offending byte, up to a NUL.
 * - `JSON parse error, premature EOI`: the input ended inside a value (only at
 *   the end of input, so only {@link parseJson} and {@link JsonStreamReader.end}).
 * - `JSON parse error, expecting value`: a `}`, `]`, `:` or `,` where a value
 *   belongs, including a lone closing bracket at the top level.
 * - `JSON parse error, expected separator in dict` / `... in list`.
 * - `JSON parse error, missing : in object pair`.
 * - `JSON parse error, key is not a string in object`.
 * - `JSON parse error, duplicate key` (QEMU 7.2 refuses `{"a": 1, "a": 2}`).
 * - `JSON parse error, invalid keyword '<word>'`: any `[a-z]+` other than
 *   `true`, `false` and `null`.
 * - `JSON parse error, invalid escape sequence in string`.
 * - `JSON parse error, <escape> is not a valid Unicode character`: a `\u`
 *   escape that is not four hex digits, a lone or mismatched surrogate, or a
 *   noncharacter (U+FDD0..U+FDEF, U+xxFFFE/F). `<escape>` is the text as
 *   written, e.g. `\uD800` or `\uD83D\uDFFF`.
 * - `JSON parse error, invalid UTF-8 sequence in string`: malformed, overlong
 *   (except C0 80, QEMU's modified UTF-8 for U+0000), surrogate or
 *   noncharacter bytes inside a string.
 * - `JSON token size limit exceeded`, `JSON token count limit exceeded`,
 *   `JSON nesting depth limit exceeded`: the limits below.
 * - {@link parseJson} only: `Expecting a JSON value` (nothing but blanks) and
 *   `Expecting at most one JSON value` (anything after the first value).
 *
 * Limits (QEMU's compile-time values are the defaults): 64 MiB for the bytes
 * of the tokens of one pending value and for a single token (whitespace does
 * not count), 2 Mi tokens per value, and 1024 for braces plus brackets open
 * at once.
 *
 * @qemu qobject/json-lexer.c, qobject/json-streamer.c, qobject/json-parser.c
 */
import { InvalidParameterError } from './errors.js';
import { QFloat, type JsonObject, type JsonValue } from './json-value.js';

/**
 * Bounds on one pending value, so a client cannot make the daemon buffer or
 * recurse without end. Each defaults to QEMU's compile-time value.
 *
 * @qemu MAX_TOKEN_SIZE, MAX_TOKEN_COUNT, MAX_NESTING (qobject/json-streamer.c)
 */
export interface JsonReaderLimits {
  /** Bytes of one value's tokens, and of any single token. Default 64 MiB (QEMU's MAX_TOKEN_SIZE). */
  readonly maxBytes?: number;
  /** Tokens of one value. Default 2 Mi (QEMU's MAX_TOKEN_COUNT). */
  readonly maxTokens?: number;
  /** Objects plus arrays open at once. Default 1024 (QEMU's MAX_NESTING). Keep it in the thousands: the parser recurses. */
  readonly maxDepth?: number;
}

/**
 * One result of a stream: a complete top-level value, or the error that
 * replaced one. Errors are items rather than exceptions because a QMP server
 * answers each with an error reply and carries on reading.
 *
 * @qemu the (json, err) pair JSONMessageParser hands to its emit callback
 */
export type JsonStreamItem =
  | { readonly kind: 'value'; readonly value: JsonValue }
  | { readonly kind: 'error'; readonly error: InvalidParameterError };

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_TOKENS = 2 * 1024 * 1024;
const DEFAULT_MAX_DEPTH = 1024;

// Lexer states.
const S_START = 0;
const S_RECOVERY = 1;
const S_DQ = 2;
const S_DQ_ESC = 3;
const S_SQ = 4;
const S_SQ_ESC = 5;
const S_ZERO = 6;
const S_SIGN = 7;
const S_DIGITS = 8;
const S_MANTISSA = 9;
const S_MANTISSA_DIGITS = 10;
const S_EXP_E = 11;
const S_EXP_SIGN = 12;
const S_EXP_DIGITS = 13;
const S_KEYWORD = 14;

// Token types.
const T_LCURLY = 1;
const T_RCURLY = 2;
const T_LSQUARE = 3;
const T_RSQUARE = 4;
const T_COLON = 5;
const T_COMMA = 6;
const T_INTEGER = 7;
const T_FLOAT = 8;
const T_KEYWORD = 9;
const T_STRING = 10;

/**
 * One pending message's tokens, packed: their bytes back to back in one
 * buffer plus the type and start of each, so a long message costs no
 * allocation per token.
 */
class TokenList {
  readonly types: number[] = [];
  readonly starts: number[] = [];
  bytes = new Uint8Array(256);
  /** Total bytes, QEMU's token_size. */
  size = 0;

  get count(): number {
    return this.types.length;
  }

  end(index: number): number {
    return index + 1 < this.types.length ? this.starts[index + 1]! : this.size;
  }

  add(type: number, src: Uint8Array, length: number): void {
    if (this.size + length > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.size + length));
      bigger.set(this.bytes.subarray(0, this.size));
      this.bytes = bigger;
    }
    if (length > 32) this.bytes.set(src.subarray(0, length), this.size);
    else for (let k = 0; k < length; k++) this.bytes[this.size + k] = src[k]!;
    this.types.push(type);
    this.starts.push(this.size);
    this.size += length;
  }

  clear(): void {
    this.types.length = 0;
    this.starts.length = 0;
    this.size = 0;
    if (this.bytes.length > 1 << 20) this.bytes = new Uint8Array(256);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
/** QEMU formats parser messages into a 1024-byte buffer before prefixing them. */
const PARSER_MESSAGE_MAX = 1023;
const MIN_CODEPOINT = [0x80, 0x800, 0x10000, 0x200000, 0x4000000];

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** Token type of each structural byte `{}[]:,`, 0 for any other byte. */
const STRUCTURAL = new Uint8Array(256);
STRUCTURAL[0x7b] = T_LCURLY;
STRUCTURAL[0x7d] = T_RCURLY;
STRUCTURAL[0x5b] = T_LSQUARE;
STRUCTURAL[0x5d] = T_RSQUARE;
STRUCTURAL[0x3a] = T_COLON;
STRUCTURAL[0x2c] = T_COMMA;

/** Bytes as a one-char-per-byte string, the form messages are built in before decoding. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** @qemu is_valid_codepoint (util/unicode.c) */
function isValidCodepoint(cp: number): boolean {
  if (cp < 0 || cp > 0x10ffff) return false;
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
  return !(cp >= 0xd800 && cp <= 0xdfff);
}

/** Where the sequence decoded by the last {@link modUtf8Codepoint} call ends. */
let utf8End = 0;

/**
 * Decodes one modified-UTF-8 sequence at `i` of `b[..limit)`; returns the
 * code point, -1 when invalid, and leaves where the next sequence starts in
 * {@link utf8End}. Bytes at `limit` and beyond read as NUL, as they would in
 * QEMU's NUL-terminated buffers.
 *
 * @qemu mod_utf8_codepoint
 */
function modUtf8Codepoint(b: Uint8Array, i: number, limit: number): number {
  const first = i < limit ? b[i]! : 0;
  utf8End = i;
  if (first === 0) return -1;
  utf8End = i + 1;
  if (first < 0x80) return first;
  if (first >= 0xfe || (first & 0x40) === 0) return -1;
  let len = 0;
  let mask = 0x80;
  for (; first & mask; mask >>= 1) len++;
  let cp = first & (mask - 1);
  let p = i + 1;
  for (let k = 1; k < len; k++) {
    const next = p < limit ? b[p]! : 0;
    if ((next & 0xc0) !== 0x80) {
      utf8End = p;
      return -1;
    }
    p++;
    cp = cp * 64 + (next & 0x3f);
  }
  utf8End = p;
  if (!isValidCodepoint(cp)) return -1;
  if (cp < MIN_CODEPOINT[len - 2]! && !(cp === 0 && len === 2)) return -1;
  return cp;
}

/** Collects UTF-16 code units and turns them into a string without a call per unit. */
class StringBuilder {
  private parts = '';
  private units: number[] = [];

  pushCodePoint(cp: number): void {
    if (cp > 0xffff) {
      cp -= 0x10000;
      this.units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      this.units.push(cp);
    }
    if (this.units.length >= 8192) this.flush();
  }

  private flush(): void {
    this.parts += String.fromCharCode(...this.units);
    this.units = [];
  }

  toString(): string {
    this.flush();
    return this.parts;
  }
}

/**
 * Turns a message built from raw bytes into the text a QMP client reads:
 * QEMU cuts it at a NUL and writes every invalid sequence as U+FFFD.
 *
 * @qemu quoted_str (qobject/json-writer.c)
 */
function messageText(raw: string): string {
  const nul = raw.indexOf('\0');
  const cut = nul < 0 ? raw : raw.slice(0, nul);
  // Fast path: printable ASCII needs no decoding.
  if (/^[\x01-\x7f]*$/.test(cut)) return cut;
  const bytes = Uint8Array.from(cut, (ch) => ch.charCodeAt(0) & 0xff);
  const sb = new StringBuilder();
  for (let i = 0; i < bytes.length; i = utf8End) {
    const cp = modUtf8Codepoint(bytes, i, bytes.length);
    sb.pushCodePoint(cp < 0 ? 0xfffd : cp);
  }
  return sb.toString();
}

/**
 * UTF-8 for well-formed text; a lone surrogate becomes its three-byte form,
 * which QEMU then refuses as invalid UTF-8, as it would from a real client.
 */
function encodeText(text: string): Uint8Array {
  if (!/\p{Cs}/u.test(text)) return Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    } else {
      out.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Uint8Array.from(out);
}

/** A syntax error found by the parser; the message is raw bytes as a latin1 string. */
class ParseFailure {
  constructor(readonly raw: string) {}
}

/** @qemu cvt4hex: -1 unless the four bytes at `i` are hex digits */
function hex4(b: Uint8Array, i: number, limit: number): number {
  let cp = 0;
  for (let k = 0; k < 4; k++) {
    const c = i + k < limit ? b[i + k]! : 0;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else return -1;
    cp = cp * 16 + d;
  }
  return cp;
}

/**
 * Recursive descent over one message's tokens. The first error ends the
 * parse, which is what QEMU's "keep only the first error" amounts to.
 *
 * @qemu json_parser_parse
 */
class TokenParser {
  private pos = 0;
  private readonly bytes: Uint8Array;

  constructor(private readonly tokens: TokenList) {
    this.bytes = tokens.bytes;
  }

  parse(): JsonValue {
    return this.value();
  }

  private fail(message: string): never {
    throw new ParseFailure(message.length > PARSER_MESSAGE_MAX ? message.slice(0, PARSER_MESSAGE_MAX) : message);
  }

  /** The type of the next token, or -1 at the end of the message. */
  private peek(): number {
    return this.pos < this.tokens.count ? this.tokens.types[this.pos]! : -1;
  }

  private pop(): number {
    const type = this.peek();
    if (type < 0) this.fail('premature EOI');
    this.pos++;
    return type;
  }

  /** @qemu parse_value */
  private value(): JsonValue {
    const type = this.peek();
    if (type < 0) this.fail('premature EOI');
    if (type === T_LCURLY) return this.object();
    if (type === T_LSQUARE) return this.array();
    const index = this.pos;
    const start = this.tokens.starts[index]!;
    const end = this.tokens.end(index);
    switch (type) {
      case T_STRING:
        this.pos++;
        return this.string(start, end);
      case T_INTEGER:
        this.pos++;
        return integer(this.bytes, start, end);
      case T_FLOAT:
        this.pos++;
        return new QFloat(Number(latin1(this.bytes.subarray(start, end))));
      case T_KEYWORD: {
        this.pos++;
        const word = latin1(this.bytes.subarray(start, end));
        if (word === 'true') return true;
        if (word === 'false') return false;
        if (word === 'null') return null;
        return this.fail(`invalid keyword '${word}'`);
      }
      default:
        return this.fail('expecting value');
    }
  }

  /** @qemu parse_object, parse_pair */
  private object(): JsonObject {
    this.pos++;
    const dict = Object.create(null) as JsonObject;
    const first = this.peek();
    if (first < 0) this.fail('premature EOI');
    if (first === T_RCURLY) {
      this.pos++;
      return dict;
    }
    this.pair(dict);
    for (let type = this.pop(); type !== T_RCURLY; type = this.pop()) {
      if (type !== T_COMMA) this.fail('expected separator in dict');
      this.pair(dict);
    }
    return dict;
  }

  private pair(dict: JsonObject): void {
    if (this.peek() < 0) this.fail('premature EOI');
    const key = this.value();
    if (typeof key !== 'string') this.fail('key is not a string in object');
    if (this.pop() !== T_COLON) this.fail('missing : in object pair');
    const value = this.value();
    if (Object.hasOwn(dict, key)) this.fail('duplicate key');
    dict[key] = value;
  }

  /** @qemu parse_array */
  private array(): JsonValue[] {
    this.pos++;
    const list: JsonValue[] = [];
    const first = this.peek();
    if (first < 0) this.fail('premature EOI');
    if (first === T_RSQUARE) {
      this.pos++;
      return list;
    }
    list.push(this.value());
    for (let type = this.pop(); type !== T_RSQUARE; type = this.pop()) {
      if (type !== T_COMMA) this.fail('expected separator in list');
      list.push(this.value());
    }
    return list;
  }

  /** @qemu parse_string */
  private string(start: number, end: number): string {
    const b = this.bytes;
    const quote = b[start]!;
    const last = end - 1;
    // Most strings are printable ASCII without escapes: take them as they are.
    let plain = true;
    for (let i = start + 1; i < last && plain; i++) plain = b[i]! >= 0x20 && b[i]! < 0x7f && b[i] !== 0x5c;
    if (plain) return latin1(b.subarray(start + 1, last));
    const sb = new StringBuilder();
    let i = start + 1;
    while (b[i] !== quote) {
      if (b[i] !== 0x5c) {
        const cp = modUtf8Codepoint(b, i, end);
        if (cp < 0) this.fail('invalid UTF-8 sequence in string');
        sb.pushCodePoint(cp);
        i = utf8End;
        continue;
      }
      const begin = i;
      const escaped = b[i + 1];
      i += 2;
      switch (escaped) {
        case 0x22: // "
        case 0x27: // '
        case 0x5c: // \
        case 0x2f: // /
          sb.pushCodePoint(escaped);
          break;
        case 0x62: // b
          sb.pushCodePoint(0x08);
          break;
        case 0x66: // f
          sb.pushCodePoint(0x0c);
          break;
        case 0x6e: // n
          sb.pushCodePoint(0x0a);
          break;
        case 0x72: // r
          sb.pushCodePoint(0x0d);
          break;
        case 0x74: // t
          sb.pushCodePoint(0x09);
          break;
        case 0x75: {
          // u
          let cp = hex4(b, i, end);
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < end && b[i] === 0x5c && b[i + 1] === 0x75) {
            const trailing = hex4(b, i + 2, end);
            if (trailing >= 0xdc00 && trailing <= 0xdfff) {
              cp = 0x10000 + ((cp & 0x3ff) << 10) + (trailing & 0x3ff);
              i += 6;
            } else {
              cp = -1;
            }
          }
          if (!isValidCodepoint(cp)) {
            this.fail(`${latin1(b.subarray(begin, Math.min(i, end)))} is not a valid Unicode character`);
          }
          sb.pushCodePoint(cp);
          break;
        }
        default:
          this.fail('invalid escape sequence in string');
      }
    }
    return sb.toString();
  }
}

/**
 * int64 if it fits, else uint64 if it fits, else a double, as QEMU's parser
 * tries them in that order.
 *
 * @qemu parse_literal (JSON_INTEGER)
 */
function integer(b: Uint8Array, start: number, end: number): JsonValue {
  const negative = b[start] === 0x2d;
  if (end - start <= 15) {
    // Up to 15 characters is always a safe integer: skip the BigInt round trip.
    let n = 0;
    for (let i = negative ? start + 1 : start; i < end; i++) n = n * 10 + (b[i]! - 0x30);
    return negative && n !== 0 ? -n : n;
  }
  const text = latin1(b.subarray(start, end));
  const n = BigInt(text);
  if (n >= -MAX_SAFE && n <= MAX_SAFE) return Number(n);
  if (n >= INT64_MIN && n <= INT64_MAX) return n;
  if (!negative && n <= UINT64_MAX) return n;
  return new QFloat(Number(text));
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`JsonStreamReader: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Lexer and streamer in one: bytes in, values and errors out.
 *
 * @qemu JSONLexer + JSONMessageParser
 */
class JsonMachine {
  private readonly maxBytes: number;
  private readonly maxTokens: number;
  private readonly maxDepth: number;

  // Lexer.
  private state = S_START;
  private tok = new Uint8Array(64);
  private tokLen = 0;

  // Streamer.
  private readonly tokens = new TokenList();
  private braces = 0;
  private brackets = 0;

  private out: JsonStreamItem[] = [];

  constructor(limits: JsonReaderLimits) {
    this.maxBytes = checkLimit('maxBytes', limits.maxBytes, DEFAULT_MAX_BYTES);
    this.maxTokens = checkLimit('maxTokens', limits.maxTokens, DEFAULT_MAX_TOKENS);
    this.maxDepth = checkLimit('maxDepth', limits.maxDepth, DEFAULT_MAX_DEPTH);
  }

  feed(bytes: Uint8Array): JsonStreamItem[] {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      while (!this.step(c)) {
        // The byte ended a token without joining it: look at it again from the start state.
      }
      if (this.tokLen > this.maxBytes) {
        // QEMU hands an oversized partial token to the streamer, which refuses it by size.
        this.tokLen = 0;
        this.state = S_START;
        this.fail('JSON token size limit exceeded');
      }
    }
    return this.take();
  }

  /** @qemu json_lexer_flush + JSON_END_OF_INPUT */
  end(): JsonStreamItem[] {
    while (this.state !== S_START) {
      switch (this.state) {
        case S_RECOVERY:
          this.state = S_START;
          break;
        case S_ZERO:
        case S_DIGITS:
          this.emit(T_INTEGER);
          break;
        case S_MANTISSA_DIGITS:
        case S_EXP_DIGITS:
          this.emit(T_FLOAT);
          break;
        case S_KEYWORD:
          this.emit(T_KEYWORD);
          break;
        default:
          // An unterminated string or number: an error with what there is.
          this.stray();
      }
    }
    if (this.tokens.count > 0) this.parse();
    return this.take();
  }

  private take(): JsonStreamItem[] {
    // Give back the memory of a huge token once it is gone.
    if (this.tok.length > 1 << 20 && this.tokLen <= 64) this.tok = this.tok.slice(0, 64);
    const out = this.out;
    this.out = [];
    return out;
  }

  private append(c: number): void {
    if (this.tokLen === this.tok.length) {
      const bigger = new Uint8Array(this.tok.length * 2);
      bigger.set(this.tok);
      this.tok = bigger;
    }
    this.tok[this.tokLen++] = c;
  }

  /** Appends the offending byte and reports the token so far. Always consumes. */
  private error(c: number): true {
    this.append(c);
    this.stray();
    return true;
  }

  /** @qemu json_lexer_feed_char, one transition; false when `c` was only looked at */
  private step(c: number): boolean {
    switch (this.state) {
      case S_START: {
        if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) return true;
        const structural = STRUCTURAL[c]!;
        if (structural !== 0) {
          this.append(c);
          this.emit(structural);
          return true;
        }
        if (c === 0x22) return this.advance(c, S_DQ);
        if (c === 0x27) return this.advance(c, S_SQ);
        if (c === 0x30) return this.advance(c, S_ZERO);
        if (c >= 0x31 && c <= 0x39) return this.advance(c, S_DIGITS);
        if (c === 0x2d) return this.advance(c, S_SIGN);
        if (c >= 0x61 && c <= 0x7a) return this.advance(c, S_KEYWORD);
        return this.error(c);
      }

      case S_RECOVERY:
        if ((c < 0x20 && c !== 0x09) || c >= 0xfe || STRUCTURAL[c] !== 0) {
          this.state = S_START;
          return false;
        }
        return true;

      case S_DQ:
      case S_SQ:
        if (c < 0x20 || c > 0xfd) return this.error(c);
        this.append(c);
        if (c === 0x5c) this.state = this.state === S_DQ ? S_DQ_ESC : S_SQ_ESC;
        else if (c === (this.state === S_DQ ? 0x22 : 0x27)) this.emit(T_STRING);
        return true;

      case S_DQ_ESC:
      case S_SQ_ESC:
        if (c < 0x20 || c > 0xfd) return this.error(c);
        this.append(c);
        this.state = this.state === S_DQ_ESC ? S_DQ : S_SQ;
        return true;

      case S_ZERO:
        if (isDigit(c)) return this.error(c);
        if (c === 0x2e) return this.advance(c, S_MANTISSA);
        this.emit(T_INTEGER);
        return false;

      case S_SIGN:
        if (c === 0x30) return this.advance(c, S_ZERO);
        if (isDigit(c)) return this.advance(c, S_DIGITS);
        return this.error(c);

      case S_DIGITS:
        if (isDigit(c)) return this.advance(c, S_DIGITS);
        if (c === 0x65 || c === 0x45) return this.advance(c, S_EXP_E);
        if (c === 0x2e) return this.advance(c, S_MANTISSA);
        this.emit(T_INTEGER);
        return false;

      case S_MANTISSA:
        if (isDigit(c)) return this.advance(c, S_MANTISSA_DIGITS);
        return this.error(c);

      case S_MANTISSA_DIGITS:
        if (isDigit(c)) return this.advance(c, S_MANTISSA_DIGITS);
        if (c === 0x65 || c === 0x45) return this.advance(c, S_EXP_E);
        this.emit(T_FLOAT);
        return false;

      case S_EXP_E:
        if (c === 0x2b || c === 0x2d) return this.advance(c, S_EXP_SIGN);
        if (isDigit(c)) return this.advance(c, S_EXP_DIGITS);
        return this.error(c);

      case S_EXP_SIGN:
        if (isDigit(c)) return this.advance(c, S_EXP_DIGITS);
        return this.error(c);

      case S_EXP_DIGITS:
        if (isDigit(c)) return this.advance(c, S_EXP_DIGITS);
        this.emit(T_FLOAT);
        return false;

      default: // S_KEYWORD
        if (c >= 0x61 && c <= 0x7a) return this.advance(c, S_KEYWORD);
        this.emit(T_KEYWORD);
        return false;
    }
  }

  private advance(c: number, next: number): true {
    this.append(c);
    this.state = next;
    return true;
  }

  /** Ends the current token and passes it on. */
  private emit(type: number): void {
    const length = this.tokLen;
    this.tokLen = 0;
    this.state = S_START;
    this.token(type, length);
  }

  /** A lexical error: report the token so far, drop the pending value, skip to a resync point. */
  private stray(): void {
    // QEMU prints the token with %s, so a NUL in it ends the quote early.
    const nul = this.tok.subarray(0, this.tokLen).indexOf(0);
    const text = latin1(this.tok.subarray(0, nul < 0 ? this.tokLen : nul));
    this.tokLen = 0;
    this.state = S_RECOVERY;
    this.fail(`JSON parse error, stray '${text}'`);
  }

  /** @qemu json_message_process_token; the token's bytes are the first `length` of the lexer buffer */
  private token(type: number, length: number): void {
    if (type === T_LCURLY) this.braces++;
    else if (type === T_RCURLY) this.braces--;
    else if (type === T_LSQUARE) this.brackets++;
    else if (type === T_RSQUARE) this.brackets--;

    if (this.tokens.size + length + 1 > this.maxBytes) return this.fail('JSON token size limit exceeded');
    if (this.tokens.count + 1 > this.maxTokens) return this.fail('JSON token count limit exceeded');
    if (this.braces + this.brackets > this.maxDepth) return this.fail('JSON nesting depth limit exceeded');

    this.tokens.add(type, this.tok, length);
    if ((this.braces > 0 || this.brackets > 0) && this.braces >= 0 && this.brackets >= 0) return;
    this.parse();
  }

  private resetMessage(): void {
    this.tokens.clear();
    this.braces = 0;
    this.brackets = 0;
  }

  private parse(): void {
    let item: JsonStreamItem;
    try {
      item = { kind: 'value', value: new TokenParser(this.tokens).parse() };
    } catch (e) {
      if (!(e instanceof ParseFailure)) throw e;
      item = { kind: 'error', error: new InvalidParameterError(messageText(`JSON parse error, ${e.raw}`)) };
    } finally {
      this.resetMessage();
    }
    this.out.push(item);
  }

  private fail(raw: string): void {
    this.resetMessage();
    this.out.push({ kind: 'error', error: new InvalidParameterError(messageText(raw)) });
  }
}

/**
 * Parses exactly one JSON value, as `-object {...}` and other one-shot uses
 * need it. Like QEMU, the text ends at its first NUL character (it is a C
 * string there), and the first error wins.
 *
 * @throws InvalidParameterError with one of the texts listed in the module comment.
 * @qemu qobject_from_json
 */
export function parseJson(text: string): JsonValue {
  const nul = text.indexOf('\0');
  const bytes = encodeText(nul < 0 ? text : text.slice(0, nul));
  const machine = new JsonMachine({});
  let result: { value: JsonValue } | undefined;
  let error: string | undefined;
  const consume = (items: readonly JsonStreamItem[]): void => {
    for (const item of items) {
      if (result !== undefined) {
        result = undefined;
        error = 'Expecting at most one JSON value';
      }
      if (error !== undefined) return;
      if (item.kind === 'value') result = { value: item.value };
      else error = item.error.message;
    }
  };
  // Once an error is certain nothing later can change it, so stop reading there.
  for (let i = 0; i < bytes.length && error === undefined; i += 4096) consume(machine.feed(bytes.subarray(i, i + 4096)));
  if (error === undefined) consume(machine.end());
  if (error !== undefined) throw new InvalidParameterError(error);
  if (result === undefined) throw new InvalidParameterError('Expecting a JSON value');
  return result.value;
}

/**
 * Incremental reader for a QMP connection. Feed it whatever the socket
 * delivers; each call returns the top-level values completed by that chunk,
 * in order, with errors in their place. An unfinished value waits for the
 * next chunk. After an error the reader skips input exactly as QEMU's does,
 * so a client gets the replies QEMU would give and the connection stays
 * usable.
 *
 * Chunks may be text (a high surrogate at the end of one chunk waits for its
 * partner) or raw bytes (any split, including inside a UTF-8 sequence, and
 * the 0xFF byte that QMP clients send to force a resync).
 *
 * @qemu JSONMessageParser (json_message_parser_feed)
 */
export class JsonStreamReader {
  readonly #machine: JsonMachine;
  #highSurrogate = '';

  /** @throws RangeError when a limit is not a positive integer. */
  constructor(limits: JsonReaderLimits = {}) {
    this.#machine = new JsonMachine(limits);
  }

  /** Reads a chunk; returns the values and errors it completed. */
  push(chunk: string | Uint8Array): JsonStreamItem[] {
    if (typeof chunk !== 'string') return this.#machine.feed(chunk);
    let text = this.#highSurrogate + chunk;
    this.#highSurrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#highSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    return this.#machine.feed(encodeText(text));
  }

  /**
   * Declares the end of input: finishes a trailing number or keyword and
   * reports a value still open (`premature EOI`) or a string still open
   * (`stray`). The reader is then ready for a new stream.
   *
   * @qemu json_message_parser_flush
   */
  end(): JsonStreamItem[] {
    const items = this.#highSurrogate === '' ? [] : this.#machine.feed(encodeText(this.#highSurrogate));
    this.#highSurrogate = '';
    return items.concat(this.#machine.end());
  }
}
