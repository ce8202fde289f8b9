/**
 * The composition tree: the root container `/`, the lazily created
 * `/objects` container for user-created objects, and path resolution.
 *
 * Paths: an absolute path (`/objects/io0`) walks from the root through child
 * and link properties, skipping empty components. A partial path (`io0`,
 * `objects/io0`) is tried as an absolute path from every node of the tree
 * (descending through children only); it resolves when exactly one node
 * matches and is ambiguous when several do.
 */
import { markRoot, QomObject } from './object.js';
import { objectNew, typeRegister } from './type-registry.js';

/**
 * A plain object that only holds children.
 *
 * @qemu container (TYPE_CONTAINER)
 * @since 0.1.0
 */
export class Container extends QomObject {}

typeRegister({ name: 'container', parent: 'object', instanceClass: Container });

let root: Container | undefined;

/**
 * The root of the composition tree, `/`.
 *
 * @qemu object_get_root
 * @since 0.1.0
 */
export function objectGetRoot(): QomObject {
  if (!root) {
    root = objectNew<Container>('container');
    markRoot(root);
  }
  return root;
}

/**
 * The container at `path` below `from`, created (with every missing
 * container on the way) if needed.
 *
 * @qemu container_get
 */
export function containerGet(from: QomObject, path: string): QomObject {
  let obj = from;
  for (const part of path.split('/').filter((p) => p !== '')) {
    const prop = obj.propertyFind(part);
    const next = prop?.canResolve ? prop.resolve(obj) : undefined;
    if (next) {
      obj = next;
      continue;
    }
    const child = objectNew<Container>('container');
    obj.propertyAddChild(part, child);
    void child.unref();
    obj = child;
  }
  return obj;
}

/**
 * The container of user-created objects, `/objects`, created on first use as
 * QEMU does (a fresh QEMU has no `/objects` until something touches it).
 *
 * @qemu object_get_objects_root
 * @since 0.1.0
 */
export function objectGetObjectsRoot(): QomObject {
  return containerGet(objectGetRoot(), 'objects');
}

/** The object `/objects` would be, without creating it. */
export function peekObjectsRoot(): QomObject | undefined {
  const r = objectGetRoot();
  const prop = r.propertyFind('objects');
  return prop?.isChild ? prop.resolve(r) : undefined;
}

/**
 * Follows one path component from `obj`: a child or link property.
 *
 * @qemu object_resolve_path_component
 */
export function resolvePathComponent(obj: QomObject, part: string): QomObject | undefined {
  const prop = obj.propertyFind(part);
  return prop?.canResolve ? prop.resolve(obj) : undefined;
}

function resolveAbs(from: QomObject, parts: readonly string[], typename: string): QomObject | undefined {
  let obj: QomObject | undefined = from;
  for (const part of parts) {
    obj = resolvePathComponent(obj, part);
    if (!obj) return undefined;
  }
  return obj.isA(typename) ? obj : undefined;
}

interface PartialResult {
  obj: QomObject | undefined;
  ambiguous: boolean;
}

function resolvePartial(from: QomObject, parts: readonly string[], typename: string): PartialResult {
  let obj = resolveAbs(from, parts, typename);
  for (const child of from.children()) {
    const found = resolvePartial(child, parts, typename);
    if (found.ambiguous) return found;
    if (found.obj) {
      if (obj) return { obj: undefined, ambiguous: true };
      obj = found.obj;
    }
  }
  return { obj, ambiguous: false };
}

/** What {@link objectResolvePath} found. */
export interface ResolveResult {
  readonly obj: QomObject | undefined;
  /** Set when a partial path matched more than one object. */
  readonly ambiguous: boolean;
}

/**
 * Resolves an absolute or partial path to an object of type `typename`
 * (any object by default).
 *
 * @qemu object_resolve_path_type
 * @since 0.1.0
 */
export function objectResolvePath(path: string, typename = 'object'): ResolveResult {
  const rootObj = objectGetRoot();
  // The empty path is a partial path with no components: it matches every
  // node, so it is ambiguous unless `typename` narrows it to one object.
  const parts = path === '' ? [] : path.split('/');
  if (parts[0] === '') {
    return { obj: resolveAbs(rootObj, parts.slice(1).filter((p) => p !== ''), typename), ambiguous: false };
  }
  return resolvePartial(rootObj, parts.filter((p) => p !== ''), typename);
}
