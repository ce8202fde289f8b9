/**
 * Values of QEMU's JSON dialect as @loop hands them around.
 *
 * QEMU keeps a JSON number in a QNum that remembers how it was written:
 * an integer literal is an int64, or a uint64 when it does not fit, and only
 * a literal with a fraction or an exponent (or an integer beyond uint64) is a
 * double. QAPI checks on that distinction: `2` is an integer, `2.0` is not.
 * A JavaScript `number` cannot keep it, so the model is:
 *
 * - an integer literal within ±(2^53 - 1) is a `number`;
 * - an integer literal in int64 or uint64 range beyond that is a `bigint`,
 *   exact to the last digit (a `bigint` above INT64_MAX is thus a uint64);
 * - every other number literal is a {@link QFloat}, even `2.0` or `1e3`;
 * - strings, booleans and `null` are themselves;
 * - arrays are arrays;
 * - objects are plain objects with a `null` prototype, so that a key such as
 *   `__proto__` or `constructor` is an ordinary own property. Keys keep the
 *   order of the input, except that JavaScript itself lists integer-like keys
 *   (`"0"`, `"17"`) first in ascending order. QEMU rejects duplicate keys, so
 *   an object never holds a key twice.
 *
 * @qemu QObject, QNum, QString, QBool, QNull, QList, QDict (qobject/)
 */

/**
 * A JSON number that QEMU holds as a double: it had a fraction or an exponent
 * in the input, or was an integer too large for uint64.
 *
 * A wrapper rather than a bare `number`, because a QMP command that takes an
 * integer must refuse `2.0` while accepting `2`.
 *
 * @qemu QNum with kind QNUM_DOUBLE (qnum_from_double)
 */
export class QFloat {
  constructor(readonly value: number) {}
}

/**
 * A JSON object of the model: own enumerable string keys only, on a
 * prototype-less object when the reader built it.
 *
 * @qemu QDict
 */
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Any value of QEMU's JSON dialect, as {@link QFloat} and the module comment
 * describe it.
 *
 * @qemu QObject
 */
export type JsonValue = null | boolean | number | bigint | string | QFloat | JsonValue[] | JsonObject;
