/**
 * Value kinds of QOM properties and their two input paths.
 *
 * QEMU accepts a property value in two dialects with different rules, and so
 * do we: JSON (QMP `object-add`, `qom-set`, the `-object {...}` form) takes
 * values as they are typed, with no string conversion; the `-object a=b`
 * form hands over strings that are converted the way qemu-system's option
 * visitor converts them (C base-0 integers, on/off/yes/no booleans).
 *
 * The JSON check of each kind is a compiled TypeBox schema, and the same
 * kinds give the JSON Schema that {@link typeJsonSchema} hands out.
 *
 * 64-bit integers are exact: a value is a `number` while it is a safe
 * integer and a `bigint` beyond; inputs may be either.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { InvalidParameterError } from './errors.js';
import { QFloat } from './json-value.js';
import { optsBool, optsInt64, optsNumber, optsUint64 } from './string-input.js';

/** A property value as QOM hands it out and takes it in. */
export type PropertyValue = number | bigint | boolean | string | null | PropertyValue[] | { [key: string]: PropertyValue };

/** An integer as the API returns it: `number` while safe, `bigint` beyond. */
export type Int64 = number | bigint;

interface IntRange {
  readonly qapi: string;
  readonly min: bigint;
  readonly max: bigint;
}

const INT_RANGES: Readonly<Record<string, IntRange>> = {
  int: { qapi: 'int64_t', min: -(2n ** 63n), max: 2n ** 63n - 1n },
  int8: { qapi: 'int8_t', min: -128n, max: 127n },
  int16: { qapi: 'int16_t', min: -32768n, max: 32767n },
  int32: { qapi: 'int32_t', min: -(2n ** 31n), max: 2n ** 31n - 1n },
  int64: { qapi: 'int64_t', min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint8: { qapi: 'uint8_t', min: 0n, max: 255n },
  uint16: { qapi: 'uint16_t', min: 0n, max: 65535n },
  uint32: { qapi: 'uint32_t', min: 0n, max: 2n ** 32n - 1n },
  uint64: { qapi: 'uint64_t', min: 0n, max: 2n ** 64n - 1n },
};

/** Brings an integer to the API's form: `number` when safe, `bigint` otherwise. */
export function normalizeInt(value: number | bigint): Int64 {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? value : BigInt(value);
  }
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * How one property type string reads its input. `jsonExpected` is the word
 * QEMU puts after `expected:` when a JSON value has the wrong type.
 */
export interface ValueKind {
  readonly typeName: string;
  readonly jsonExpected: string;
  readonly schema: TSchema;
  /** Checks and converts a JSON-path value; throws QEMU's error. */
  fromJson(name: string, value: unknown): PropertyValue;
  /** Converts an `-object` string value; throws QEMU's error. */
  fromString(name: string, text: string): PropertyValue;
}

function invalidType(name: string, expected: string): InvalidParameterError {
  return new InvalidParameterError(`Invalid parameter type for '${name}', expected: ${expected}`);
}

function compiled(schema: TSchema): TypeCheck<TSchema> {
  return TypeCompiler.Compile(schema);
}

function intKind(typeName: string, range: IntRange): ValueKind {
  // A JS number is an exact integer if Number.isInteger says so; the bounds
  // below are compared as doubles, so the top one is exclusive (2^63 and
  // 2^64 are exactly representable, their predecessors are not).
  const schema = Type.Union(
    [
      Type.Integer({ minimum: Number(range.min), exclusiveMaximum: Number(range.max + 1n) }),
      Type.BigInt({ minimum: range.min, maximum: range.max }),
    ],
    { description: `${range.qapi} integer` },
  );
  const check = compiled(schema);
  return {
    typeName,
    jsonExpected: 'integer',
    schema,
    fromJson(name, value) {
      if (!check.Check(value)) throw invalidType(name, 'integer');
      // The compiled check compares bigints against the bounds as doubles
      // (2^63 - 1 rounds up to 2^63), so bigints get the exact check here.
      // Numbers need none: the double bounds are exact for them.
      if (typeof value === 'bigint' && (value < range.min || value > range.max)) throw invalidType(name, 'integer');
      return normalizeInt(value as number | bigint);
    },
    fromString(name, text) {
      const parsed = range.min < 0n ? optsInt64(name, text) : optsUint64(name, text);
      const big = BigInt(parsed);
      if (big < range.min || big > range.max) {
        throw new InvalidParameterError(`Parameter '${name}' expects ${range.qapi}`, { phase: 'parse' });
      }
      return normalizeInt(parsed);
    },
  };
}

const boolSchema = Type.Boolean();
const boolCheck = compiled(boolSchema);
const boolKind: ValueKind = {
  typeName: 'bool',
  jsonExpected: 'boolean',
  schema: boolSchema,
  fromJson(name, value) {
    if (!boolCheck.Check(value)) throw invalidType(name, 'boolean');
    return value as boolean;
  },
  fromString: (name, text) => optsBool(name, text),
};

const stringSchema = Type.String();
const stringCheck = compiled(stringSchema);
function stringKind(typeName: string): ValueKind {
  return {
    typeName,
    jsonExpected: 'string',
    schema: stringSchema,
    fromJson(name, value) {
      if (!stringCheck.Check(value)) throw invalidType(name, 'string');
      return value as string;
    },
    fromString: (_name, text) => text,
  };
}

const numberSchema = Type.Number();
const numberKind: ValueKind = {
  typeName: 'number',
  jsonExpected: 'number',
  schema: numberSchema,
  fromJson(name, value) {
    if (value instanceof QFloat) return value.value;
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    throw invalidType(name, 'number');
  },
  fromString: (name, text) => optsNumber(name, text),
};

/** The kind of an enum property: a string restricted to `values`. */
export function enumKind(typeName: string, values: readonly string[]): ValueKind {
  const schema = Type.Union(values.map((v) => Type.Literal(v)));
  const allowed = new Set(values);
  const accept = (name: string, v: string): string => {
    if (!allowed.has(v)) throw new InvalidParameterError(`Parameter '${name}' does not accept value '${v}'`);
    return v;
  };
  return {
    typeName,
    jsonExpected: 'string',
    schema,
    fromJson(name, value) {
      if (typeof value !== 'string') throw invalidType(name, 'string');
      return accept(name, value);
    },
    fromString(name, text) {
      try {
        return accept(name, text);
      } catch (err) {
        if (err instanceof InvalidParameterError) err.phase = 'parse';
        throw err;
      }
    },
  };
}

const kinds = new Map<string, ValueKind>();
for (const [name, range] of Object.entries(INT_RANGES)) kinds.set(name, intKind(name, range));
kinds.set('bool', boolKind);
kinds.set('string', stringKind('string'));
kinds.set('str', stringKind('str'));
kinds.set('number', numberKind);

/**
 * The value kind for a property type string (`int`, `uint64`, `bool`,
 * `string`, `link<T>`, ...), or undefined for types whose values are not
 * plain (e.g. `child<T>`, which is read-only).
 */
export function valueKindFor(typeName: string): ValueKind | undefined {
  const known = kinds.get(typeName);
  if (known) return known;
  if (typeName.startsWith('link<')) return stringKind(typeName);
  return undefined;
}

/** The JSON Schema of a kind, as the TypeScript API hands it out (bigints become int64-format integers). */
export function jsonSchemaOfKind(kind: ValueKind): Record<string, unknown> {
  const range = INT_RANGES[kind.typeName];
  if (range) {
    return {
      type: 'integer',
      format: range.qapi.replace('_t', ''),
      // JSON Schema has only doubles: the 64-bit bounds are the nearest ones,
      // and `format` names the exact range.
      minimum: Number(range.min),
      maximum: Number(range.max),
    };
  }
  return JSON.parse(JSON.stringify(kind.schema)) as Record<string, unknown>;
}
