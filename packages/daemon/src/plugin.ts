/**
 * `--plugin MODULE`: an ES module imported at start-up, before any
 * `-object` is parsed, so that it can register QOM types (`typeRegister`
 * from @loop/qom) that the command line and `object-add` then create.
 *
 * **Security** Plugins come from the command line only. Nothing a QMP
 * client sends can name a module or make the daemon load code.
 *
 * **Details** A plugin must import `@loop/qom` from the same installation
 * as the daemon (one type registry per process). It may export a function
 * `loopdPlugin(monitor)`, called once the monitor exists, to register QMP
 * commands of its own.
 *
 * @qemu none (QEMU's modules are built in; this is @loop's extension point)
 */
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './errors.js';

/**
 * What a plugin module may export.
 *
 * @since 0.0.0
 */
export interface LoopdPluginModule<M = unknown> {
  /** Called with the monitor before any QMP server starts. */
  loopdPlugin?(monitor: M): void | Promise<void>;
}

/**
 * The URL `spec` resolves to from `cwd`: a path (absolute, or starting with
 * `.`) is a file, a `file:` URL is itself, anything else is a package name
 * resolved from `cwd`'s `node_modules` (failing that, from the daemon's own).
 */
export function resolvePlugin(spec: string, cwd: string = process.cwd()): string {
  if (spec.startsWith('file:')) return spec;
  if (isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
    return pathToFileURL(resolve(cwd, spec)).href;
  }
  try {
    const require = createRequire(resolve(cwd, '__loopd_plugin_resolver__.js'));
    return pathToFileURL(require.resolve(spec)).href;
  } catch {
    // An import-only package, or one installed beside the daemon: let import() resolve it.
    return spec;
  }
}

/**
 * Imports one plugin module.
 *
 * @throws {UsageError} `LOOP_ERR_USAGE` when it cannot be resolved or its
 *   evaluation throws; the message is the underlying error's.
 * @since 0.0.0
 */
export async function loadPlugin(spec: string, cwd?: string): Promise<LoopdPluginModule> {
  try {
    return (await import(resolvePlugin(spec, cwd))) as LoopdPluginModule;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message, undefined, { cause: err });
  }
}
