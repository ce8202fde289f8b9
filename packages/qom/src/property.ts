/**
 * One QOM property: a name, a type string as QEMU prints it, and accessors.
 *
 * Class properties live on an {@link ObjectClass} and are shared by every
 * instance of the class and its subclasses; instance properties live on one
 * object (children and links are instance properties). Accessors receive the
 * object they act on, so one record serves a whole class.
 */
import type { QomObject } from './object.js';
import { enumKind, valueKindFor, type PropertyValue, type ValueKind } from './property-types.js';

/** What code passes to define a property. */
export interface PropertyInfo<O extends QomObject = QomObject> {
  /** The property name (`poll-max-ns`). A name ending in `[*]` gets the lowest free index. */
  readonly name: string;
  /** QEMU's type string: `int`, `uint64`, `bool`, `string`, an enum name, `link<T>`, `child<T>`. */
  readonly type: string;
  readonly description?: string;
  /** Reported by `qom-list-properties` as `default-value`. */
  readonly defaultValue?: PropertyValue;
  /** For enum types: the accepted values. */
  readonly enumValues?: readonly string[];
  readonly get?: (obj: O) => PropertyValue;
  /**
   * Receives a value already checked against the type (and converted from
   * the `-object` string form). May be async: `qomSet` and `objectAdd` wait.
   */
  readonly set?: (obj: O, value: PropertyValue) => void | Promise<void>;
  /** Called when the property is deleted or its object finalized. */
  readonly release?: (obj: O) => void | Promise<void>;
  /** For child and link properties: the object a path component names. */
  readonly resolve?: (obj: O) => QomObject | undefined;
}

/** A property as stored: the info plus its value kind. */
export class Property {
  readonly name: string;
  readonly type: string;
  readonly description: string | undefined;
  readonly defaultValue: PropertyValue | undefined;
  readonly kind: ValueKind | undefined;
  readonly #info: PropertyInfo;

  constructor(info: PropertyInfo, kind?: ValueKind) {
    this.#info = info;
    this.name = info.name;
    this.type = info.type;
    this.description = info.description;
    this.defaultValue = info.defaultValue;
    this.kind = kind ?? (info.enumValues ? enumKind(info.type, info.enumValues) : valueKindFor(info.type));
  }

  get readable(): boolean {
    return this.#info.get !== undefined;
  }

  get writable(): boolean {
    return this.#info.set !== undefined;
  }

  get isChild(): boolean {
    return this.type.startsWith('child<');
  }

  get isLink(): boolean {
    return this.type.startsWith('link<');
  }

  get(obj: QomObject): PropertyValue {
    return this.#info.get!(obj);
  }

  set(obj: QomObject, value: PropertyValue): void | Promise<void> {
    return this.#info.set!(obj, value);
  }

  release(obj: QomObject): void | Promise<void> {
    return this.#info.release?.(obj);
  }

  resolve(obj: QomObject): QomObject | undefined {
    return this.#info.resolve?.(obj);
  }

  get canResolve(): boolean {
    return this.#info.resolve !== undefined;
  }
}
