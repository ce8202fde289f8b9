/**
 * Which leftover key QEMU names when an input has several it does not
 * know: the first one GLib's GHashTable iterator yields.
 *
 * Both of QEMU's input visitors keep the members they have not consumed yet
 * in a GHashTable of strings (`g_str_hash`): the QObject input visitor
 * (QMP arguments, `object-add`, `-object {...}`) fills it from the argument
 * QDict in the QDict's own order, the opts visitor (`-object a=b`) from the
 * option's items in command-line order. Each member the schema visits is
 * removed; `Parameter 'x' is unexpected` / `Invalid parameter 'x'` then
 * names the first key left in iteration order, which is neither input order
 * nor sorted (`{"zzz": 1, "aaa": 2}` and `{"aaa": 2, "zzz": 1}` both name
 * `zzz`). loopd replays the table to name the same key.
 *
 * The model, GLib 2.74's open addressing as qemu-system 7.2 runs on:
 *  - the table has 2^shift slots (at least 8); a key's hash is the djb2
 *    hash of its bytes read as signed chars (`h = h * 33 + c` from 5381),
 *    raised to 2 when below 2 (0 and 1 mark free and deleted slots); its
 *    first slot is `(hash * 11) mod p`, p the largest prime below 2^shift
 *    (from GLib's table), then it probes +1, +2, +3, ... modulo the size;
 *  - an insertion takes the first deleted slot met on the way, else the
 *    free slot that ends the probe;
 *  - a removal leaves a deleted mark;
 *  - after an insertion into a free slot or any removal the table is
 *    rebuilt when less than a quarter of it holds keys (and it has more
 *    than 8 slots) or when used plus deleted slots reach about 16/17 of it
 *    (`size <= n + n / 16`, integer division); the new size is the
 *    smallest 2^shift above (live keys × 1.333), at least 8, and the keys
 *    are moved in place slot by slot (a moved key that lands on an unmoved
 *    one evicts it, and the evicted key is placed next).
 *
 * Checked against qemu-system-x86_64 7.2 on 800 random QMP argument sets
 * (2 to 30 keys, non-ASCII ones included, tables that grow and shrink).
 *
 * @qemu g_hash_table (glib/ghash.c), qobject_input_check_struct, opts_check_struct
 */
import { qdictOrder } from './qdict-order.js';

const MIN_SHIFT = 3;
const UNUSED = 0;
const TOMBSTONE = 1;

/** GLib's `prime_mod`: for a table of 2^shift slots, the largest prime below it. */
const PRIME_MOD = [
  1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573,
  2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
];

const encoder = new TextEncoder();

/** `g_str_hash`: djb2 over the UTF-8 bytes read as signed chars, in 32 bits. */
function strHash(key: string): number {
  let h = 5381;
  for (const byte of encoder.encode(key)) {
    h = (Math.imul(h, 33) + (byte << 24 >> 24)) >>> 0;
  }
  return h;
}

/** A string-keyed GHashTable reduced to what decides its iteration order. */
class GStrHashTable {
  #size = 0;
  #mod = 0;
  #mask = 0;
  #hashes: number[] = [];
  #keys: (string | undefined)[] = [];
  #nodes = 0;
  #occupied = 0;

  constructor() {
    this.#setShift(MIN_SHIFT);
    this.#hashes = new Array<number>(this.#size).fill(UNUSED);
    this.#keys = new Array<string | undefined>(this.#size).fill(undefined);
  }

  #setShift(shift: number): void {
    this.#size = 1 << shift;
    this.#mod = PRIME_MOD[shift]!;
    this.#mask = this.#size - 1;
  }

  #index(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % this.#mod;
  }

  /** The slot holding `key`, else where an insertion would put it. */
  #lookup(key: string): { slot: number; hash: number } {
    let hash = strHash(key);
    if (hash < 2) hash = 2;
    let slot = this.#index(hash);
    let step = 0;
    let tombstone: number | undefined;
    while (this.#hashes[slot] !== UNUSED) {
      if (this.#hashes[slot] === hash && this.#keys[slot] === key) return { slot, hash };
      if (this.#hashes[slot] === TOMBSTONE && tombstone === undefined) tombstone = slot;
      step++;
      slot = (slot + step) & this.#mask;
    }
    return { slot: tombstone ?? slot, hash };
  }

  insert(key: string): void {
    const { slot, hash } = this.#lookup(key);
    const old = this.#hashes[slot]!;
    if (old >= 2) return;
    this.#hashes[slot] = hash;
    this.#keys[slot] = key;
    this.#nodes++;
    if (old === UNUSED) {
      this.#occupied++;
      this.#maybeResize();
    }
  }

  remove(key: string): void {
    const { slot } = this.#lookup(key);
    if (this.#hashes[slot]! < 2) return;
    this.#hashes[slot] = TOMBSTONE;
    this.#keys[slot] = undefined;
    this.#nodes--;
    this.#maybeResize();
  }

  /** The key `g_hash_table_iter_next` yields first. */
  first(): string | undefined {
    for (let i = 0; i < this.#size; i++) if (this.#hashes[i]! >= 2) return this.#keys[i];
    return undefined;
  }

  #maybeResize(): void {
    const size = this.#size;
    const occupied = this.#occupied;
    if ((size > this.#nodes * 4 && size > 1 << MIN_SHIFT) || size <= occupied + Math.floor(occupied / 16)) this.#resize();
  }

  #resize(): void {
    const oldSize = this.#size;
    let shift = 0;
    for (let n = Math.trunc(this.#nodes * 1.333); n > 0; n >>= 1) shift++;
    this.#setShift(Math.max(shift, MIN_SHIFT));
    const size = this.#size;
    for (let i = oldSize; i < size; i++) {
      this.#hashes[i] = UNUSED;
      this.#keys[i] = undefined;
    }
    const moved = new Array<boolean>(Math.max(size, oldSize)).fill(false);
    for (let i = 0; i < oldSize; i++) {
      let hash = this.#hashes[i]!;
      if (hash < 2) {
        this.#hashes[i] = UNUSED;
        continue;
      }
      if (moved[i]) continue;
      this.#hashes[i] = UNUSED;
      let key = this.#keys[i];
      this.#keys[i] = undefined;
      for (;;) {
        let slot = this.#index(hash);
        for (let step = 1; moved[slot]; step++) slot = (slot + step) & this.#mask;
        moved[slot] = true;
        const evicted = this.#hashes[slot]!;
        const evictedKey = this.#keys[slot];
        this.#hashes[slot] = hash;
        this.#keys[slot] = key;
        if (evicted < 2) break;
        hash = evicted;
        key = evictedKey;
      }
    }
    this.#hashes.length = size;
    this.#keys.length = size;
    this.#occupied = this.#nodes;
  }
}

/**
 * The key a GHashTable of strings yields first after `inserted` went in, in
 * that order, and then `removed` went out, in that order (keys not in the
 * table are skipped: removing one changes nothing, as in GLib); undefined
 * when none is left.
 *
 * @qemu g_hash_table_insert, g_hash_table_remove, g_hash_table_iter_next
 * @since 0.1.0
 */
export function ghashFirstKey(inserted: Iterable<string>, removed: Iterable<string> = []): string | undefined {
  const table = new GStrHashTable();
  for (const key of inserted) table.insert(key);
  for (const key of removed) table.remove(key);
  return table.first();
}

/**
 * The member of a JSON argument object that QEMU's QObject input visitor
 * reports as unexpected (`Parameter 'x' is unexpected`), given the members
 * the schema visits in its order; undefined when every member is known.
 * `members` are the object's keys in input order.
 *
 * @qemu qobject_input_start_struct + qobject_input_check_struct
 * @since 0.1.0
 */
export function unexpectedMember(members: readonly string[], visited: readonly string[]): string | undefined {
  const known = new Set(visited);
  const unknown = members.filter((m) => !known.has(m));
  // A single leftover is named whatever the order; only several need the table.
  if (unknown.length <= 1) return unknown[0];
  return ghashFirstKey(qdictOrder(members, (m) => m), visited);
}
