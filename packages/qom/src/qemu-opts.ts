/**
 * qemu-system's QemuOpts parser, applied to one `-object` string (the form
 * `loopd -object` accepts). This is *not* keyval (keyval.ts); qemu-system 7.2
 * still reads `-object` with QemuOpts and converts values with the opts
 * visitor (string-input.ts).
 *
 * Behaviour reproduced (checked against transcripts/qemu/90-cmdline-object.json):
 * - Items are separated by ','; in a value ',,' is one literal ','. A key is
 *   whatever precedes the first '=' or ',' of the item; keys are not checked
 *   here (unknown or odd keys are the caller's `Invalid parameter 'foo'`).
 * - The first item, when it has no '=' before its first ',', is the value of
 *   the implied key, and ',,' escaping applies there too:
 *   `iothread,,id=io0` gives qom-type `iothread,id=io0`. The implied key
 *   is never used for a later item.
 * - Any later item without '=' is a short-form boolean: `foo` is `foo=on`,
 *   `nofoo` is `foo=off`. Both add a deprecation warning (see `warnings`),
 *   except a bare `help` or `?`.
 * - `id` is looked up first, in a separate pass over the items that knows no
 *   implied key, and the FIRST `id` wins (`id=a,id=b` gives `a`). It must be
 *   an identifier ({@link idWellFormed}); it is checked before anything else.
 *   `id` items never appear in `entries`.
 * - Every other item is kept in `entries`, in input order, duplicates
 *   included: the consumer of the opts takes the last one (`poll-max-ns=1,
 *   poll-max-ns=2` is 2; an explicit `qom-type=` after the implied one wins).
 * - A trailing ',' is ignored; the empty string yields no entries at all (the
 *   caller then reports `Parameter 'qom-type' is missing`).
 * - `help` / `?` as a key, or as the qom-type value, set `help`, as
 *   `user_creatable_print_help` decides. QEMU first requires a qom-type, so
 *   `id=x,help` is still `Parameter 'qom-type' is missing`: that check is the
 *   caller's. `help=off` counts as help too, as in QEMU.
 *
 * Differences from keyval (qemu-storage-daemon): keyval rejects bare keys
 * (`Expected '=' after parameter 'x'`), lets the last `id` win, validates key
 * syntax (`Invalid parameter '7up'`), ends the implied value at the first ','
 * (so `iothread,,id=io0` fails with `Invalid parameter ''`), builds nested
 * dictionaries from dotted keys and treats `help` as the help flag even as
 * the first item.
 *
 * An empty key (`=5`) is kept as an entry, as QEMU keeps it: the caller
 * reports it as an unknown key (`Invalid parameter ''`) after converting the
 * known ones, so a missing qom-type or id, or a bad value of another key,
 * takes precedence, as in QEMU. When a parse error is thrown, the warnings
 * collected so far are dropped (QEMU would already have printed them).
 */

import { DuplicateError, InvalidParameterError } from './errors.js';

/**
 * The hint QEMU prints under `Parameter 'id' expects an identifier` (command
 * line only), without QEMU's trailing newline.
 *
 * @qemu qemu_opts_create (util/qemu-option.c)
 */
export const ID_HINT = "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.";

export interface QemuOptsEntry {
  readonly key: string;
  readonly value: string;
}

export interface QemuOptsParseOptions {
  /** Key of a first item without '=' (`qom-type` for `-object`). */
  readonly impliedKey: string;
  /** Ids already taken in this option list: a repeat is `Duplicate ID 'x' for object`. */
  readonly existingIds?: ReadonlySet<string>;
  /** Option list name used in the duplicate-id message; `object` by default. */
  readonly listName?: string;
}

export interface QemuOptsParsed {
  /** Every item except `id`, in input order, duplicates kept; last one wins for the consumer. */
  readonly entries: QemuOptsEntry[];
  /** The first `id` item's value (already validated). */
  readonly id: string | undefined;
  /** QEMU would print help instead of creating the object (once a qom-type is present). */
  readonly help: boolean;
  /**
   * Deprecation lines, two per short-form boolean, in QEMU's order:
   * `short-form boolean option 'foo' deprecated`, then `Please use foo=on instead`.
   * QEMU prints the first with warn_report, i.e. as
   * `<prog>: -object <arg>: warning: short-form boolean option 'foo' deprecated`,
   * and the second as a bare line with no prefix at all (error_printf). The
   * recorded transcripts hold no such case (only the oracle README mentions
   * it); the layout comes from QEMU's sources and a published qemu-system log.
   */
  readonly warnings: string[];
}

/**
 * An identifier: an ASCII letter, then ASCII letters, digits, '-', '.', '_'.
 * No length limit.
 *
 * @qemu id_wellformed (util/id.c)
 */
export function idWellFormed(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(id);
}

function isHelpOption(s: string | undefined): boolean {
  return s === 'help' || s === '?';
}

interface Item {
  readonly name: string;
  readonly value: string;
  /** Start of the next item. */
  readonly next: number;
  /** Written as a bare key (short-form boolean); `negated` when it had the `no` prefix. */
  readonly flag: boolean;
  readonly negated: boolean;
}

/** Reads a value up to a single ',' (or the end); returns it and the index of that ','. */
function readValue(s: string, start: number): [string, number] {
  let out = '';
  let p = start;
  while (p < s.length) {
    if (s[p] === ',') {
      if (s[p + 1] !== ',') break;
      p++;
    }
    out += s[p];
    p++;
  }
  return [out, p];
}

function readItem(s: string, start: number, firstName: string | undefined): Item {
  let len = 0;
  while (start + len < s.length && s[start + len] !== '=' && s[start + len] !== ',') len++;
  let name: string;
  let value: string;
  let end: number;
  let flag = false;
  let negated = false;
  if (s[start + len] !== '=') {
    if (firstName !== undefined) {
      name = firstName;
      [value, end] = readValue(s, start);
    } else {
      name = s.slice(start, start + len);
      end = start + len;
      flag = true;
      if (name.startsWith('no')) {
        name = name.slice(2);
        value = 'off';
        negated = true;
      } else {
        value = 'on';
      }
    }
  } else {
    name = s.slice(start, start + len);
    [value, end] = readValue(s, start + len + 1);
  }
  return { name, value, next: s[end] === ',' ? end + 1 : end, flag, negated };
}

function fail(message: string, hint?: string): InvalidParameterError {
  return new InvalidParameterError(message, hint === undefined ? { phase: 'parse' } : { phase: 'parse', hint });
}

/**
 * Parses one `-object` option string the way qemu-system does, up to (not
 * including) the conversion of values and the check for unknown keys.
 *
 * Throws InvalidParameterError (phase 'parse'):
 * `Parameter 'id' expects an identifier` (hint {@link ID_HINT});
 * DuplicateError `Duplicate ID 'x' for object` when
 * `existingIds` has the id.
 *
 * @qemu qemu_opts_parse_noisily (util/qemu-option.c)
 */
export function qemuOptsParse(input: string, options: QemuOptsParseOptions): QemuOptsParsed {
  let id: string | undefined;
  for (let p = 0; p < input.length; ) {
    const item = readItem(input, p, undefined);
    if (item.name === 'id') {
      id = item.value;
      break;
    }
    p = item.next;
  }
  if (id !== undefined) {
    if (!idWellFormed(id)) throw fail("Parameter 'id' expects an identifier", ID_HINT);
    if (options.existingIds?.has(id) === true) {
      throw new DuplicateError(`Duplicate ID '${id}' for ${options.listName ?? 'object'}`, { phase: 'parse' });
    }
  }

  const entries: QemuOptsEntry[] = [];
  const warnings: string[] = [];
  let firstName: string | undefined = options.impliedKey;
  for (let p = 0; p < input.length; ) {
    const item = readItem(input, p, firstName);
    firstName = undefined;
    p = item.next;
    if (item.flag && (item.negated || !isHelpOption(item.name))) {
      const written = (item.negated ? 'no' : '') + item.name;
      warnings.push(`short-form boolean option '${written}' deprecated`);
      // QEMU steers `delay`/`nodelay` to the positive `nodelay` spelling.
      warnings.push(
        item.name === 'delay'
          ? `Please use nodelay=${item.negated ? 'on' : 'off'} instead`
          : `Please use ${item.name}=${item.value} instead`,
      );
    }
    if (item.name === 'id') continue;
    entries.push({ key: item.name, value: item.value });
  }

  let impliedValue: string | undefined;
  for (const e of entries) if (e.key === options.impliedKey) impliedValue = e.value;
  const help = isHelpOption(impliedValue) || entries.some((e) => isHelpOption(e.key));
  return { entries, id, help, warnings };
}
