/**
 * User-creatable objects: the `user-creatable` interface and the one path
 * that creates such objects from an `-object` string, a JSON argument object
 * (`object-add`) or code, and deletes them (`object-del`).
 *
 * Creation has two phases, as in qemu-system:
 *  1. *parse*: the input is checked against the type's schema (its writable
 *     class properties) and converted, giving {@link ObjectOptions}. Errors
 *     here carry `phase: 'parse'` (the command line prefixes them with the
 *     option).
 *  2. *create*: the id is checked, the object is instantiated, the given
 *     properties are set in the order QEMU sets them (its QDict's hash
 *     order, see qdict-order.ts), the id is reserved,
 *     `complete()` runs (it may await, as an IOThread waits for its thread)
 *     and only then does the object appear as `/objects/<id>`. Any failure
 *     releases the object: nothing is left in the tree.
 *
 * While an object is being completed its id is taken: a second creation
 * with that id fails as a duplicate, yet the object is not visible in the
 * tree until it is complete.
 */
import {
  DuplicateError,
  InvalidParameterError,
  ObjectInUseError,
  QomError,
  UnknownObjectIdError,
} from './errors.js';
import { ghashFirstKey, unexpectedMember } from './ghash-order.js';
import { parseJson } from './json-reader.js';
import type { QomObject } from './object.js';
import type { Property } from './property.js';
import type { PropertyValue } from './property-types.js';
import { ID_HINT, idWellFormed, qemuOptsParse, type QemuOptsParsed } from './qemu-opts.js';
import { qdictOrder } from './qdict-order.js';
import { objectGetObjectsRoot, resolvePathComponent } from './tree.js';
import { type ObjectClass, objectClassByName, objectClassGetList, objectNew, typeRegister } from './type-registry.js';

/**
 * The hooks of the `user-creatable` interface. A type that lists
 * `user-creatable` in its `interfaces` may implement them.
 *
 * @qemu UserCreatableClass
 * @since 0.1.0
 */
export interface UserCreatable {
  /** Runs after the properties are set; a throw (or rejection) cancels the creation. */
  complete?(): void | Promise<void>;
  /** Whether `object-del` may delete the object now (default true). */
  canBeDeleted?(): boolean;
}

typeRegister({ name: 'user-creatable', parent: 'interface' });

/** A validated request to create a user-creatable object. */
export interface ObjectOptions {
  readonly qomType: string;
  readonly id: string;
  /** Checked and converted values, by property name. */
  readonly props: ReadonlyMap<string, PropertyValue>;
}

/**
 * What parsing an `-object` string gives: options to create, or a help text
 * to print. Either way `warnings` are the deprecation lines the string
 * raised (`help,foo` warns about `foo` before QEMU prints the list).
 */
export type ObjectOptionParse =
  | { readonly kind: 'options'; readonly options: ObjectOptions; readonly warnings: readonly string[] }
  | { readonly kind: 'help'; readonly text: string; readonly warnings: readonly string[] };

function asParse<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof QomError && err.phase === undefined) err.phase = 'parse';
    throw err;
  }
}

/** The type's creation schema: its writable class properties, root ancestor's first. */
export function creatableProperties(klass: ObjectClass): Property[] {
  return [...klass.properties()].filter((p) => p.writable);
}

/** The class of a type that `object-add` accepts, or undefined. */
function creatableClass(name: string): ObjectClass | undefined {
  const klass = objectClassByName(name);
  if (!klass || klass.abstract || !klass.isA('user-creatable')) return undefined;
  return klass;
}

function qomTypeRejected(value: string): InvalidParameterError {
  return new InvalidParameterError(`Parameter 'qom-type' does not accept value '${value}'`);
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/**
 * Checks an `object-add` argument object (or the `-object {...}` form) the
 * way QMP's schema does: `qom-type` and `id` first, then each member's JSON
 * type, then members the type does not have.
 *
 * @qemu visit_type_ObjectOptions (QObject input)
 * @since 0.1.0
 */
export function objectOptionsFromJson(args: unknown): ObjectOptions {
  return asParse(() => {
    const input: Record<string, unknown> =
      args === undefined || args === null ? {} : (args as Record<string, unknown>);
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new InvalidParameterError(`Invalid parameter type for 'null', expected: object`);
    }
    if (!hasOwn(input, 'qom-type')) throw new InvalidParameterError(`Parameter 'qom-type' is missing`);
    const qomType = input['qom-type'];
    if (typeof qomType !== 'string') throw new InvalidParameterError(`Invalid parameter type for 'qom-type', expected: string`);
    const klass = creatableClass(qomType);
    if (!klass) throw qomTypeRejected(qomType);
    if (!hasOwn(input, 'id')) throw new InvalidParameterError(`Parameter 'id' is missing`);
    const id = input.id;
    if (typeof id !== 'string') throw new InvalidParameterError(`Invalid parameter type for 'id', expected: string`);
    const props = new Map<string, PropertyValue>();
    const visited = ['qom-type', 'id'];
    for (const prop of creatableProperties(klass)) {
      visited.push(prop.name);
      if (!hasOwn(input, prop.name)) continue;
      const raw = input[prop.name];
      props.set(prop.name, prop.kind ? prop.kind.fromJson(prop.name, raw) : (raw as PropertyValue));
    }
    const unexpected = unexpectedMember(Object.keys(input), visited);
    if (unexpected !== undefined) throw new InvalidParameterError(`Parameter '${unexpected}' is unexpected`);
    return { qomType, id, props };
  });
}

/** Ids of `-object` strings seen so far (QEMU's QemuOpts list for "object"). */
const cmdlineIds = new Set<string>();

/**
 * Parses one `-object` argument: the JSON form when it starts with `{`,
 * otherwise qemu-system's option syntax (`iothread,id=io0,poll-max-ns=0`,
 * first key implied as `qom-type`). `help`, `?` and `TYPE,help` give the help
 * text instead. Each successful option-syntax parse takes its id, so a later
 * `-object` with the same id fails with `Duplicate ID`.
 *
 * @qemu object_option_parse (softmmu/vl.c)
 * @since 0.1.0
 */
export function parseObjectOption(arg: string): ObjectOptionParse {
  if (arg.startsWith('{')) {
    const value = asParse(() => parseJson(arg));
    return { kind: 'options', options: objectOptionsFromJson(value), warnings: [] };
  }
  return asParse(() => {
    // The id is checked (well-formed, not taken by an earlier -object)
    // before anything else in the string, as QemuOpts does.
    const parsed = qemuOptsParse(arg, { impliedKey: 'qom-type', existingIds: cmdlineIds });
    try {
      return objectOptionsFromOpts(parsed);
    } catch (err) {
      if (err instanceof QomError && parsed.warnings.length > 0) err.warnings = parsed.warnings;
      throw err;
    }
  });
}

function objectOptionsFromOpts(parsed: QemuOptsParsed): ObjectOptionParse {
  // Later keys override earlier ones, except `id`, where the first counts.
  const values = new Map<string, string>();
  for (const { key, value } of parsed.entries) values.set(key, value);
  const qomType = values.get('qom-type');
  if (qomType === undefined) throw new InvalidParameterError(`Parameter 'qom-type' is missing`);
  if (qomType === 'help' || qomType === '?') return { kind: 'help', text: userCreatableListHelp(), warnings: parsed.warnings };
  if (parsed.help) {
    const text = typePropertiesHelp(qomType);
    if (text !== undefined) return { kind: 'help', text, warnings: parsed.warnings };
  }
  const klass = creatableClass(qomType);
  if (!klass) throw qomTypeRejected(qomType);
  if (parsed.id === undefined) throw new InvalidParameterError(`Parameter 'id' is missing`);
  const props = new Map<string, PropertyValue>();
  const visited = ['qom-type', 'id'];
  for (const prop of creatableProperties(klass)) {
    visited.push(prop.name);
    const text = values.get(prop.name);
    if (text === undefined) continue;
    if (!prop.kind) throw new InvalidParameterError(`Invalid parameter '${prop.name}'`);
    props.set(prop.name, prop.kind.fromString(prop.name, text));
  }
  // The opts visitor keeps the unvisited keys in a hash table filled in
  // command-line order (first occurrences; `id` goes in last) and names the
  // first one left in its order, so `foo=1,bar=2` may report either.
  const known = new Set(visited);
  const unknown = [...values.keys()].filter((key) => !known.has(key));
  if (unknown.length === 1) throw new InvalidParameterError(`Invalid parameter '${unknown[0]}'`);
  if (unknown.length > 1) {
    throw new InvalidParameterError(`Invalid parameter '${ghashFirstKey([...values.keys(), 'id'], visited)}'`);
  }
  cmdlineIds.add(parsed.id);
  return { kind: 'options', options: { qomType, id: parsed.id, props }, warnings: parsed.warnings };
}

/** Ids of objects between the start of their creation and their appearance in the tree. */
const pendingIds = new Set<string>();
/** The id each object under creation will get (read by userCreatableId during complete()). */
const pendingIdOf = new WeakMap<QomObject, string>();

function duplicateId(id: string): DuplicateError {
  return new DuplicateError(`attempt to add duplicate property '${id}' to object (type 'container')`);
}

/**
 * Creates a user-creatable object from validated options and adds it under
 * `/objects`. Resolves once the object is complete.
 *
 * @qemu user_creatable_add_type
 * @since 0.1.0
 */
export async function userCreatableAddType(options: ObjectOptions): Promise<QomObject> {
  const { qomType, id, props } = options;
  if (!idWellFormed(id)) {
    throw new InvalidParameterError(`Parameter 'id' expects an identifier`, { phase: 'create', hint: ID_HINT });
  }
  const klass = creatableClass(qomType);
  if (!klass) throw qomTypeRejected(qomType);
  const obj = objectNew(qomType);
  let reserved = false;
  try {
    for (const prop of qdictOrder(creatableProperties(klass), (p) => p.name)) {
      if (props.has(prop.name)) await prop.set(obj, props.get(prop.name)!);
    }
    // Only now is `/objects` looked up (and so created): QEMU touches it
    // when it adds the child, so a creation that fails on a property value
    // leaves a fresh tree without `/objects`.
    const container = objectGetObjectsRoot();
    if (pendingIds.has(id) || container.propertyFind(id)) throw duplicateId(id);
    pendingIds.add(id);
    reserved = true;
    pendingIdOf.set(obj, id);
    await (obj as QomObject & UserCreatable).complete?.();
    container.propertyAddChild(id, obj);
  } catch (err) {
    if (reserved) pendingIds.delete(id);
    pendingIdOf.delete(obj);
    await obj.unref();
    if (err instanceof QomError && err.phase === undefined) err.phase = 'create';
    throw err;
  }
  pendingIds.delete(id);
  pendingIdOf.delete(obj);
  // The tree holds the object now; drop the creation reference.
  await obj.unref();
  return obj;
}

/**
 * The id an object has or is being created under: its name under its
 * parent, or during `complete()` the id it will get. Types that need their
 * id while completing (an IOThread names its thread after it) read this.
 *
 * @since 0.1.0
 */
export function userCreatableId(obj: QomObject): string | undefined {
  return obj.id ?? pendingIdOf.get(obj);
}

/**
 * QMP `object-add`: creates an object from its argument object.
 * Resolves to `{}` as the command returns.
 *
 * @qemu qmp_object_add
 * @since 0.1.0
 */
export async function objectAdd(args: unknown): Promise<Record<string, never>> {
  await userCreatableAddType(objectOptionsFromJson(args));
  return {};
}

/**
 * Parses and creates one `-object` argument. Resolves to the help text when
 * the argument asks for help, otherwise to the new object.
 *
 * @qemu user_creatable_process_cmdline
 * @since 0.1.0
 */
export async function userCreatableProcessCmdline(
  arg: string,
): Promise<{ readonly kind: 'help'; readonly text: string } | { readonly kind: 'created'; readonly object: QomObject }> {
  const parsed = parseObjectOption(arg);
  if (parsed.kind === 'help') return parsed;
  try {
    return { kind: 'created', object: await userCreatableAddType(parsed.options) };
  } catch (err) {
    cmdlineIds.delete(parsed.options.id);
    throw err;
  }
}

/**
 * Forgets an `-object` id without creating it (a caller that parsed options
 * and then decided not to create them).
 */
export function forgetObjectOption(id: string): void {
  cmdlineIds.delete(id);
}

/**
 * QMP `object-del`: deletes the object `/objects/<id>` (ids only, not
 * paths). Resolves once the object is unparented and, if that was its last
 * reference, finalized.
 *
 * @qemu user_creatable_del
 * @since 0.1.0
 */
export async function objectDel(id: string): Promise<Record<string, never>> {
  const container = objectGetObjectsRoot();
  const obj = resolvePathComponent(container, id);
  if (!obj || container.propertyFind(id)?.isChild !== true) throw new UnknownObjectIdError(id);
  const hooks = obj as QomObject & UserCreatable;
  if (hooks.canBeDeleted && !hooks.canBeDeleted()) throw new ObjectInUseError(id);
  cmdlineIds.delete(id);
  await obj.unparent();
  return {};
}

/**
 * The text of `-object help`: every concrete user-creatable type, sorted.
 *
 * @qemu user_creatable_print_help
 */
export function userCreatableListHelp(): string {
  const names = objectClassGetList('user-creatable', false)
    .map((k) => k.name)
    .sort();
  return `List of user creatable objects:\n${names.map((n) => `  ${n}\n`).join('')}`;
}

/**
 * The text of `-object TYPE,help`: the type's settable properties sorted by
 * name, or undefined for an unknown type.
 *
 * @qemu type_print_class_properties
 */
export function typePropertiesHelp(typename: string): string | undefined {
  const klass = objectClassByName(typename);
  if (!klass) return undefined;
  const lines = creatableProperties(klass)
    .map((p) => propertyHelpLine(p))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (lines.length === 0) return `There are no options for ${typename}.\n`;
  return `${typename} options:\n${lines.map((l) => `${l}\n`).join('')}`;
}

function propertyHelpLine(prop: Property): string {
  // QEMU's layout: the name and type, then (when there is anything to say)
  // padding to column 24, " - ", the description and the default as JSON.
  let line = `  ${prop.name}=<${prop.type}>`;
  if (prop.description !== undefined || prop.defaultValue !== undefined) {
    line = `${line.padEnd(24, ' ')} - `;
    if (prop.description !== undefined) line += prop.description;
    if (prop.defaultValue !== undefined) line += ` (default: ${formatDefault(prop.defaultValue)})`;
  }
  return line;
}

function formatDefault(value: PropertyValue): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
