// Helpers to run the built loopd (dist/cli.js) as a child process, and to
// find the QEMU oracle transcripts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJson, type JsonObject } from '@loop/qom';
import { afterAll } from 'vitest';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const FIXTURE_PLUGIN = fileURLToPath(new URL('../fixtures/test-types-plugin.mjs', import.meta.url));
export const THROWING_PLUGIN = fileURLToPath(new URL('../fixtures/throwing-plugin.mjs', import.meta.url));

/** A fresh directory for sockets (the unix socket path limit is 107 bytes: keep it short). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopd-'));
  made.push(dir);
  return dir;
}

const made: string[] = [];
// Registered on the root suite of every test file that imports this module.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningDaemon {
  readonly child: ChildProcess;
  readonly exited: Promise<CliResult>;
  stderr(): string;
}

function collect(child: ChildProcess): { exited: Promise<CliResult>; out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { exited, out: () => stdout, err: () => stderr };
}

/** Runs loopd to completion (for cases that exit by themselves). */
export async function runCli(args: readonly string[], timeoutMs = 10_000): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { exited } = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = await exited;
  clearTimeout(timer);
  return result;
}

/** Whether something accepts connections on the unix socket `path`. */
function listening(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Starts loopd and resolves once something listens on `socketPath` (it is created last,
 * after every -object); rejects with its stderr if it exits first.
 */
export async function startDaemon(args: readonly string[], socketPath: string): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { exited, err } = collect(child);
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 10_000;
  while (!(await listening(socketPath))) {
    if (done) throw new Error(`loopd exited before listening: ${(await exited).stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('loopd did not create its socket within 10 s');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { child, exited, stderr: err };
}

/** The oracle folder: `$LOOP_ORACLE_DIR`, by default `../shared/oracle` beside the checkout. */
export function oracleDir(): string {
  const fromEnv = process.env.LOOP_ORACLE_DIR;
  if (fromEnv) return fromEnv;
  return fileURLToPath(new URL('../../../../../shared/oracle', import.meta.url));
}

/** A recorded QEMU transcript, parsed in QEMU's JSON dialect. A missing file fails the test. */
export function loadTranscript(name: string): JsonObject {
  const file = join(oracleDir(), 'transcripts', 'qemu', `${name}.json`);
  if (!existsSync(file)) throw new Error(`oracle transcript not found: ${file} (set LOOP_ORACLE_DIR)`);
  return parseJson(readFileSync(file, 'utf8')) as JsonObject;
}
