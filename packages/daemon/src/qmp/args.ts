/**
 * Argument schemas for QMP commands, checked the way QEMU's generated
 * unmarshalling code checks them, so that a client sees QEMU's texts.
 *
 * QEMU visits a command's argument object member by member in schema
 * order: a required member that is absent gives `Parameter 'x' is missing`,
 * a member of the wrong JSON type gives `Invalid parameter type for 'x',
 * expected: <type>`. Only after every declared member has been visited are
 * the leftovers reported, one of them: `Parameter 'x' is unexpected`. So a
 * missing or mistyped member always wins over an unexpected one. Of several
 * leftovers QEMU names the first in its hash table's order, which
 * `unexpectedMember` (@loop/qom) replays.
 *
 * List elements are named `x[0]`, `x[1]`... in type errors; an enum value
 * that is not in the enum is reported without a name for list elements
 * (`Parameter 'null' does not accept value 'v'`), as QEMU 7.2 does.
 *
 * @qemu qapi/qobject-input-visitor.c, qapi/qapi-visit-core.c (input_type_enum)
 */
import { QFloat, unexpectedMember, type JsonObject, type JsonValue } from '@loop/qom';
import { ArgumentError } from '../errors.js';

/**
 * The type of one argument, as QAPI names them:
 *
 * - `'str'`, `'bool'`, `'int'` (int64), `'number'` (any JSON number),
 *   `'any'` (any value, not checked), `'object'` (any JSON object, not checked
 *   further);
 * - `{ enum: [...] }`: a string from the list;
 * - `{ list: T }`: a JSON array of T.
 *
 * @qemu QAPI schema types (docs/devel/qapi-code-gen.rst)
 * @since 0.0.0
 */
export type ArgType =
  | 'str'
  | 'bool'
  | 'int'
  | 'number'
  | 'any'
  | 'object'
  | { readonly enum: readonly string[] }
  | { readonly list: ArgType };

/**
 * One member of a command's argument object.
 *
 * @since 0.0.0
 */
export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** An optional member may be absent; when present it is still type-checked. */
  readonly optional?: boolean;
}

/**
 * A command's arguments: the members in schema order (the order QEMU
 * visits them in, which decides which error comes first).
 *
 * @since 0.0.0
 */
export type ArgSchema = readonly ArgSpec[];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * True for a JSON object of the reader's model (not an array, not a QFloat).
 *
 * @qemu qobject_to(QDict, ...)
 * @since 0.0.0
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof QFloat);
}

function typeError(name: string, expected: string): ArgumentError {
  return new ArgumentError(`Invalid parameter type for '${name}', expected: ${expected}`);
}

/**
 * Checks one value against its type; `name` is the full name used in type
 * errors, `enumName` the one used in enum errors (QEMU's `name`, null for
 * list elements).
 */
function checkValue(value: JsonValue, type: ArgType, name: string, enumName: string | null): void {
  if (typeof type === 'object') {
    if ('enum' in type) {
      if (typeof value !== 'string') throw typeError(name, 'string');
      if (!type.enum.includes(value)) {
        throw new ArgumentError(`Parameter '${enumName ?? 'null'}' does not accept value '${value}'`);
      }
      return;
    }
    if (!Array.isArray(value)) throw typeError(name, 'array');
    value.forEach((item, i) => checkValue(item, type.list, `${name}[${i}]`, null));
    return;
  }
  switch (type) {
    case 'str':
      if (typeof value !== 'string') throw typeError(name, 'string');
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw typeError(name, 'boolean');
      return;
    case 'int': {
      const ok =
        (typeof value === 'number' && Number.isSafeInteger(value)) ||
        (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX);
      if (!ok) throw typeError(name, 'integer');
      return;
    }
    case 'number':
      if (typeof value !== 'number' && typeof value !== 'bigint' && !(value instanceof QFloat)) {
        throw typeError(name, 'number');
      }
      return;
    case 'object':
      if (!isJsonObject(value)) throw typeError(name, 'object');
      return;
    case 'any':
      return;
  }
}

/**
 * Checks a command's argument object against its schema and returns it.
 * Absent arguments count as `{}`, as in QEMU.
 *
 * @qemu the generated qmp_marshal_<command> argument visit
 * @throws {ArgumentError} `LOOP_ERR_INVALID_PARAM` with QEMU's text.
 * @since 0.0.0
 */
export function checkArguments(schema: ArgSchema, args: JsonObject): JsonObject {
  for (const spec of schema) {
    if (!Object.hasOwn(args, spec.name)) {
      if (spec.optional) continue;
      throw new ArgumentError(`Parameter '${spec.name}' is missing`);
    }
    checkValue(args[spec.name]!, spec.type, spec.name, spec.name);
  }
  // Of several unexpected members QEMU names the first left in its
  // visitor's hash table, not the first in input order.
  const unexpected = unexpectedMember(Object.keys(args), schema.map((s) => s.name));
  if (unexpected !== undefined) throw new ArgumentError(`Parameter '${unexpected}' is unexpected`);
  return args;
}
