// An in-process monitor on a private unix socket, with the test plugin's
// type and commands: the protocol tests talk to it over a real socket.
import { join } from 'node:path';
import { Monitor, type MonitorOptions } from '../../src/index.js';
import { loopdPlugin } from '../fixtures/test-types-plugin.mjs';
import { tempDir } from './daemon.js';

export async function startMonitor(options: MonitorOptions = {}): Promise<{ monitor: Monitor; path: string }> {
  const monitor = new Monitor(options);
  loopdPlugin(monitor as unknown as Parameters<typeof loopdPlugin>[0]);
  const path = join(tempDir(), 'qmp.sock');
  await monitor.listen({ kind: 'unix', path });
  return { monitor, path };
}
