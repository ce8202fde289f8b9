/**
 * The layering rule of the workspace, as code: a package may import only
 * packages below it in the order aio < thread-pool < qom < iothread <
 * main-loop < daemon, and qom (the object model) imports no @loop package
 * at all. The check reads every TypeScript source, test and bench file and
 * every package.json dependency list.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The packages from the ground floor up. */
export const LAYERS = ['aio', 'thread-pool', 'qom', 'iothread', 'main-loop', 'daemon'] as const;

/** What each package may import (besides itself). */
export function allowedImports(pkg: string): readonly string[] {
  if (pkg === 'qom') return [];
  const rank = LAYERS.indexOf(pkg as (typeof LAYERS)[number]);
  if (rank < 0) return [];
  return LAYERS.slice(0, rank).filter((p) => p !== 'qom' || rank > LAYERS.indexOf('qom'));
}

export interface LayeringViolation {
  /** Path relative to the workspace root. */
  readonly file: string;
  readonly specifier: string;
  readonly message: string;
}

const IMPORT_RE =
  /(?:\bimport\s*(?:[\w*{}\s,]+\s*from\s*)?|\bexport\s*[\w*{}\s,]*\s*from\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](@loop\/[^'"/]+)(?:\/[^'"]*)?['"]/g;

function* sourceFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

/** Checks the workspace at `root`; an empty list means the layering holds. */
export function checkLayering(root: string): LayeringViolation[] {
  const violations: LayeringViolation[] = [];
  const packagesDir = join(root, 'packages');
  if (!existsSync(packagesDir)) return violations;
  for (const pkg of readdirSync(packagesDir)) {
    const pkgDir = join(packagesDir, pkg);
    if (!statSync(pkgDir).isDirectory()) continue;
    const allowed = new Set([pkg, ...allowedImports(pkg)]);
    const describe = allowedImports(pkg).length ? allowedImports(pkg).map((p) => `@loop/${p}`).join(', ') : 'no @loop package';
    const report = (file: string, specifier: string): void => {
      const rel = relative(root, file);
      violations.push({
        file: rel,
        specifier,
        message: `${rel}: imports '${specifier}', but @loop/${pkg} may import only ${describe} (layers: ${LAYERS.join(' < ')})`,
      });
    };
    if (!(LAYERS as readonly string[]).includes(pkg)) {
      violations.push({
        file: relative(root, pkgDir),
        specifier: '',
        message: `${relative(root, pkgDir)}: package '${pkg}' has no place in the layers (${LAYERS.join(' < ')})`,
      });
      continue;
    }
    const manifest = join(pkgDir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, Record<string, string> | undefined>;
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        for (const dep of Object.keys(json[field] ?? {})) {
          const m = /^@loop\/(.+)$/.exec(dep);
          if (m && !allowed.has(m[1]!)) report(manifest, dep);
        }
      }
    }
    for (const sub of ['src', 'test', 'bench']) {
      for (const file of sourceFiles(join(pkgDir, sub))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(IMPORT_RE)) {
          const name = m[1]!.slice('@loop/'.length);
          if (!allowed.has(name)) report(file, m[1]!);
        }
      }
    }
  }
  return violations;
}
