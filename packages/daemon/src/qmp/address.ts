/**
 * The `-qmp` address syntax: `unix:PATH[,server=on][,wait=off]` and
 * `tcp:[HOST]:PORT[,server=on][,wait=off]`, a subset of QEMU's character
 * device shorthand. loopd only listens, so `server=off` (connect out as a
 * client) is refused; `wait` is accepted and has no effect, because loopd
 * never holds start-up for a first client.
 *
 * A TCP address without a host (`tcp::4444`) binds to 127.0.0.1 (QEMU binds
 * to every interface there); give `0.0.0.0` or `::` explicitly to listen
 * elsewhere. IPv6 hosts go in brackets: `tcp:[::1]:4444`. A `,` inside a
 * path is written `,,`.
 *
 * @qemu qemu_chr_parse_compat (chardev/char.c), socket chardev options
 */
import { UsageError } from '../errors.js';

/**
 * A parsed `-qmp` address.
 *
 * @since 0.0.0
 */
export type QmpAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** The host a TCP address without one binds to. */
export const DEFAULT_TCP_HOST = '127.0.0.1';

/** Splits at single commas; `,,` is a literal comma. */
function splitOptions(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',') {
      if (text[i + 1] === ',') {
        current += ',';
        i++;
        continue;
      }
      parts.push(current);
      current = '';
      continue;
    }
    current += text[i];
  }
  parts.push(current);
  return parts;
}

function parseBool(name: string, value: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(value)) return true;
  if (['off', 'no', 'false', 'n'].includes(value)) return false;
  throw new UsageError(`Parameter '${name}' expects 'on' or 'off'`);
}

/**
 * Parses a `-qmp` argument.
 *
 * @throws {UsageError} `LOOP_ERR_USAGE` naming what is wrong (no location:
 *   the caller adds `-qmp ARG`).
 * @example
 * parseQmpAddress('unix:/run/loopd.sock,server=on,wait=off'); // { kind: 'unix', path: '/run/loopd.sock' }
 * parseQmpAddress('tcp::4444'); // { kind: 'tcp', host: '127.0.0.1', port: 4444 }
 * @qemu qemu_chr_parse_compat
 * @since 0.0.0
 */
export function parseQmpAddress(spec: string): QmpAddress {
  const [head = '', ...options] = splitOptions(spec);
  for (const option of options) {
    if (option === '') continue;
    const eq = option.indexOf('=');
    const name = eq < 0 ? option : option.slice(0, eq);
    const value = eq < 0 ? 'on' : option.slice(eq + 1);
    if (name === 'server') {
      if (!parseBool(name, value)) throw new UsageError(`loopd only listens for QMP clients: server=off is not supported`);
    } else if (name === 'wait') {
      parseBool(name, value);
    } else if (name === 'nowait' && eq < 0) {
      // QEMU's short form of wait=off.
    } else {
      throw new UsageError(`Invalid parameter '${name}'`);
    }
  }
  if (head.startsWith('unix:')) {
    const path = head.slice('unix:'.length);
    if (path === '') throw new UsageError(`unix: needs a socket path`);
    return { kind: 'unix', path };
  }
  if (head.startsWith('tcp:')) {
    const rest = head.slice('tcp:'.length);
    let host: string;
    let portText: string;
    const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(rest);
    if (bracketed) {
      host = bracketed[1]!;
      portText = bracketed[2]!;
    } else {
      const colon = rest.lastIndexOf(':');
      if (colon < 0) throw new UsageError(`tcp: needs HOST:PORT (HOST may be empty for ${DEFAULT_TCP_HOST})`);
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`Invalid port '${portText}'`);
    return { kind: 'tcp', host: host === '' ? DEFAULT_TCP_HOST : host, port: Number(portText) };
  }
  throw new UsageError(`'${head}' is not a QMP address: use unix:PATH or tcp:[HOST]:PORT`);
}
