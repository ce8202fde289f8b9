/**
 * Replays the QMP-independent part of an oracle transcript against the QOM
 * API: the `-object` arguments of the recorded command line, then every step
 * whose command maps onto an API entry point with well-formed arguments
 * (argument-schema errors such as a missing `path` are the monitor's job and
 * are tested in @loop/daemon). The oracle is read at test time from
 * $LOOP_ORACLE_DIR (default: ../shared/oracle beside the checkout).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  objectAdd,
  objectDel,
  objectGetObjectsRoot,
  parseJson,
  parseObjectOption,
  qomGet,
  qomList,
  qomListProperties,
  qomListTypes,
  qomSet,
  userCreatableAddType,
  type JsonObject,
  type JsonValue,
  type ObjectOptions,
} from '@loop/qom';
import { queryIothreads } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

export function oracleDir(): string {
  return process.env.LOOP_ORACLE_DIR ?? resolve(here, '../../../../../shared/oracle');
}

export function loadTranscript(name: string): JsonObject {
  const path = join(oracleDir(), 'transcripts', 'qemu', `${name}.json`);
  if (!existsSync(path)) throw new Error(`oracle transcript missing: ${path} (set LOOP_ORACLE_DIR)`);
  return parseJson(readFileSync(path, 'utf8')) as JsonObject;
}

type Reply = { return: unknown } | { error: { class: string; desc: string } };

async function reply(fn: () => unknown): Promise<Reply> {
  try {
    return { return: await fn() };
  } catch (err) {
    const e = err as { qmpClass?: string; message: string };
    return { error: { class: e.qmpClass ?? 'GenericError', desc: e.message } };
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** The API call for one step, or undefined when the step is the monitor's business. */
function apiCall(execute: string, args: JsonObject): (() => unknown) | undefined {
  switch (execute) {
    case 'query-iothreads':
      return Object.keys(args).length === 0 ? () => queryIothreads() : undefined;
    case 'qom-list':
      return isString(args.path) && Object.keys(args).length === 1 ? () => qomList(args.path as string) : undefined;
    case 'qom-get':
      return isString(args.path) && isString(args.property) && Object.keys(args).length === 2
        ? () => qomGet(args.path as string, args.property as string)
        : undefined;
    case 'qom-set':
      return isString(args.path) && isString(args.property) && 'value' in args && Object.keys(args).length === 3
        ? () => qomSet(args.path as string, args.property as string, args.value)
        : undefined;
    case 'object-add':
      return () => objectAdd(args);
    case 'object-del':
      return isString(args.id) && Object.keys(args).length === 1 ? () => objectDel(args.id as string) : undefined;
    case 'qom-list-properties':
      return isString(args.typename) && Object.keys(args).length === 1 ? () => qomListProperties(args.typename as string) : undefined;
    case 'qom-list-types':
      return undefined; // lists QEMU's 600+ types; compared in @loop/daemon with the documented exceptions
    default:
      return undefined;
  }
}

/** Masks what differs on every run and sorts the lists QEMU returns in hash order, as qmp_oracle.py's diff does. */
export function normalise(execute: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const r = value as { return?: unknown };
  if (!('return' in r) || !Array.isArray(r.return)) return value;
  let list = r.return as Array<Record<string, unknown>>;
  if (execute === 'query-iothreads') list = list.map((e) => ({ ...e, 'thread-id': typeof e['thread-id'] === 'number' || typeof e['thread-id'] === 'bigint' ? '<tid>' : e['thread-id'] }));
  if (['query-iothreads', 'qom-list', 'qom-list-properties', 'qom-list-types'].includes(execute)) {
    list = [...list].sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
  }
  return { return: list };
}

/** JSON with sorted keys, so that key order does not decide list order. */
function canonical(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))), (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v,
  );
}

export interface StepResult {
  readonly step: number;
  readonly send: JsonValue;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** Creates the transcript's command-line objects: every -object parsed first, then created in order. */
export async function applyCommandLine(transcript: JsonObject): Promise<void> {
  const argv = ((transcript.target as JsonObject).argv as string[]) ?? [];
  const options: ObjectOptions[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-object') {
      const parsed = parseObjectOption(argv[++i]!);
      if (parsed.kind === 'options') options.push(parsed.options);
    }
  }
  for (const o of options) await userCreatableAddType(o);
}

/** Runs the API-level steps; returns each with QEMU's and our normalised reply. */
export async function replay(transcript: JsonObject): Promise<StepResult[]> {
  await applyCommandLine(transcript);
  const out: StepResult[] = [];
  for (const s of transcript.steps as JsonObject[]) {
    const send = s.send as JsonObject | undefined;
    if (!send || !('response' in s)) continue;
    const execute = send.execute as string;
    const call = apiCall(execute, (send.arguments as JsonObject | undefined) ?? {});
    if (!call) continue;
    const actual = await reply(call);
    out.push({ step: s.step as number, send, expected: normalise(execute, s.response), actual: normalise(execute, actual) });
  }
  return out;
}

/** Deletes every object under /objects that can be deleted, so the next scenario starts clean. */
export async function cleanObjects(): Promise<void> {
  for (const obj of [...objectGetObjectsRoot().children()]) {
    try {
      await objectDel(obj.id!);
    } catch {
      // main-loop cannot be deleted; that is what the scenarios expect
    }
  }
}
