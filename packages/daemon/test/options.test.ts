// The command-line grammar and the -qmp address syntax, one case per rule.
import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseQmpAddress, UsageError } from '../src/index.js';

function usageError(fn: () => unknown): { message: string; location: string | undefined } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('LOOP_ERR_USAGE');
    return { message: (err as UsageError).message, location: (err as UsageError).location };
  }
  throw new Error('expected a UsageError');
}

describe('/options/command-line', () => {
  it('no arguments is the usage case', () => {
    expect(parseCommandLine([])).toEqual({ action: 'usage' });
  });

  it('reads -object, --object, --object=, -qmp and --plugin in order, with their locations', () => {
    const cl = parseCommandLine([
      '-object', 'a,id=x', '--object', 'b,id=y', '--object=c,id=z', '--plugin', './p.mjs', '-qmp', 'unix:/s',
    ]);
    expect(cl.action).toBe('run');
    if (cl.action !== 'run') return;
    expect(cl.objects.map((o) => [o.arg, o.location])).toEqual([
      ['a,id=x', '-object a,id=x'],
      ['b,id=y', '--object b,id=y'],
      ['c,id=z', '--object=c,id=z'],
    ]);
    expect(cl.plugins.map((p) => p.arg)).toEqual(['./p.mjs']);
    expect(cl.qmp.map((q) => q.address)).toEqual([{ kind: 'unix', path: '/s' }]);
  });

  it('--help and --version act where they stand', () => {
    expect(parseCommandLine(['-object', 'x', '--help'])).toEqual({ action: 'help' });
    expect(parseCommandLine(['--version', '-bogus'])).toEqual({ action: 'version' });
    expect(usageError(() => parseCommandLine(['-bogus', '--help']))).toEqual({ message: 'invalid option', location: '-bogus' });
  });

  it('reports a missing argument, a non-option and a bad -qmp at the option', () => {
    expect(usageError(() => parseCommandLine(['-qmp']))).toEqual({ message: 'requires an argument', location: '-qmp' });
    expect(usageError(() => parseCommandLine(['file.img'])).location).toBe('file.img');
    expect(usageError(() => parseCommandLine(['-qmp', 'stdio']))).toEqual({
      message: "'stdio' is not a QMP address: use unix:PATH or tcp:[HOST]:PORT",
      location: '-qmp stdio',
    });
  });
});

describe('/options/qmp-address', () => {
  it('unix paths, with options and ,, escapes', () => {
    expect(parseQmpAddress('unix:/run/l.sock')).toEqual({ kind: 'unix', path: '/run/l.sock' });
    expect(parseQmpAddress('unix:/run/l.sock,server=on,wait=off')).toEqual({ kind: 'unix', path: '/run/l.sock' });
    expect(parseQmpAddress('unix:/a,,b,server,nowait')).toEqual({ kind: 'unix', path: '/a,b' });
  });

  it('tcp: loopback unless a host is given; IPv6 in brackets', () => {
    expect(parseQmpAddress('tcp::4444')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 4444 });
    expect(parseQmpAddress('tcp:0.0.0.0:1,server=on')).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 1 });
    expect(parseQmpAddress('tcp:[::1]:0')).toEqual({ kind: 'tcp', host: '::1', port: 0 });
  });

  it('refuses what loopd cannot do', () => {
    expect(usageError(() => parseQmpAddress('unix:')).message).toBe('unix: needs a socket path');
    expect(usageError(() => parseQmpAddress('tcp:h:65536')).message).toBe("Invalid port '65536'");
    expect(usageError(() => parseQmpAddress('unix:/s,server=off')).message).toMatch(/server=off is not supported/);
    expect(usageError(() => parseQmpAddress('unix:/s,wait=maybe')).message).toBe("Parameter 'wait' expects 'on' or 'off'");
    expect(usageError(() => parseQmpAddress('unix:/s,telnet=on')).message).toBe("Invalid parameter 'telnet'");
  });
});
