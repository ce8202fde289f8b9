/**
 * The order in which QEMU applies the properties of a new user-creatable
 * object: the iteration order of its QDict, a hash table of 512 buckets.
 * Which of two bad values is reported, and whether `thread-pool-max` is
 * applied before `thread-pool-min`, follow from it, so loopd reproduces it.
 *
 * A key's bucket is its TDB-style string hash modulo 512: start from
 * 0x238F13AF times the key's length, add each byte shifted left by
 * (5 × its index) mod 24, then take 1103515243 × value + 12345, all in
 * 32-bit unsigned arithmetic. Buckets are visited in ascending order; within
 * a bucket the key inserted last comes first, and QEMU inserts the members
 * in schema order (here: the type's property declaration order).
 *
 * Examples (checked against qemu-system 7.2): `poll-grow` (bucket 144) is
 * applied before `poll-max-ns` (354); `thread-pool-max` and `thread-pool-min`
 * share bucket 328 and max, declared after min, is applied first, which is
 * why `thread-pool-min=100,thread-pool-max=200` creates a main-loop.
 *
 * @qemu qdict_first / qdict_next (qobject/qdict.c)
 */

const BUCKETS = 512;

/** The QDict bucket of a key. */
export function qdictBucket(key: string): number {
  const bytes = new TextEncoder().encode(key);
  let value = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    value = (value + ((bytes[i]! << ((i * 5) % 24)) >>> 0)) >>> 0;
  }
  const hash = (Math.imul(1103515243, value) + 12345) >>> 0;
  return hash % BUCKETS;
}

/** `keys` (in schema order) in the order QEMU's QDict yields them. */
export function qdictOrder<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  return items
    .map((item, index) => ({ item, index, bucket: qdictBucket(keyOf(item)) }))
    .sort((a, b) => a.bucket - b.bucket || b.index - a.index)
    .map((e) => e.item);
}
