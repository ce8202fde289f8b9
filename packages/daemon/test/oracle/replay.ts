/**
 * Replays oracle scenarios against loopd with the oracle's own script
 * (qmp_oracle.py launches loopd) and compares with QEMU 7.2's transcripts
 * through the script's `diff` (its masking: thread ids, timestamps, the
 * greeting's version, the program name; lists QEMU returns in hash order
 * are sorted).
 *
 * Before the diff, exactly the differences docs/qemu-compat.md allows are
 * checked by their own rule and then blanked on both sides:
 *  - `qom-list /`: only the children `type` and `objects` are compared;
 *  - `qom-list-types` without an event-loop `implements` filter: loopd's
 *    list is a subset of QEMU's that holds every QEMU entry of a type loopd
 *    registers;
 *  - `qom-list-properties` of a type loopd does not register: loopd answers
 *    `Class 'x' not found`;
 *  - `query-version`: QEMU's shape, our numbers;
 *  - `-object help` / `?`: loopd's list of creatable types is a subset of
 *    QEMU's, under the same heading.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import '@loop/iothread';
import '@loop/main-loop';
import { formatJson, parseJson, qomListTypes, type JsonObject, type JsonValue } from '@loop/qom';
import { expect } from 'vitest';
import { CLI, oracleDir, tempDir } from '../support/daemon.js';

const run = promisify(execFile);

/** The types loopd registers (loopd registers nothing else, and fakes nothing). */
export const LOOPD_TYPES = new Set(qomListTypes({ abstract: true }).map((t) => t.name));

/**
 * loopd's own scenarios beside this file (`extra/scenarios`, with QEMU
 * 7.2's answers recorded by qmp_oracle.py in `extra/transcripts/qemu`):
 * corners the shared oracle does not cover. A scenario folder has the
 * oracle's layout; the script always comes from the shared oracle.
 */
export const EXTRA_DIR = fileURLToPath(new URL('./extra', import.meta.url));

const EVENT_LOOP_FILTERS = new Set(['event-loop-base', 'iothread', 'main-loop']);
const CHECKED = '<checked by its own rule: see docs/qemu-compat.md>';

function script(): string {
  const path = join(oracleDir(), 'qmp_oracle.py');
  if (!existsSync(path)) throw new Error(`${path} not found: the oracle folder is missing (set LOOP_ORACLE_DIR)`);
  return path;
}

function readJson(path: string): JsonObject {
  return parseJson(readFileSync(path, 'utf8')) as JsonObject;
}

type Step = JsonObject & { send?: JsonObject; response?: JsonValue };

function returned(step: Step): JsonValue[] | undefined {
  const r = step.response as JsonObject | undefined;
  return r && Array.isArray(r.return) ? (r.return as JsonValue[]) : undefined;
}

/** Applies the documented exceptions to one pair of steps (QEMU's, ours). */
function reconcileStep(qemu: Step, mine: Step): void {
  const execute = qemu.send?.execute as string | undefined;
  const args = (qemu.send?.arguments as JsonObject | undefined) ?? {};
  if (execute === 'qom-list' && typeof args.path === 'string' && args.path.replace(/\/+/g, '/') === '/') {
    const q = returned(qemu);
    if (q) (qemu.response as JsonObject).return = q.filter((e) => ['type', 'objects'].includes((e as JsonObject).name as string));
    return;
  }
  if (execute === 'qom-list-types' && !EVENT_LOOP_FILTERS.has(args.implements as string)) {
    const q = returned(qemu);
    const m = returned(mine);
    if (!q || !m) return; // errors are compared as they are
    // Key order is not part of the comparison (QEMU emits hash order).
    const key = (e: JsonValue): string =>
      formatJson(Object.fromEntries(Object.entries(e as JsonObject).sort(([a], [b]) => (a < b ? -1 : 1))) as JsonObject);
    const qemuSet = new Set(q.map(key));
    for (const e of m) expect(qemuSet.has(key(e)), `loopd lists ${key(e)}, QEMU does not`).toBe(true);
    const mineSet = new Set(m.map(key));
    for (const e of q) {
      if (LOOPD_TYPES.has((e as JsonObject).name as string)) expect(mineSet.has(key(e)), `loopd misses ${key(e)}`).toBe(true);
    }
    (qemu.response as JsonObject).return = CHECKED;
    (mine.response as JsonObject).return = CHECKED;
    return;
  }
  if (execute === 'qom-list-properties' && typeof args.typename === 'string' && !LOOPD_TYPES.has(args.typename) && returned(qemu)) {
    expect(mine.response).toEqual({ error: { class: 'DeviceNotFound', desc: `Class '${args.typename}' not found` } });
    qemu.response = CHECKED;
    mine.response = CHECKED;
    qemu.outcome = CHECKED;
    mine.outcome = CHECKED;
    return;
  }
  if (execute === 'query-version') {
    const ret = (mine.response as JsonObject).return as JsonObject;
    expect(Object.keys(ret)).toEqual(['qemu', 'package']);
    expect(Object.keys(ret.qemu as JsonObject)).toEqual(['micro', 'minor', 'major']);
    qemu.response = CHECKED;
    mine.response = CHECKED;
  }
}

function reconcileSteps(qemuSteps: Step[] | undefined, mySteps: Step[] | undefined): void {
  if (!qemuSteps || !mySteps) return;
  expect(mySteps.length).toBe(qemuSteps.length);
  qemuSteps.forEach((q, i) => reconcileStep(q, mySteps[i]!));
}

async function diff(qemu: JsonObject, mine: JsonObject, name: string): Promise<void> {
  const dir = tempDir();
  const a = join(dir, `${name}.qemu.json`);
  const b = join(dir, `${name}.loopd.json`);
  writeFileSync(a, formatJson(qemu));
  writeFileSync(b, formatJson(mine));
  try {
    await run('python3', [script(), 'diff', a, b], { maxBuffer: 1 << 24 });
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? String(err);
    expect.fail(`loopd differs from QEMU 7.2 in ${name}:\n${out.slice(0, 6000)}`);
  }
}

/** Runs qmp_oracle.py in `mode` on scenario `name` of `dir`, launching loopd; resolves to the transcript's path. */
async function runScript(mode: 'qmp' | 'cmdline', name: string, dir: string): Promise<string> {
  const out = join(tempDir(), `${name}.json`);
  await run(
    'python3',
    [
      script(),
      mode,
      join(dir, 'scenarios', `${name}.json`),
      '--qemu',
      `${process.execPath} ${CLI}`,
      '--base-args=-qmp unix:{sock},server=on,wait=off',
      '-q',
      '-o',
      out,
    ],
    { maxBuffer: 1 << 24 },
  );
  return out;
}

/** The QEMU transcript recorded for scenario `name` of `dir`. */
function qemuTranscript(dir: string, name: string): JsonObject {
  const path = join(dir, 'transcripts', 'qemu', `${name}.json`);
  if (!existsSync(path)) throw new Error(`${path} not found: record it with qmp_oracle.py against qemu-system-x86_64 7.2`);
  return readJson(path);
}

/** Replays one QMP scenario of `dir` (the shared oracle by default) and asserts loopd answers as QEMU did at every step. */
export async function replayQmpScenario(name: string, dir: string = oracleDir()): Promise<void> {
  const out = await runScript('qmp', name, dir);
  const mine = readJson(out);
  const qemu = qemuTranscript(dir, name);
  reconcileSteps(qemu.steps as Step[], mine.steps as Step[]);
  // quit: the same reply and SHUTDOWN event, and a clean exit.
  expect((mine.quit as JsonObject).response).toEqual((qemu.quit as JsonObject).response);
  expect((mine.process as JsonObject).exit_code).toBe(0);
  await diff(qemu, mine, name);
}

/** Replays the command-line cases of `dir`'s scenario (exit code, stdout, stderr, and the QMP steps of those that start). */
export async function replayCmdlineScenario(name: string, dir: string = oracleDir()): Promise<void> {
  const out = await runScript('cmdline', name, dir);
  const mine = readJson(out);
  const qemu = qemuTranscript(dir, name);
  const qemuCases = qemu.cases as JsonObject[];
  const myCases = mine.cases as JsonObject[];
  expect(myCases.length).toBe(qemuCases.length);
  qemuCases.forEach((q, i) => {
    const m = myCases[i]!;
    reconcileSteps(q.steps as Step[] | undefined, m.steps as Step[] | undefined);
    const heading = 'List of user creatable objects:\n';
    if (typeof q.stdout === 'string' && q.stdout.startsWith(heading)) {
      expect(m.stdout as string).toMatch(/^List of user creatable objects:\n/);
      const theirs = new Set(q.stdout.slice(heading.length).split('\n'));
      for (const line of (m.stdout as string).slice(heading.length).split('\n')) {
        expect(theirs.has(line), `loopd lists '${line}' as creatable, QEMU does not`).toBe(true);
      }
      q.stdout = CHECKED;
      m.stdout = CHECKED;
    }
  });
  await diff(qemu, mine, name);
}

/** The scenario names in `dir` (the shared oracle by default), QMP ones and command-line ones apart. */
export function scenarioNames(base: string = oracleDir()): { qmp: string[]; cmdline: string[] } {
  const dir = join(base, 'scenarios');
  if (!existsSync(dir)) throw new Error(`${dir} not found: the oracle folder is missing (set LOOP_ORACLE_DIR)`);
  const names = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const qmp: string[] = [];
  const cmdline: string[] = [];
  for (const n of names) ('cases' in readJson(join(dir, `${n}.json`)) ? cmdline : qmp).push(n);
  return { qmp, cmdline };
}
