export {
  AmbiguousPathError,
  DuplicateError,
  InvalidParameterError,
  isLoopError,
  ObjectInUseError,
  ObjectNotFoundError,
  PropertyAccessError,
  PropertyNotFoundError,
  QomError,
  QomTypeError,
  UnknownObjectIdError,
  type ErrorPhase,
  type QmpErrorClass,
  type QomErrorOptions,
  type SerializedLoopError,
} from './errors.js';
export {
  ObjectClass,
  objectClassByName,
  objectClassDynamicCast,
  objectClassGetList,
  objectNew,
  typeExists,
  typeRegister,
  type QomObjectConstructor,
  type TypeInfo,
} from './type-registry.js';
export { QomObject } from './object.js';
export { Property, type PropertyInfo } from './property.js';
export { enumKind, normalizeInt, type Int64, type PropertyValue, type ValueKind } from './property-types.js';
export { objectPropertyAddLink, type LinkOptions } from './link.js';
export {
  Container,
  containerGet,
  objectGetObjectsRoot,
  objectGetRoot,
  objectResolvePath,
  resolvePathComponent,
  type ResolveResult,
} from './tree.js';
export {
  creatableProperties,
  forgetObjectOption,
  objectAdd,
  objectDel,
  objectOptionsFromJson,
  parseObjectOption,
  typePropertiesHelp,
  userCreatableAddType,
  userCreatableId,
  userCreatableListHelp,
  userCreatableProcessCmdline,
  type ObjectOptionParse,
  type ObjectOptions,
  type UserCreatable,
} from './user-creatable.js';
export {
  qomGet,
  qomList,
  qomListProperties,
  qomListTypes,
  qomSet,
  typeJsonSchema,
  type ObjectPropertyInfo,
  type ObjectTypeInfo,
} from './introspect.js';
export { ghashFirstKey, unexpectedMember } from './ghash-order.js';
export { qdictOrder } from './qdict-order.js';
export { JsonStreamReader, parseJson, type JsonReaderLimits, type JsonStreamItem } from './json-reader.js';
export { formatJson } from './json-writer.js';
export { QFloat, type JsonObject, type JsonValue } from './json-value.js';
