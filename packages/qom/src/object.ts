/**
 * QomObject, the root of every QOM class: typed properties, a parent in the
 * composition tree, a reference count and an asynchronous finalize.
 *
 * Lifecycle: created by {@link objectNew} with one reference and no parent;
 * adding it as a child takes a reference; when the last reference goes, its
 * instance properties are released (children are unparented, strong links
 * dropped) and then `finalize()` runs, most derived class first: an override
 * does its own cleanup and then awaits `super.finalize()`. Finalize may be
 * asynchronous (an IOThread joins its thread), which is why `unref()` and
 * `unparent()` return promises.
 */
import { DuplicateError, InvalidParameterError, PropertyAccessError, PropertyNotFoundError, QomTypeError } from './errors.js';
import { Property, type PropertyInfo } from './property.js';
import type { PropertyValue } from './property-types.js';
import { type ObjectClass, takeConstructingClass, typeRegister } from './type-registry.js';

const kRoot = Symbol('qom.root');

/**
 * @qemu Object
 * @since 0.1.0
 */
export class QomObject {
  readonly #class: ObjectClass;
  readonly #props = new Map<string, Property>();
  #parent: QomObject | undefined;
  #name: string | undefined;
  #refcount = 1;
  #finalized: Promise<void> | undefined;
  [kRoot] = false;

  constructor() {
    this.#class = takeConstructingClass(new.target);
  }

  /** The QOM class of this object. */
  get objectClass(): ObjectClass {
    return this.#class;
  }

  /**
   * The object's type name.
   *
   * @qemu object_get_typename
   */
  get typename(): string {
    return this.#class.name;
  }

  /** The object this one is a child of, if any. */
  get parent(): QomObject | undefined {
    return this.#parent;
  }

  /**
   * The name under its parent (for objects under `/objects`, the id).
   *
   * @qemu object_get_canonical_path_component
   */
  get id(): string | undefined {
    return this.#name;
  }

  get refCount(): number {
    return this.#refcount;
  }

  /** True once finalization has begun. */
  get finalized(): boolean {
    return this.#finalized !== undefined;
  }

  /**
   * `/`-joined names from the root, or undefined when the object is not
   * connected to the root.
   *
   * @qemu object_get_canonical_path
   */
  get canonicalPath(): string | undefined {
    if (this[kRoot]) return '/';
    const names: string[] = [];
    let obj: QomObject = this;
    while (obj.#parent) {
      names.unshift(obj.#name!);
      obj = obj.#parent;
    }
    return obj[kRoot] ? `/${names.join('/')}` : undefined;
  }

  /**
   * Whether this object's type is `typename`, descends from it or implements it.
   *
   * @qemu object_dynamic_cast
   */
  isA(typename: string): boolean {
    return this.#class.isA(typename);
  }

  /** @qemu object_ref */
  ref(): this {
    if (this.#refcount <= 0) throw new QomTypeError(`object '${this.typename}' was already finalized`);
    this.#refcount += 1;
    return this;
  }

  /**
   * Drops a reference; the last one finalizes the object. The promise
   * settles when finalization (if it began) is over.
   *
   * @qemu object_unref
   */
  unref(): Promise<void> {
    if (this.#refcount <= 0) throw new QomTypeError(`object '${this.typename}' was already finalized`);
    this.#refcount -= 1;
    if (this.#refcount > 0) return Promise.resolve();
    this.#finalized = this.#finalizeAll();
    return this.#finalized;
  }

  /**
   * Removes this object from its parent (dropping the parent's reference).
   * No-op for an orphan.
   *
   * @qemu object_unparent
   */
  async unparent(): Promise<void> {
    const parent = this.#parent;
    if (!parent) return;
    await parent.propertyDel(this.#name!);
  }

  /**
   * Subclass hook run when the last reference goes, after the instance
   * properties were released. Overrides must await `super.finalize()` last.
   *
   * @qemu instance_finalize
   */
  protected finalize(): void | Promise<void> {}

  async #finalizeAll(): Promise<void> {
    if (this.#parent) throw new QomTypeError(`object '${this.#name}' finalized while it still has a parent`);
    // A release may delete other properties, so take them one at a time.
    for (;;) {
      const first = this.#props.entries().next();
      if (first.done) break;
      const [name, prop] = first.value;
      this.#props.delete(name);
      await prop.release(this);
    }
    await this.finalize();
  }

  /**
   * Adds an instance property. A name ending in `[*]` gets the lowest free
   * index (`name[0]`, `name[1]`, ...).
   *
   * @qemu object_property_add
   */
  propertyAdd<O extends QomObject = this>(info: PropertyInfo<O>): Property {
    let name = info.name;
    if (name.endsWith('[*]')) {
      const stem = name.slice(0, -3);
      let i = 0;
      while (this.propertyFind(`${stem}[${i}]`)) i += 1;
      name = `${stem}[${i}]`;
    } else if (this.propertyFind(name)) {
      throw new DuplicateError(`attempt to add duplicate property '${name}' to object (type '${this.typename}')`);
    }
    const prop = new Property({ ...(info as unknown as PropertyInfo), name });
    this.#props.set(name, prop);
    return prop;
  }

  /**
   * Deletes an instance property, running its release hook first.
   *
   * @qemu object_property_del
   */
  async propertyDel(name: string): Promise<void> {
    const prop = this.#props.get(name);
    if (!prop) return;
    this.#props.delete(name);
    await prop.release(this);
  }

  /**
   * A property by name: class properties first, then instance ones.
   *
   * @qemu object_property_find
   */
  propertyFind(name: string): Property | undefined {
    return this.#class.propertyFind(name) ?? this.#props.get(name);
  }

  /** Like {@link propertyFind}, with QEMU's error when there is none. */
  propertyFindOrThrow(name: string): Property {
    const prop = this.propertyFind(name);
    if (!prop) throw new PropertyNotFoundError(`Property '${this.typename}.${name}' not found`);
    return prop;
  }

  /**
   * Every property: instance properties, then class properties from the
   * root ancestor down.
   *
   * @qemu object_property_iter_init
   */
  *properties(): IterableIterator<Property> {
    yield* this.#props.values();
    yield* this.#class.properties();
  }

  /** The child objects, in the order they were added. */
  *children(): IterableIterator<QomObject> {
    for (const prop of this.#props.values()) {
      if (prop.isChild) {
        const child = prop.resolve(this);
        if (child) yield child;
      }
    }
  }

  /**
   * Reads a property.
   *
   * @qemu object_property_get
   */
  propertyGet(name: string): PropertyValue {
    const prop = this.propertyFindOrThrow(name);
    if (!prop.readable) throw new PropertyAccessError(`Property '${this.typename}.${name}' is not readable`);
    return prop.get(this);
  }

  /**
   * Writes a property from a JSON value, with the JSON input rules (no
   * string conversion; an int property wants an integer).
   *
   * @qemu object_property_set_qobject
   */
  async propertySet(name: string, value: unknown): Promise<void> {
    const prop = this.propertyFindOrThrow(name);
    if (!prop.writable) throw new PropertyAccessError(`Property '${this.typename}.${name}' is not writable`);
    const checked = prop.kind ? prop.kind.fromJson(name, value) : (value as PropertyValue);
    await prop.set(this, checked);
  }

  /**
   * Writes a property from a string, with the `-object` option rules
   * (C base-0 integers, on/off booleans).
   *
   * @qemu object_property_parse
   */
  async propertyParse(name: string, text: string): Promise<void> {
    const prop = this.propertyFindOrThrow(name);
    if (!prop.writable) throw new PropertyAccessError(`Property '${this.typename}.${name}' is not writable`);
    if (!prop.kind) throw new InvalidParameterError(`Property '${this.typename}.${name}' does not take a string value`);
    await prop.set(this, prop.kind.fromString(name, text));
  }

  /**
   * Makes `child` a child of this object under `name`: the child must have no
   * parent; this object takes a reference. The property is read-only, reads
   * as the child's canonical path and is followed by path resolution.
   *
   * @qemu object_property_add_child
   */
  propertyAddChild(name: string, child: QomObject): Property {
    if (child.#parent) throw new QomTypeError(`object '${child.#name}' already has a parent`);
    const prop = this.propertyAdd<QomObject>({
      name,
      type: `child<${child.typename}>`,
      get: () => child.canonicalPath ?? '',
      resolve: () => child,
      release: () => {
        child.#parent = undefined;
        child.#name = undefined;
        return child.unref();
      },
    });
    child.ref();
    child.#parent = this;
    child.#name = prop.name;
    return prop;
  }
}

/** @internal Marks the object that is the root of the composition tree. */
export function markRoot(obj: QomObject): void {
  obj[kRoot] = true;
}

// The two roots of the type hierarchy. Every object has the read-only
// `type` property, a class property of `object`.
typeRegister({
  name: 'object',
  // As in QEMU, `object` itself cannot be instantiated; its subclasses can.
  abstract: true,
  instanceClass: QomObject,
  classInit: (klass) => {
    klass.propertyAdd({ name: 'type', type: 'string', get: (obj) => obj.typename });
  },
});
typeRegister({ name: 'interface', abstract: true });
