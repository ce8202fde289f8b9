/**
 * loopd's command line: which options exist, their syntax, and the help text.
 *
 * Grammar (every option may be written with one or two dashes, as in
 * qemu-system; the two-dash form also takes `--opt=ARG`):
 *
 * ```
 * loopd [-object ARG]... [-qmp ADDRESS]... [--plugin MODULE]... [--help] [--version]
 * ```
 *
 * Options are read in order. `--help` and `--version` act when they are
 * reached; an unknown option or a missing argument stops the parse with an
 * error located at the option (`-foo: invalid option`, `-object: requires
 * an argument`), as qemu-system reports them. `-qmp` addresses are checked
 * here, `-object` arguments later (they need the plugins' types).
 *
 * @qemu softmmu/vl.c (qemu_init option loop, lookup_opt)
 */
import { UsageError } from './errors.js';
import { DEFAULT_TCP_HOST, parseQmpAddress, type QmpAddress } from './qmp/address.js';

/** One option as given: how it was spelled (for error locations) and its argument. */
export interface GivenOption {
  /** The option as typed, e.g. `-object` or `--object`. */
  readonly option: string;
  readonly arg: string;
  /** `loopd: <location>: ...` for errors about this option: `-object ARG`, or `--object=ARG` as typed. */
  readonly location: string;
}

/**
 * The parsed command line.
 *
 * @since 0.0.0
 */
export type CommandLine =
  | { readonly action: 'help' }
  | { readonly action: 'version' }
  | { readonly action: 'usage' }
  | {
      readonly action: 'run';
      readonly objects: readonly GivenOption[];
      readonly qmp: readonly (GivenOption & { readonly address: QmpAddress })[];
      readonly plugins: readonly GivenOption[];
    };

const WITH_ARG = new Set(['object', 'qmp', 'plugin']);

/**
 * Parses `argv` (without the node and script paths).
 *
 * @throws {UsageError} `LOOP_ERR_USAGE` with the location of the bad option.
 * @since 0.0.0
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  if (argv.length === 0) return { action: 'usage' };
  const objects: GivenOption[] = [];
  const qmp: (GivenOption & { address: QmpAddress })[] = [];
  const plugins: GivenOption[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-') || word === '-' || word === '--') {
      throw new UsageError('invalid argument: loopd takes options only', word);
    }
    const body = word.startsWith('--') ? word.slice(2) : word.slice(1);
    const eq = word.startsWith('--') ? body.indexOf('=') : -1;
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'help' || name === 'h') {
      if (eq >= 0) throw new UsageError('invalid option', word);
      return { action: 'help' };
    }
    if (name === 'version') {
      if (eq >= 0) throw new UsageError('invalid option', word);
      return { action: 'version' };
    }
    if (!WITH_ARG.has(name)) throw new UsageError('invalid option', word);
    let arg: string;
    let location: string;
    if (eq >= 0) {
      arg = body.slice(eq + 1);
      location = word;
    } else {
      if (i + 1 >= argv.length) throw new UsageError('requires an argument', word);
      arg = argv[++i]!;
      location = `${word} ${arg}`;
    }
    const given: GivenOption = { option: eq >= 0 ? word.slice(0, word.indexOf('=')) : word, arg, location };
    if (name === 'object') objects.push(given);
    else if (name === 'plugin') plugins.push(given);
    else {
      try {
        qmp.push({ ...given, address: parseQmpAddress(arg) });
      } catch (err) {
        if (err instanceof UsageError) throw new UsageError(err.message, location, { cause: err });
        throw err;
      }
    }
  }
  return { action: 'run', objects, qmp, plugins };
}

/**
 * The text of `loopd --help`.
 *
 * @since 0.0.0
 */
export function helpText(): string {
  return `Usage: loopd [options]

loopd hosts @loop's QEMU-style objects behind a QMP monitor that QEMU's
QMP clients can drive (object-add, qom-get, qom-set, ...).

Options:
  -object TYPE,id=ID[,PROP=VALUE...]
  -object {"qom-type":TYPE,"id":ID,...}
                 create a user-creatable object (repeatable). All -object
                 options are parsed first, then the objects are created in
                 order. '-object TYPE,help' lists TYPE's properties and
                 '-object help' the creatable types.
  -qmp unix:PATH[,server=on][,wait=off]
                 serve QMP on a unix socket, created with mode 0600 and
                 removed on exit (repeatable)
  -qmp tcp:[HOST]:PORT[,server=on][,wait=off]
                 serve QMP on a TCP port. Without HOST it binds to the
                 loopback address ${DEFAULT_TCP_HOST} only; QMP has no
                 authentication, so give another address only on a trusted
                 network
  --plugin MODULE
                 import an ES module (a path or a package name) before the
                 objects are parsed, so that it can register QOM types
                 (repeatable). Code is loaded only from the command line,
                 never over QMP.
  -h, --help     print this help and exit
  --version      print the version and exit

Without arguments, loopd runs its embedded default: a main-loop object, one
iothread 'io0', and a QMP unix socket in a new private directory (mode 0700,
socket 0600) whose path it prints to stderr; both are removed on exit.

Every option may be written with one or two dashes. The QMP sockets are
created only after every --plugin and -object succeeded. SIGINT and SIGTERM
shut loopd down cleanly (exit status 0), as does the QMP command 'quit'.
`;
}
