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
 * 4. the QMP sockets are created;
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
import { parseObjectOption, userCreatableAddType, type ObjectOptions } from '@loop/qom';
import { UsageError } from './errors.js';
import { Monitor, type ShutdownReason } from './monitor.js';
import { helpText, parseCommandLine, type GivenOption } from './options.js';
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
  let commandLine;
  try {
    commandLine = parseCommandLine(argv);
  } catch (err) {
    report(err instanceof UsageError ? err.location : undefined, messageOf(err));
    return 1;
  }
  switch (commandLine.action) {
    case 'usage':
      // No embedded default yet: it arrives with @loop/main-loop and @loop/iothread.
      process.stderr.write(helpText());
      return 1;
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

  const monitor = new Monitor();
  // Whatever ends the process (even an uncaught exception in a plugin), our socket files go with it.
  process.on('exit', () => {
    for (const server of monitor.servers) server.removeSocketFile();
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
      if (result.kind === 'help') {
        process.stdout.write(result.text);
        return 0;
      }
      printWarnings(given.location, result.warnings);
      parsed.push({ given, options: result.options });
    } catch (err) {
      printWarnings(given.location, warningsOf(err));
      report(phaseOf(err) === 'create' ? undefined : given.location, messageOf(err), hintOf(err));
      return 1;
    }
  }

  if (commandLine.qmp.length === 0) {
    report(
      undefined,
      'no QMP monitor: add -qmp unix:PATH or -qmp tcp:[HOST]:PORT ' +
        '(a default monitor arrives with @loop/main-loop and @loop/iothread)',
    );
    return 1;
  }

  for (const { given, options } of parsed) {
    try {
      await userCreatableAddType(options);
    } catch (err) {
      report(phaseOf(err) === 'parse' ? given.location : undefined, messageOf(err), hintOf(err));
      return 1;
    }
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
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    report(undefined, `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
