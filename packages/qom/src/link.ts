/**
 * `link<T>` properties: a pointer from one object to another, read as the
 * target's canonical path (`""` when unset) and followed by path
 * resolution. A writable link takes a path; a strong link holds a reference
 * on its target.
 */
import { AmbiguousPathError, InvalidParameterError, ObjectNotFoundError } from './errors.js';
import type { QomObject } from './object.js';
import type { Property } from './property.js';
import { objectResolvePath } from './tree.js';

/** Options of {@link objectPropertyAddLink}. */
export interface LinkOptions<O extends QomObject> {
  /**
   * Makes the link writable: called with the new target (or undefined when
   * cleared) before it is stored; throw to veto.
   */
  readonly check?: (obj: O, name: string, target: QomObject | undefined) => void;
  /** Hold a reference on the target while linked (QEMU's OBJ_PROP_LINK_STRONG). */
  readonly strong?: boolean;
  /** The initial target. */
  readonly target?: QomObject;
}

/**
 * Adds a `link<T>` property to `obj`. The current target is returned by
 * the `target()` function of the result.
 *
 * @qemu object_property_add_link
 * @since 0.1.0
 */
export function objectPropertyAddLink<O extends QomObject>(
  obj: O,
  name: string,
  targetType: string,
  options: LinkOptions<O> = {},
): { property: Property; target(): QomObject | undefined } {
  let target = options.target;
  if (target && options.strong) target.ref();
  const property = obj.propertyAdd<O>({
    name,
    type: `link<${targetType}>`,
    get: () => (target ? (target.canonicalPath ?? '') : ''),
    resolve: () => target,
    release: () => {
      const old = target;
      target = undefined;
      if (old && options.strong) return old.unref();
      return undefined;
    },
    ...(options.check
      ? {
          set: (self: O, value: unknown) => {
            const path = value as string;
            let next: QomObject | undefined;
            if (path !== '') {
              const found = objectResolvePath(path, targetType);
              if (found.ambiguous) throw new AmbiguousPathError(`Path '${path}' does not uniquely identify an object`);
              if (!found.obj) {
                const any = objectResolvePath(path);
                if (any.obj) throw new InvalidParameterError(`Invalid parameter type for '${name}', expected: ${targetType}`);
                throw new ObjectNotFoundError(`Device '${path}' not found`);
              }
              next = found.obj;
            }
            options.check!(self, name, next);
            const old = target;
            if (next && options.strong) next.ref();
            target = next;
            if (old && options.strong) return old.unref();
            return undefined;
          },
        }
      : {}),
  });
  return { property, target: () => target };
}
