/**
 * The type registry: named types, each backed by a TypeScript class, with a
 * parent, interfaces, an abstract flag and a class initialiser that adds
 * class properties.
 *
 * As in QEMU, registration only records the type; its class is built on
 * first use (lookup, instantiation, listing), parent first, so a type may be
 * registered before its parent as long as the parent exists by then. A class
 * starts from its parent's properties and interfaces and then runs its own
 * `classInit`.
 *
 * Types registered in user code are first-class: that is how users add their
 * own loop subclasses.
 */
import { DuplicateError, QomTypeError } from './errors.js';
import type { QomObject } from './object.js';
import { Property, type PropertyInfo } from './property.js';

/** A constructor of QOM objects. Instances must be created through {@link objectNew}. */
export type QomObjectConstructor<T extends QomObject = QomObject> = abstract new () => T;

/** What {@link typeRegister} takes. */
export interface TypeInfo<T extends QomObject = QomObject> {
  /** Letters, digits, `-`, `_`, `.`; not starting with `0`. */
  readonly name: string;
  /** Required except for the two roots, `object` and `interface`. */
  readonly parent?: string;
  readonly abstract?: boolean;
  /** Interface type names this type implements (`user-creatable`). */
  readonly interfaces?: readonly string[];
  /**
   * The class of the instances. It must extend the parent type's class;
   * omitted, the parent's class is used. Interfaces have none.
   */
  readonly instanceClass?: QomObjectConstructor<T>;
  /** Adds class properties and class data. */
  readonly classInit?: (klass: ObjectClass) => void;
}

const TYPE_NAME = /^(?!0)[A-Za-z0-9][A-Za-z0-9_.+,-]*$/;

const registry = new Map<string, TypeInfo>();
const classes = new Map<string, ObjectClass>();

/**
 * A built type: the class of its instances plus its class properties.
 *
 * @qemu ObjectClass
 * @since 0.1.0
 */
export class ObjectClass {
  readonly name: string;
  readonly parent: ObjectClass | undefined;
  readonly abstract: boolean;
  /** Whether this is an interface type (descends from `interface`). */
  readonly isInterface: boolean;
  /** Every interface this class implements, its ancestors' included. */
  readonly interfaces: readonly ObjectClass[];
  readonly instanceClass: QomObjectConstructor | undefined;
  /** Free-form class data set by class initialisers (QEMU's class struct fields). */
  readonly data: Record<string, unknown>;
  readonly #properties = new Map<string, Property>();

  constructor(info: TypeInfo, parent: ObjectClass | undefined, interfaces: readonly ObjectClass[]) {
    this.name = info.name;
    this.parent = parent;
    this.isInterface = info.name === 'interface' || (parent?.isInterface ?? false);
    this.abstract = (info.abstract ?? false) || this.isInterface;
    this.interfaces = interfaces;
    this.instanceClass = info.instanceClass ?? parent?.instanceClass;
    this.data = Object.create(parent?.data ?? null) as Record<string, unknown>;
  }

  /**
   * Adds a class property. A duplicate is a programming error, fatal in QEMU.
   *
   * @qemu object_class_property_add
   */
  propertyAdd<O extends QomObject>(info: PropertyInfo<O>): Property {
    if (this.propertyFind(info.name)) {
      throw new DuplicateError(`attempt to add duplicate property '${info.name}' to class (type '${this.name}')`);
    }
    const prop = new Property(info as unknown as PropertyInfo);
    this.#properties.set(info.name, prop);
    return prop;
  }

  /**
   * Finds a class property by name, searching from the root ancestor down.
   *
   * @qemu object_class_property_find
   */
  propertyFind(name: string): Property | undefined {
    return this.parent?.propertyFind(name) ?? this.#properties.get(name);
  }

  /** Class properties, root ancestor's first, each class's in the order they were added. */
  *properties(): IterableIterator<Property> {
    if (this.parent) yield* this.parent.properties();
    yield* this.#properties.values();
  }

  /** Whether this class is `typename`, descends from it or implements it. */
  isA(typename: string): boolean {
    for (let k: ObjectClass | undefined = this; k; k = k.parent) {
      if (k.name === typename) return true;
    }
    return this.interfaces.some((i) => i.isA(typename));
  }
}

/**
 * Registers a type. Throws on a duplicate or malformed name.
 *
 * @qemu type_register_static
 * @since 0.1.0
 */
export function typeRegister<T extends QomObject>(info: TypeInfo<T>): void {
  if (registry.has(info.name)) {
    throw new QomTypeError(`Registering \`${info.name}' which already exists`);
  }
  if (!TYPE_NAME.test(info.name)) {
    throw new QomTypeError(`Registering '${info.name}' with illegal type name`);
  }
  if (info.parent === undefined && info.name !== 'object' && info.name !== 'interface') {
    throw new QomTypeError(`Type '${info.name}' names no parent type`);
  }
  registry.set(info.name, info as TypeInfo);
}

/** Whether a type of that name is registered. */
export function typeExists(name: string): boolean {
  return registry.has(name);
}

/**
 * The class of a type, built on first use; undefined for an unknown name.
 *
 * @qemu object_class_by_name
 * @since 0.1.0
 */
export function objectClassByName(name: string): ObjectClass | undefined {
  const built = classes.get(name);
  if (built) return built;
  const info = registry.get(name);
  if (!info) return undefined;
  return buildClass(info);
}

function buildClass(info: TypeInfo): ObjectClass {
  let parent: ObjectClass | undefined;
  if (info.parent !== undefined) {
    parent = objectClassByName(info.parent);
    if (!parent) throw new QomTypeError(`Type '${info.name}' is missing its parent '${info.parent}'`);
  }
  const interfaces = [...(parent?.interfaces ?? [])];
  for (const iname of info.interfaces ?? []) {
    const iface = objectClassByName(iname);
    if (!iface || !iface.isInterface) {
      throw new QomTypeError(`missing interface '${iname}' for object '${info.name}'`);
    }
    if (!interfaces.includes(iface)) interfaces.push(iface);
  }
  if (info.instanceClass && parent?.instanceClass && !(info.instanceClass.prototype instanceof parent.instanceClass)) {
    if (info.instanceClass !== parent.instanceClass) {
      throw new QomTypeError(
        `class ${info.instanceClass.name} of type '${info.name}' must extend ${parent.instanceClass.name}, the class of '${parent.name}'`,
      );
    }
  }
  const klass = new ObjectClass(info, parent, interfaces);
  classes.set(info.name, klass);
  try {
    info.classInit?.(klass);
  } catch (err) {
    classes.delete(info.name);
    throw err;
  }
  return klass;
}

/**
 * Every registered type's class, optionally only those that are (or
 * implement) `implementsType`, and abstract ones only on request. Order is
 * registration order.
 *
 * @qemu object_class_get_list
 * @since 0.1.0
 */
export function objectClassGetList(implementsType: string | undefined, includeAbstract: boolean): ObjectClass[] {
  const out: ObjectClass[] = [];
  for (const name of registry.keys()) {
    const klass = objectClassByName(name)!;
    if (implementsType !== undefined && !klass.isA(implementsType)) continue;
    if (klass.abstract && !includeAbstract) continue;
    out.push(klass);
  }
  return out;
}

/**
 * Casts a class to `typename` (a type or an interface); undefined if it is not one.
 *
 * @qemu object_class_dynamic_cast
 * @since 0.1.0
 */
export function objectClassDynamicCast(klass: ObjectClass, typename: string): ObjectClass | undefined {
  if (!registry.has(typename)) return undefined;
  return klass.isA(typename) ? klass : undefined;
}

/** The type being instantiated right now, read by the QomObject constructor. */
let constructing: ObjectClass | undefined;

/** @internal Used by the QomObject constructor. */
export function takeConstructingClass(ctor: abstract new () => unknown): ObjectClass {
  const klass = constructing;
  constructing = undefined;
  if (klass) return klass;
  for (const info of registry.values()) {
    if (info.instanceClass !== ctor) continue;
    const found = objectClassByName(info.name)!;
    if (found.abstract) throw new QomTypeError(`object type '${found.name}' is abstract`);
    return found;
  }
  throw new QomTypeError(`class ${ctor.name} is not the class of a registered QOM type`);
}

/**
 * Creates an instance of a concrete type (reference count 1, no parent).
 *
 * @qemu object_new
 * @since 0.1.0
 */
export function objectNew<T extends QomObject = QomObject>(typename: string): T {
  const klass = objectClassByName(typename);
  if (!klass) throw new QomTypeError(`invalid object type: ${typename}`);
  if (klass.abstract || !klass.instanceClass) throw new QomTypeError(`object type '${typename}' is abstract`);
  constructing = klass;
  try {
    const Ctor = klass.instanceClass as unknown as new () => T;
    return new Ctor();
  } finally {
    constructing = undefined;
  }
}
