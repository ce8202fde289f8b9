#!/usr/bin/env node
/**
 * `loopd`: the command-line entry point.
 *
 * Start-up runs in this order, so that nothing is reachable over QMP before
 * the whole command line succeeded:
 *
 * 1. the command line is read (`--help` and `--version` act here);
 * 2. every `--plugin` is imported, in order (it may register QOM types and,
 *    through `loopdPlugin(monitor)`, QMP commands);
 * 3. every `-object` is parsed, in order (`TYPE,help` and `help` print to
 *    stdout and exit 0), then every object is created, in order, as
 *    qemu-system does;
 * 4. the QMP sockets are created (without any `-qmp`, loopd stops here
 *    with an error: it has nothing else to serve);
 * 5. loopd serves until `quit`, SIGINT or SIGTERM, then closes the
 *    sockets (unix socket files removed) and exits 0.
 *
 * Errors go to stderr as `loopd: <location>: <message>`, followed by a hint
 * line when the error has one, and loopd exits 1. As in qemu-system, an
 * error found while an `-object` is parsed is located at the option
 * (`loopd: -object ARG: ...`), one found while the object is created is
 * printed bare (`loopd: ...`). A deprecated short-form boolean (`-object
 * t,id=x,flag`) prints `loopd: -object ARG: warning: short-form boolean
 * option 'flag' deprecated` and `Please use flag=on instead`.
 *
 * @qemu softmmu/vl.c (qemu_init, object_option_parse, qemu_create_early_backends)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@loop/iothread';
import { initMainLoop } from '@loop/main-loop';
import { objectDel, objectGetObjectsRoot, parseObjectOption, userCreatableAddType, type ObjectOptions } from '@loop/qom';
import { UsageError } from './errors.js';
import { Monitor, type ShutdownReason } from './monitor.js';
import { helpText, parseCommandLine, type CommandLine, type GivenOption } from './options.js';
import { parseQmpAddress } from './qmp/address.js';
import { loadPlugin } from './plugin.js';
import { daemonVersion } from './version.js';

const PROG = 'loopd';

/** `loopd: [location: ]message` plus the hint line. */
function report(location: string | undefined, message: string, hint?: string): void {
  let text = `${PROG}: ${location === undefined ? '' : `${location}: `}${message}\n`;
  if (hint !== undefined && hint !== '') text += `${hint}\n`;
  process.stderr.write(text);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hintOf(err: unknown): string | undefined {
  const hint = (err as { hint?: unknown } | null)?.hint;
  return typeof hint === 'string' ? hint : undefined;
}

function phaseOf(err: unknown): string | undefined {
  const phase = (err as { phase?: unknown } | null)?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

/**
 * Deprecation lines come in pairs: the warning (printed with the option's
 * location, as QEMU's warn_report does) and the advice (a bare line).
 */
function printWarnings(location: string, warnings: readonly string[]): void {
  for (let i = 0; i < warnings.length; i++) {
    if (i % 2 === 0) process.stderr.write(`${PROG}: ${location}: warning: ${warnings[i]}\n`);
    else process.stderr.write(`${warnings[i]}\n`);
  }
}

/** Warnings a parse error may carry (the ones QEMU printed before failing). */
function warningsOf(err: unknown): readonly string[] {
  const warnings = (err as { warnings?: unknown } | null)?.warnings;
  return Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [];
}

/**
 * Runs loopd with `argv` (without the node and script paths); resolves to
 * the exit status.
 *
 * @qemu qemu_init + qemu_main_loop
 * @since 0.0.0
 */
export async function main(argv: readonly string[]): Promise<number> {
  let commandLine: CommandLine;
  try {
    commandLine = parseCommandLine(argv);
  } catch (err) {
    report(err instanceof UsageError ? err.location : undefined, messageOf(err));
    return 1;
  }
  let privateDir: string | undefined;
  switch (commandLine.action) {
    case 'usage':
      privateDir = mkdtempSync(join(tmpdir(), 'loopd-'));
      commandLine = embeddedDefault(privateDir);
      break;
    case 'help':
      process.stdout.write(helpText());
      return 0;
    case 'version':
      process.stdout.write(`${PROG} version ${daemonVersion()} (@loop/daemon)\n`);
      return 0;
    default:
      break;
  }

  // Signals before the sockets exist simply end the process with status 0.
  let stopping: ((reason: ShutdownReason) => void) | undefined;
  const onSignal = (): void => {
    if (stopping) stopping('host-signal');
    else process.exit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (commandLine.action !== 'run') return 1;
  // The main loop exists before any object, as in qemu-system.
  initMainLoop();
  const monitor = new Monitor();
  // Whatever ends the process (even an uncaught exception in a plugin), our socket files go with it.
  process.on('exit', () => {
    for (const server of monitor.servers) server.removeSocketFile();
    if (privateDir !== undefined) rmSync(privateDir, { recursive: true, force: true });
  });

  for (const plugin of commandLine.plugins) {
    try {
      const module = await loadPlugin(plugin.arg);
      if (typeof module.loopdPlugin === 'function') await module.loopdPlugin(monitor);
    } catch (err) {
      report(plugin.location, messageOf(err));
      return 1;
    }
  }

  const parsed: { given: GivenOption; options: ObjectOptions }[] = [];
  for (const given of commandLine.objects) {
    try {
      const result = parseObjectOption(given.arg);
      // QEMU warns about short-form booleans while it parses, so before
      // it prints a help text too (`help,foo`).
      printWarnings(given.location, result.warnings);
      if (result.kind === 'help') {
        process.stdout.write(result.text);
        return 0;
      }
      parsed.push({ given, options: result.options });
    } catch (err) {
      printWarnings(given.location, warningsOf(err));
      report(phaseOf(err) === 'create' ? undefined : given.location, messageOf(err), hintOf(err));
      return 1;
    }
  }

  for (const { given, options } of parsed) {
    try {
      await userCreatableAddType(options);
    } catch (err) {
      report(phaseOf(err) === 'parse' ? given.location : undefined, messageOf(err), hintOf(err));
      return 1;
    }
  }

  // Only after the objects: qemu-system needs no monitor, so an -object
  // that fails to create is reported as QEMU reports it even without -qmp.
  if (commandLine.qmp.length === 0) {
    report(undefined, 'no QMP monitor: add -qmp unix:PATH or -qmp tcp:[HOST]:PORT (or run loopd without arguments)');
    return 1;
  }

  for (const qmp of commandLine.qmp) {
    try {
      await monitor.listen(qmp.address);
    } catch (err) {
      await monitor.close();
      report(qmp.location, messageOf(err));
      return 1;
    }
  }

  if (privateDir !== undefined) {
    const socket = (commandLine.qmp[0]!.address as { path: string }).path;
    process.stderr.write(
      `${PROG}: QMP on ${socket}\n` +
        `${PROG}: main-loop and iothread io0 are running; try: socat - UNIX-CONNECT:${socket} (then {"execute":"qmp_capabilities"}); Ctrl-C stops\n`,
    );
  }

  await new Promise<void>((resolve) => {
    monitor.once('shutdown', () => resolve());
    stopping = (why) => {
      // A second signal, or a command that never finishes, must not keep loopd alive.
      if (monitor.shutdownReason !== undefined) resolve();
      monitor.requestShutdown(why);
      setTimeout(resolve, 2000).unref();
    };
  });
  await monitor.close();
  await deleteObjects();
  return 0;
}

/**
 * What `loopd` runs with no arguments: a main-loop, one iothread `io0`, and
 * a QMP socket in a directory only this user can enter.
 */
function embeddedDefault(dir: string): CommandLine {
  const object = (arg: string): GivenOption => ({ option: '-object', arg, location: `-object ${arg}` });
  const qmp = `unix:${join(dir, 'qmp.sock')},server=on,wait=off`;
  return {
    action: 'run',
    objects: [object('main-loop,id=main-loop'), object('iothread,id=io0')],
    qmp: [{ option: '-qmp', arg: qmp, location: `-qmp ${qmp}`, address: parseQmpAddress(qmp) }],
    plugins: [],
  };
}

/** Deletes the deletable objects (iothreads join their threads), newest first, as finalization at exit. */
async function deleteObjects(): Promise<void> {
  const ids = [...objectGetObjectsRoot().children()].map((o) => o.id!).reverse();
  for (const id of ids) {
    try {
      await objectDel(id);
    } catch {
      // main-loop and objects whose type refuses deletion stay until exit
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    report(undefined, `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
