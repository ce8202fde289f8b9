/**
 * The daemon's own version, read from its package.json, in the shape QMP
 * uses for QEMU's (`query-version` and the greeting).
 *
 * This file sits directly in `src/` so that `../package.json` is the
 * package's manifest both from the sources and from the bundles in `dist/`.
 */
import { readFileSync } from 'node:fs';

/**
 * A version as QMP reports it.
 *
 * @qemu VersionInfo (qapi/control.json)
 * @since 0.0.0
 */
export interface QmpVersion {
  readonly qemu: { readonly micro: number; readonly minor: number; readonly major: number };
  readonly package: string;
}

let cached: { name: string; version: string } | undefined;

function manifest(): { name: string; version: string } {
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    name?: unknown;
    version?: unknown;
  };
  cached = {
    name: typeof raw.name === 'string' ? raw.name : '@loop/daemon',
    version: typeof raw.version === 'string' ? raw.version : '0.0.0',
  };
  return cached;
}

/**
 * The package version string, e.g. `0.0.0`.
 *
 * @qemu none
 * @since 0.0.0
 */
export function daemonVersion(): string {
  return manifest().version;
}

/**
 * The daemon's version in QEMU's shape: the numbers of our package version
 * (not QEMU's) and `package` naming the npm package, e.g.
 * `{"qemu": {"micro": 0, "minor": 0, "major": 0}, "package": "@loop/daemon 0.0.0"}`.
 *
 * @qemu qmp_query_version
 * @since 0.0.0
 */
export function qmpVersion(): QmpVersion {
  const { name, version } = manifest();
  const [major = 0, minor = 0, micro = 0] = version
    .split(/[.+-]/, 3)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return { qemu: { micro, minor, major }, package: `${name} ${version}` };
}
