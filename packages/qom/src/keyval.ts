/**
 * QEMU's keyval syntax: the `--object` argument of qemu-storage-daemon (and
 * `-blockdev`, `-audiodev`, ...), as opposed to the QemuOpts syntax that
 * qemu-system uses for `-object` (see qemu-opts.ts).
 *
 * Grammar, in our words:
 *
 *   input    := '' | item (',' item)* [',']     one trailing comma is allowed
 *   item     := key '=' value
 *             | 'help' | '?'                    sets the help flag, anywhere
 *             | value                           first item only, when an implied key is given
 *   key      := fragment ('.' fragment)*
 *   fragment := name                            always allowed
 *             | digits                          not as the first fragment (a list index)
 *   name     := letter (letter | digit | '-' | '_')*, optionally preceded by
 *               a downstream prefix '__' (letter | digit | '-' | '.')* '_'
 *   value    := any characters up to the next single ','; ',,' stands for ','
 *
 * An implied value (no '=' in the first item) ends at the first ',' and
 * cannot contain an escaped comma. A fragment has 1 to 127 characters. Keys
 * are ASCII; values are taken as they are.
 *
 * Structure: dotted keys build nested dictionaries; a dictionary whose keys are
 * all digit runs becomes a list ordered by index (leading zeros allowed, `01`
 * and `1` are the same element, the later assignment wins), and the indices
 * must cover 0..n-1 exactly. The root is always a dictionary. Every leaf is a
 * string; the keyval visitor converts it later (keyvalInt64 & co. below).
 * Repeating a key overwrites (last wins).
 *
 * Known limits of the port:
 * - QEMU builds dictionaries in a hash table and checks list structure in hash
 *   order; we go in first-insertion order. Only *which* error is reported for
 *   input with several list errors can differ.
 * - A C string stops at NUL; here a NUL character is an ordinary character
 *   (never valid in a key).
 */

import { InvalidParameterError } from './errors.js';
import { parseCInt64, parseCUint64Wrapping, parseQemuSize } from './string-input.js';

/** A parsed keyval value: every leaf is a string. */
export type KeyvalValue = string | KeyvalDict | KeyvalList;
/** A nested dictionary (null prototype, so keys like `constructor` are safe). */
export interface KeyvalDict {
  [key: string]: KeyvalValue;
}
/** A list, built from a dictionary whose keys are all indices. */
export type KeyvalList = KeyvalValue[];

export interface KeyvalParseOptions {
  /** Key for a first item without '=' (`qom-type` for `--object`); may be dotted. */
  readonly impliedKey?: string;
  /** When false or absent, a `help` item is an error instead of setting `help`. */
  readonly acceptHelp?: boolean;
}

export interface KeyvalParseResult {
  readonly dict: KeyvalDict;
  /** A bare `help` or `?` item was present (only with `acceptHelp`). */
  readonly help: boolean;
}

const MAX_FRAGMENT = 127;
const INT_MAX = 2147483647;

interface StrNode {
  readonly kind: 'str';
  readonly value: string;
}
interface DictNode {
  readonly kind: 'dict';
  readonly slots: Map<string, Slot>;
}
interface Slot {
  node: StrNode | DictNode;
  /** When the key was last assigned or walked through; decides index collisions. */
  seq: number;
}

interface ParseState {
  seq: number;
  help: boolean;
}

function fail(message: string): InvalidParameterError {
  return new InvalidParameterError(message, { phase: 'parse' });
}

function isAsciiAlpha(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

function isAsciiDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Length of the QAPI name at `s[i..]`, or 0 when there is none. */
function qapiNameLength(s: string, i: number): number {
  let p = i;
  if (s[p] === '_') {
    p++;
    if (s[p] !== '_') return 0;
    p++;
    while (isAsciiAlpha(s[p]) || isAsciiDigit(s[p]) || s[p] === '-' || s[p] === '.') p++;
    if (s[p] !== '_') return 0;
    p++;
  }
  if (!isAsciiAlpha(s[p])) return 0;
  p++;
  while (isAsciiAlpha(s[p]) || isAsciiDigit(s[p]) || s[p] === '-' || s[p] === '_') p++;
  return p - i;
}

function digitRunLength(s: string, i: number): number {
  let p = i;
  while (isAsciiDigit(s[p])) p++;
  return p - i;
}

/** A list index as QEMU reads it: decimal, saturating at INT_MAX. */
function indexOf(key: string): number {
  const digits = key.slice(0, digitRunLength(key, 0));
  if (digits.length > 10) return INT_MAX;
  return Math.min(Number(digits), INT_MAX);
}

/** Where a help item starts: 1 for `?`, 4 for `help`, else 0. */
function helpPrefixLength(s: string, i: number): number {
  if (s[i] === '?') return 1;
  return s.startsWith('help', i) ? 4 : 0;
}

function walkDict(cur: DictNode, frag: string, prefix: string, st: ParseState): DictNode {
  const slot = cur.slots.get(frag);
  if (slot !== undefined) {
    if (slot.node.kind !== 'dict') throw fail(`Parameters '${prefix}.*' used inconsistently`);
    slot.seq = ++st.seq;
    return slot.node;
  }
  const node: DictNode = { kind: 'dict', slots: new Map() };
  cur.slots.set(frag, { node, seq: ++st.seq });
  return node;
}

function putString(cur: DictNode, frag: string, value: string, key: string, st: ParseState): void {
  const slot = cur.slots.get(frag);
  if (slot !== undefined) {
    if (slot.node.kind !== 'str') throw fail(`Parameters '${key}.*' used inconsistently`);
    slot.node = { kind: 'str', value };
    slot.seq = ++st.seq;
    return;
  }
  cur.slots.set(frag, { node: { kind: 'str', value }, seq: ++st.seq });
}

/** Parses one item starting at `start`; returns where the next one starts. */
function parseItem(root: DictNode, s: string, start: number, implied: string | undefined, st: ParseState): number {
  let len = 0;
  while (start + len < s.length && s[start + len] !== '=' && s[start + len] !== ',') len++;
  let key = s.slice(start, start + len);
  let impliedValueEnd = -1;
  if (len > 0 && s[start + len] !== '=') {
    if (helpPrefixLength(s, start) === len) {
      st.help = true;
      const next = start + len;
      return s[next] === ',' ? next + 1 : next;
    }
    if (implied !== undefined) {
      key = implied;
      impliedValueEnd = start + len;
    }
  }

  // Walk the fragments; `last` is the final one, the slot that gets the value.
  let cur = root;
  let i = 0;
  let last = '';
  for (;;) {
    const fragLen = i !== 0 && isAsciiDigit(key[i]) ? digitRunLength(key, i) : qapiNameLength(key, i);
    if (fragLen === 0 || (i + fragLen < key.length && key[i + fragLen] !== '.')) {
      throw fail(`Invalid parameter '${key}'`);
    }
    if (fragLen > MAX_FRAGMENT) {
      const partial = i !== 0 || fragLen !== key.length;
      throw fail(`Parameter${partial ? ' fragment' : ''} '${key.slice(i, i + fragLen)}' is too long`);
    }
    if (i !== 0) cur = walkDict(cur, last, key.slice(0, i - 1), st);
    last = key.slice(i, i + fragLen);
    i += fragLen;
    if (key[i] !== '.') break;
    i++;
  }

  let value: string;
  let next: number;
  if (impliedValueEnd >= 0) {
    value = s.slice(start, impliedValueEnd);
    next = s[impliedValueEnd] === ',' ? impliedValueEnd + 1 : impliedValueEnd;
  } else {
    let p = start + len;
    if (s[p] !== '=') throw fail(`Expected '=' after parameter '${key}'`);
    p++;
    let out = '';
    for (;;) {
      if (p >= s.length) break;
      if (s[p] === ',') {
        p++;
        if (s[p] !== ',') break;
      }
      out += s[p];
      p++;
    }
    value = out;
    next = p;
  }
  putString(cur, last, value, key, st);
  return next;
}

function newDict(): KeyvalDict {
  return Object.create(null) as KeyvalDict;
}

/** Turns the parse tree into plain values, making lists of all-index dictionaries. */
function listify(node: DictNode, path: readonly string[]): KeyvalDict | KeyvalList {
  let hasIndex = false;
  let hasMember = false;
  const converted = new Map<string, KeyvalValue>();
  for (const [key, slot] of node.slots) {
    if (isAsciiDigit(key[0])) hasIndex = true;
    else hasMember = true;
    converted.set(key, slot.node.kind === 'dict' ? listify(slot.node, [...path, key]) : slot.node.value);
  }
  const prefix = path.map((k) => `${k}.`).join('');
  if (hasIndex && hasMember) throw fail(`Parameters '${prefix}*' used inconsistently`);
  if (!hasIndex) {
    const dict = newDict();
    for (const [key, value] of converted) dict[key] = value;
    return dict;
  }
  // QEMU sizes the element table by the number of keys; an index beyond it
  // (or a gap below the largest index) shows up as the first missing element.
  const size = node.slots.size;
  const elements: (KeyvalValue | undefined)[] = new Array<KeyvalValue | undefined>(size + 1).fill(undefined);
  let maxIndex = -1;
  const bySeq = [...node.slots.entries()].sort((a, b) => a[1].seq - b[1].seq);
  for (const [key] of bySeq) {
    const index = indexOf(key);
    if (index > maxIndex) maxIndex = index;
    if (index >= size) continue;
    elements[index] = converted.get(key);
  }
  const list: KeyvalList = [];
  const count = Math.min(size + 1, maxIndex + 1);
  for (let i = 0; i < count; i++) {
    const element = elements[i];
    if (element === undefined) throw fail(`Parameter '${prefix}${i}' missing`);
    list.push(element);
  }
  return list;
}

/**
 * Parses a keyval string into nested dictionaries and lists of strings.
 * Throws InvalidParameterError (phase 'parse') with QEMU's texts.
 *
 * @qemu keyval_parse (util/keyval.c)
 */
export function keyvalParse(input: string, options: KeyvalParseOptions = {}): KeyvalParseResult {
  const root: DictNode = { kind: 'dict', slots: new Map() };
  const st: ParseState = { seq: 0, help: false };
  let implied = options.impliedKey;
  let p = 0;
  while (p < input.length) {
    p = parseItem(root, input, p, implied, st);
    implied = undefined;
  }
  if (st.help && options.acceptHelp !== true) throw fail('Help is not available for this option');
  // The root's keys always start with a letter, so it stays a dictionary.
  const dict = listify(root, []) as KeyvalDict;
  return { dict, help: st.help };
}

function kindOf(v: KeyvalValue): 'string' | 'list' | 'dict' {
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? 'list' : 'dict';
}

function cloneValue(v: KeyvalValue): KeyvalValue {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  const out = newDict();
  for (const key of Object.keys(v)) out[key] = cloneValue(v[key]!);
  return out;
}

function mergeInto(dest: KeyvalDict, src: KeyvalDict, prefix: string): void {
  for (const key of Object.keys(src)) {
    const incoming = src[key]!;
    const old = Object.prototype.hasOwnProperty.call(dest, key) ? dest[key] : undefined;
    if (old !== undefined) {
      const kind = kindOf(incoming);
      if (kindOf(old) !== kind) throw fail(`Parameter '${prefix}${key}' used inconsistently`);
      if (kind === 'dict') {
        mergeInto(old as KeyvalDict, incoming as KeyvalDict, `${prefix}${key}.`);
        continue;
      }
      if (kind === 'list') {
        (old as KeyvalList).push(...(incoming as KeyvalList).map(cloneValue));
        continue;
      }
    }
    dest[key] = cloneValue(incoming);
  }
}

/**
 * Merges `b` over `a` into a new dictionary (neither input is changed):
 * dictionaries merge recursively, strings from `b` replace, lists are
 * appended, and a string/list/dictionary mismatch is an error.
 *
 * @qemu keyval_merge (util/keyval.c)
 */
export function keyvalMerge(a: KeyvalDict, b: KeyvalDict): KeyvalDict {
  const out = cloneValue(a) as KeyvalDict;
  mergeInto(out, b, '');
  return out;
}

function keyvalError(name: string, what: string): InvalidParameterError {
  return fail(`Parameter '${name}' expects ${what}`);
}

function toNumeric(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * int64 from a keyval string: C base-0 integer over the whole string.
 *
 * @qemu qobject_input_type_int64_keyval (qapi/qobject-input-visitor.c)
 */
export function keyvalInt64(name: string, s: string): number | bigint {
  const v = parseCInt64(s);
  if (v === undefined) throw keyvalError(name, 'integer');
  return toNumeric(v);
}

/**
 * uint64 from a keyval string; unlike the opts visitor, a negative number
 * wraps (`-1` is 2^64 - 1), as C `strtoull` does.
 *
 * @qemu qobject_input_type_uint64_keyval (qapi/qobject-input-visitor.c)
 */
export function keyvalUint64(name: string, s: string): number | bigint {
  const v = parseCUint64Wrapping(s);
  if (v === undefined) throw keyvalError(name, 'integer');
  return toNumeric(v);
}

/**
 * A byte count with optional binary suffix (`1.5k` is 1536).
 *
 * @qemu qobject_input_type_size_keyval (qapi/qobject-input-visitor.c)
 */
export function keyvalSize(name: string, s: string): number | bigint {
  const v = parseQemuSize(s);
  if (v === undefined) throw keyvalError(name, 'size');
  return toNumeric(v);
}

/**
 * on/yes/true/y and off/no/false/n, case-sensitive.
 *
 * @qemu qobject_input_type_bool_keyval -> qapi_bool_parse
 */
export function keyvalBool(name: string, s: string): boolean {
  if (s === 'on' || s === 'yes' || s === 'true' || s === 'y') return true;
  if (s === 'off' || s === 'no' || s === 'false' || s === 'n') return false;
  throw keyvalError(name, "'on' or 'off'");
}
