// Builds one package (run from its folder): every entry under src/ that is loaded
// by URL or imported by users becomes one ESM bundle in dist/. Declarations come
// from `tsc -b` (the typecheck target), so dist/ is never wiped here.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = ['src/index.ts', 'src/worker.ts', 'src/cli.ts'].filter((f) => existsSync(f));
await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  // Keep every dependency external: a bundled @loop/aio would resolve its
  // native addon relative to the wrong package.
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
