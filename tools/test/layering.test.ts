import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedImports, checkLayering } from '../layering.js';

const workspace = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('layering', () => {
  const scratch: string[] = [];
  afterEach(() => {
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function fakeWorkspace(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'loop-layering-'));
    scratch.push(root);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }

  it('holds in this workspace', () => {
    expect(checkLayering(workspace).map((v) => v.message)).toEqual([]);
  });

  it('states the order', () => {
    expect(allowedImports('aio')).toEqual([]);
    expect(allowedImports('thread-pool')).toEqual(['aio']);
    expect(allowedImports('qom')).toEqual([]);
    expect(allowedImports('iothread')).toEqual(['aio', 'thread-pool', 'qom']);
    expect(allowedImports('daemon')).toEqual(['aio', 'thread-pool', 'qom', 'iothread', 'main-loop']);
  });

  it('fails on an upward import, naming the file and the import', () => {
    const root = fakeWorkspace({
      'packages/aio/src/context.ts': "import { objectAdd } from '@loop/daemon';\nexport const x = objectAdd;\n",
      'packages/daemon/src/index.ts': "import { AioContext } from '@loop/aio';\nexport { AioContext };\n",
    });
    const found = checkLayering(root);
    expect(found).toHaveLength(1);
    expect(found[0]!.file).toBe(join('packages', 'aio', 'src', 'context.ts'));
    expect(found[0]!.specifier).toBe('@loop/daemon');
    expect(found[0]!.message).toContain("packages/aio/src/context.ts: imports '@loop/daemon'");
  });

  it('keeps qom free of every @loop package, in code and in package.json', () => {
    const root = fakeWorkspace({
      'packages/qom/package.json': JSON.stringify({ name: '@loop/qom', dependencies: { '@loop/aio': '0.0.0' } }),
      'packages/qom/test/x.test.ts': "const m = await import('@loop/aio');\nexport { m };\n",
      'packages/qom/src/y.ts': "export { thing } from '@loop/thread-pool/internal';\n",
    });
    const files = checkLayering(root).map((v) => `${v.file} ${v.specifier}`).sort();
    expect(files).toEqual([
      `${join('packages', 'qom', 'package.json')} @loop/aio`,
      `${join('packages', 'qom', 'src', 'y.ts')} @loop/thread-pool`,
      `${join('packages', 'qom', 'test', 'x.test.ts')} @loop/aio`,
    ]);
  });

  it('rejects a package that has no layer', () => {
    const root = fakeWorkspace({ 'packages/extra/src/index.ts': 'export {};\n' });
    expect(checkLayering(root).map((v) => v.message)).toEqual([
      `${join('packages', 'extra')}: package 'extra' has no place in the layers (aio < thread-pool < qom < iothread < main-loop < daemon)`,
    ]);
  });
});
