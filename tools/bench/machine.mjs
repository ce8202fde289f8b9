// @ts-check
/**
 * What the numbers were measured on. On this VM kind a blocking cross-CPU
 * wake costs ~50 µs because an idle vCPU halts (cpuidle haltpoll with
 * guest_halt_poll_ns = 0), so the idle driver and halt-poll setting are
 * recorded next to the usual cores / model / kernel: a reader on another
 * machine needs them to know why the absolute figures differ.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

/**
 * @typedef {object} Machine
 * @property {number} cores
 * @property {string} cpuModel
 * @property {string} node
 * @property {string} v8
 * @property {string} uv
 * @property {string} kernel
 * @property {string} date        ISO time at the start of the run
 * @property {number[]} loadavg   1, 5, 15 minutes at the start
 * @property {number} memGiB
 * @property {string} cpuidle     cpuidle driver, or 'unknown'
 * @property {string} haltPollNs  guest_halt_poll_ns, or 'n/a'
 * @property {string} hypervisor  from /proc/cpuinfo flags, or 'none'
 * @property {Record<string, string>} peers  peer library versions
 * @property {string} commit      git HEAD (+ "-dirty" when the tree has changes)
 */

/** @param {string} path */
function readOr(path, fallback = 'unknown') {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** @param {string} name @param {URL} root */
function packageVersion(name, root) {
  try {
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, root), 'utf8')).version;
  } catch {
    return 'missing';
  }
}

/** @param {URL} root */
function gitCommit(root) {
  try {
    const cwd = root.pathname;
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * @param {URL} root  the workspace root (for peer versions and git)
 * @returns {Machine}
 */
export function describeMachine(root) {
  const info = readOr('/proc/cpuinfo', '');
  const flags = /^flags\s*:(.*)$/m.exec(info)?.[1] ?? '';
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    v8: process.versions.v8,
    uv: process.versions.uv,
    kernel: `${release()} (${readOr('/proc/sys/kernel/ostype', 'Linux')})`,
    date: new Date().toISOString(),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
    memGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    cpuidle: readOr('/sys/devices/system/cpu/cpuidle/current_driver'),
    haltPollNs: readOr('/sys/module/haltpoll/parameters/guest_halt_poll_ns', 'n/a'),
    hypervisor: / hypervisor( |$)/.test(flags) ? 'yes (guest)' : 'none',
    peers: { piscina: packageVersion('piscina', root), tinypool: packageVersion('tinypool', root) },
    commit: gitCommit(root),
  };
}
