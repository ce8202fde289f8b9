// The loopd command line, as child processes of the built dist/cli.js:
// error placement (parse phase with `-object ARG:`, create phase bare),
// hints and warnings, help and version, start-up order, signals and quit.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { JsonObject } from '@loop/qom';
import { describe, expect, it } from 'vitest';
import { FIXTURE_PLUGIN, loadTranscript, runCli, startDaemon, tempDir, THROWING_PLUGIN } from './support/daemon.js';
import { QmpTestClient } from './support/qmp-client.js';

const ID_HINT = "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.";

function withPlugin(...args: string[]): string[] {
  return ['--plugin', FIXTURE_PLUGIN, '-qmp', `unix:${join(tempDir(), 'qmp.sock')},server=on,wait=off`, ...args];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('/cli/help', () => {
  it('--help and the usage text name the embedded default', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toContain('Without arguments');
  });

  it('--help goes to stdout, exit 0, and says TCP binds to loopback', async () => {
    for (const flag of ['--help', '-h', '-help']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: loopd/);
      expect(r.stdout).toContain('loopback address 127.0.0.1');
    }
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: 'loopd version 0.0.0 (@loop/daemon)\n', stderr: '' });
  });

  it('-object TYPE,help and -object help print to stdout and exit 0', async () => {
    const typeHelp = await runCli(withPlugin('-object', 'test-gadget,help'));
    expect(typeHelp).toMatchObject({
      code: 0,
      stderr: '',
      stdout:
        'test-gadget options:\n  big=<int>\n  delay-ms=<int>\n  label=<string>\n  level=<int>\n  verbose=<bool>\n',
    });
    for (const arg of ['help', '?']) {
      const list = await runCli(withPlugin('-object', arg));
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^List of user creatable objects:\n/);
      expect(list.stdout).toContain('  test-gadget\n');
    }
  });
});

describe('/cli/errors', () => {
  // [args after the plugin and -qmp, exact stderr]
  const cases: [string[], string][] = [
    // Parse phase: located at the option.
    [['-object', 'test-gadget,id=g0,level=abc'], "loopd: -object test-gadget,id=g0,level=abc: Parameter 'level' expects an int64 value\n"],
    [['--object', 'test-gadget,id=g0,foo=1'], "loopd: --object test-gadget,id=g0,foo=1: Invalid parameter 'foo'\n"],
    [['-object', 'test-gadget,id=a b'], `loopd: -object test-gadget,id=a b: Parameter 'id' expects an identifier\n${ID_HINT}\n`],
    [['-object', 'test-gadget,level=1'], "loopd: -object test-gadget,level=1: Parameter 'id' is missing\n"],
    [
      ['-object', '{"qom-type":"test-gadget","id":"g0","level":"5"}'],
      `loopd: -object {"qom-type":"test-gadget","id":"g0","level":"5"}: Invalid parameter type for 'level', expected: integer\n`,
    ],
    [['-object', 'test-gadget,id=x', '-object', 'test-gadget,id=x'], "loopd: -object test-gadget,id=x: Duplicate ID 'x' for object\n"],
    // Create phase: bare.
    [['-object', 'test-gadget,id=g0,level=101'], 'loopd: level value must be in range [0, 100]\n'],
    [['-object', 'test-gadget,id=g0,label=fail'], 'loopd: gadget refuses to complete\n'],
    [['-object', '{"qom-type":"test-gadget","id":"a,b"}'], `loopd: Parameter 'id' expects an identifier\n${ID_HINT}\n`],
    // Every -object is parsed before any is created: the later parse error wins.
    [
      ['-object', 'test-gadget,id=a,level=101', '-object', 'test-gadget,id=b,level=abc'],
      "loopd: -object test-gadget,id=b,level=abc: Parameter 'level' expects an int64 value\n",
    ],
    // Options.
    [['-object'], 'loopd: -object: requires an argument\n'],
    [['-bogus'], 'loopd: -bogus: invalid option\n'],
    [['-qmp', 'pipe:x'], "loopd: -qmp pipe:x: 'pipe:x' is not a QMP address: use unix:PATH or tcp:[HOST]:PORT\n"],
    [['-qmp', 'tcp::99999'], "loopd: -qmp tcp::99999: Invalid port '99999'\n"],
    [['-qmp', 'unix:/tmp/x.sock,server=off'], 'loopd: -qmp unix:/tmp/x.sock,server=off: loopd only listens for QMP clients: server=off is not supported\n'],
    [['--plugin', THROWING_PLUGIN], `loopd: --plugin ${THROWING_PLUGIN}: this plugin refuses to load\n`],
    [
      ['-qmp', `unix:/tmp/${'a'.repeat(120)}`],
      `loopd: -qmp unix:/tmp/${'a'.repeat(120)}: UNIX socket path '/tmp/${'a'.repeat(120)}' is too long (at most 107 bytes)\n`,
    ],
  ];
  for (const [args, stderr] of cases) {
    it(args.join(' '), async () => {
      const r = await runCli(withPlugin(...args));
      expect(r.stderr).toBe(stderr);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    });
  }

  it('prints the short-form boolean deprecation as QEMU does, and starts', async () => {
    const dir = tempDir();
    const sock = join(dir, 'qmp.sock');
    const arg = 'test-gadget,id=g0,verbose';
    const daemon = await startDaemon(['--plugin', FIXTURE_PLUGIN, '-object', arg, '-qmp', `unix:${sock}`], sock);
    expect(daemon.stderr()).toBe(
      `loopd: -object ${arg}: warning: short-form boolean option 'verbose' deprecated\nPlease use verbose=on instead\n`,
    );
    const client = await QmpTestClient.open(sock);
    expect(await client.execute('qom-get', { path: 'g0', property: 'verbose' })).toEqual({ return: true });
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  it('warns about a short-form boolean before it prints help, as QEMU does', async () => {
    const r = await runCli(withPlugin('-object', 'help,foo'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("loopd: -object help,foo: warning: short-form boolean option 'foo' deprecated\nPlease use foo=on instead\n");
    expect(r.stdout).toMatch(/^List of user creatable objects:\n/);
  });

  it('without -qmp, still reports an object that fails to create as QEMU does', async () => {
    const r = await runCli(['-object', 'iothread,id=io0,poll-max-ns=-1']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'loopd: poll-max-ns value must be in range [0, 9223372036854775807]\n' });
    const ok = await runCli(['-object', 'iothread,id=io0']);
    expect(ok.code).toBe(1);
    expect(ok.stderr).toMatch(/^loopd: no QMP monitor: /);
  });

  it('creates the QMP socket only after every object succeeded', async () => {
    const sock = join(tempDir(), 'qmp.sock');
    const r = await runCli([
      '--plugin',
      FIXTURE_PLUGIN,
      '-qmp',
      `unix:${sock}`,
      '-object',
      'test-gadget,id=slow,delay-ms=300',
      '-object',
      'test-gadget,id=bad,level=101',
    ]);
    expect(r.code).toBe(1);
    expect(existsSync(sock)).toBe(false);
  });

  it('refuses a socket path where another loopd listens, replaces a stale one', async () => {
    const dir = tempDir();
    const sock = join(dir, 'qmp.sock');
    const first = await startDaemon(['-qmp', `unix:${sock}`, '--plugin', FIXTURE_PLUGIN], sock);
    const second = await runCli(['-qmp', `unix:${sock}`, '--plugin', FIXTURE_PLUGIN]);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`loopd: -qmp unix:${sock}: Failed to bind socket to ${sock}: Address already in use\n`);
    first.child.kill('SIGKILL'); // leaves a stale socket file behind
    await first.exited;
    expect(existsSync(sock)).toBe(true);
    const third = await startDaemon(['-qmp', `unix:${sock}`, '--plugin', FIXTURE_PLUGIN], sock);
    const client = await QmpTestClient.open(sock);
    expect(await client.execute('query-name')).toEqual({ return: {} });
    third.child.kill('SIGTERM');
    expect((await third.exited).code).toBe(0);
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    const fourth = await runCli(['-qmp', `unix:${file}`, '--plugin', FIXTURE_PLUGIN]);
    expect(fourth.stderr).toBe(
      `loopd: -qmp unix:${file}: Failed to bind socket to ${file}: File exists and is not a socket\n`,
    );
  });
});

describe('/cli/oracle/90-cmdline-object', () => {
  // The cases of QEMU's command-line transcript whose outcome does not depend
  // on the iothread or main-loop types existing: they fail before any type
  // is looked up, or name a type that exists in neither.
  const names = [
    'comma-escape-id',
    'empty-id',
    'id-with-space',
    'id-with-slash',
    'missing-type',
    'unknown-type',
    'empty-string',
    'json-malformed',
  ];
  const transcript = loadTranscript('90-cmdline-object');
  for (const name of names) {
    it(name, async () => {
      const c = (transcript.cases as JsonObject[]).find((x) => x.name === name)!;
      expect(c, name).toBeDefined();
      const r = await runCli(withPlugin(...(c.args as string[])));
      expect(r.stderr).toBe((c.stderr as string).replaceAll(/^qemu-system-x86_64: /gm, 'loopd: '));
      expect(r.stdout).toBe(c.stdout);
      expect(r.code).toBe(c.exit_code);
    });
  }
});

describe('/cli/lifecycle', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: SHUTDOWN to clients, exit 0, socket removed`, async () => {
      const sock = join(tempDir(), 'qmp.sock');
      const daemon = await startDaemon(['--plugin', FIXTURE_PLUGIN, '-qmp', `unix:${sock},server=on,wait=off`], sock);
      expect(statSync(sock).mode & 0o777).toBe(0o600);
      const client = await QmpTestClient.open(sock);
      daemon.child.kill(signal);
      const event = (await client.next()) as JsonObject;
      expect(event.event).toBe('SHUTDOWN');
      expect(event.data).toEqual({ guest: false, reason: 'host-signal' });
      const result = await daemon.exited;
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(existsSync(sock)).toBe(false);
    });
  }

  it('quit: reply, then the SHUTDOWN event, then a clean exit', async () => {
    const sock = join(tempDir(), 'qmp.sock');
    const daemon = await startDaemon(['-qmp', `unix:${sock}`, '--plugin', FIXTURE_PLUGIN], sock);
    const watcher = await QmpTestClient.open(sock);
    const fresh = await QmpTestClient.connect(sock);
    const client = await QmpTestClient.open(sock);
    client.send({ execute: 'quit', id: 'bye' });
    expect(await client.next()).toEqual({ return: {}, id: 'bye' });
    const event = (await client.next()) as JsonObject;
    expect(Object.keys(event)).toEqual(['timestamp', 'event', 'data']);
    expect(event).toMatchObject({ event: 'SHUTDOWN', data: { guest: false, reason: 'host-qmp-quit' } });
    const ts = event.timestamp as { seconds: number; microseconds: number };
    expect(Object.keys(ts)).toEqual(['seconds', 'microseconds']);
    expect((await watcher.next()) as JsonObject).toMatchObject({ event: 'SHUTDOWN' });
    await Promise.all([client.closed, watcher.closed, fresh.closed]);
    expect(fresh.pending).toEqual([]); // no events before negotiation
    expect(await daemon.exited).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(sock)).toBe(false);
  });

  it('removes its socket even when a plugin crashes the process', async () => {
    const sock = join(tempDir(), 'qmp.sock');
    const daemon = await startDaemon(['-qmp', `unix:${sock}`, '--plugin', FIXTURE_PLUGIN], sock);
    const client = await QmpTestClient.open(sock);
    expect(await client.execute('x-test-crash')).toEqual({ return: {} });
    const result = await daemon.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('plugin crashed');
    expect(existsSync(sock)).toBe(false);
  });

  it('serves on a TCP port (loopback when no host is given) and on a unix socket at once', async () => {
    const port = await freePort();
    const sock = join(tempDir(), 'qmp.sock');
    const daemon = await startDaemon(
      ['--plugin', FIXTURE_PLUGIN, '-qmp', `tcp::${port},server=on,wait=off`, '-qmp', `unix:${sock}`],
      sock,
    );
    const tcp = await QmpTestClient.open({ host: '127.0.0.1', port });
    const unix = await QmpTestClient.open(sock);
    expect(await tcp.execute('object-add', { 'qom-type': 'test-gadget', id: 't1' })).toEqual({ return: {} });
    expect(await unix.execute('qom-get', { path: '/objects/t1', property: 'level' })).toEqual({ return: 0 });
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });
});
