/**
 * A listening QMP socket: a unix socket (mode 0600, removed again on close)
 * or a TCP port, each accepted client becoming a {@link QmpConnection}.
 * Several clients may be connected at once; their requests share the
 * daemon's one command queue.
 *
 * **Unix sockets** A stale socket file at the path (nobody accepts on it)
 * is replaced, as QEMU replaces it; a live one is an error (`Address already
 * in use`), and so is a path that exists and is not a socket. The socket is
 * created with umask 0177, so it is never reachable by others, not even
 * briefly, and chmod'ed to 0600 once bound. On close the file is removed if
 * it is still the one we created.
 *
 * @qemu chardev/char-socket.c (server mode), io/channel-socket.c
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { UsageError } from '../errors.js';
import type { QmpAddress } from './address.js';
import { QmpConnection, type ConnectionHost, type ConnectionOptions } from './connection.js';

/**
 * Server settings.
 *
 * @since 0.0.0
 */
export interface QmpServerOptions extends ConnectionOptions {
  /** Clients connected at once; more are refused (closed at once). Default 64. */
  readonly maxConnections?: number;
}

/** What {@link QmpServer} needs from its host besides what a connection needs. */
export interface ServerHost extends ConnectionHost {
  connectionOpened(connection: QmpConnection): void;
}

function probeUnixSocket(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** sun_path holds 108 bytes including the terminating NUL. */
const UNIX_PATH_MAX = 107;

async function prepareUnixPath(path: string): Promise<void> {
  // libuv would silently truncate a longer path and bind somewhere else.
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) {
    throw new UsageError(`UNIX socket path '${path}' is too long (at most ${UNIX_PATH_MAX} bytes)`);
  }
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new UsageError(`Failed to bind socket to ${path}: File exists and is not a socket`);
  if (await probeUnixSocket(path)) throw new UsageError(`Failed to bind socket to ${path}: Address already in use`);
  unlinkSync(path);
}

function listen(server: Server, address: QmpAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const where = address.kind === 'unix' ? ` to ${address.path}` : '';
      reject(new UsageError(`Failed to bind socket${where}: ${err.message}`, undefined, { cause: err }));
    };
    server.once('error', onError);
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (address.kind === 'unix') {
      // The bind happens inside listen(): keep the socket private from the start.
      // (Worker threads cannot change the umask; there the chmod below must do.)
      let old: number | undefined;
      try {
        old = process.umask(0o177);
      } catch {
        old = undefined;
      }
      try {
        server.listen({ path: address.path }, onListening);
      } finally {
        if (old !== undefined) process.umask(old);
      }
    } else {
      server.listen({ host: address.host, port: address.port }, onListening);
    }
  });
}

/**
 * One listening QMP endpoint.
 *
 * @qemu monitor_init_qmp + a server socket chardev
 * @since 0.0.0
 */
export class QmpServer {
  readonly address: QmpAddress;
  readonly #server: Server;
  readonly #connections = new Set<QmpConnection>();
  #inode: number | undefined;
  #closing: Promise<void> | undefined;

  private constructor(address: QmpAddress, server: Server) {
    this.address = address;
    this.#server = server;
  }

  /**
   * Starts listening on `address`; resolves once bound.
   *
   * @throws {UsageError} `LOOP_ERR_USAGE` (`Failed to bind socket ...`) when the address cannot be used.
   */
  static async listen(address: QmpAddress, host: ServerHost, options: QmpServerOptions = {}): Promise<QmpServer> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
    server.maxConnections = options.maxConnections ?? 64;
    const qmp = new QmpServer(address, server);
    server.on('connection', (socket: Socket) => {
      if (qmp.#closing) {
        socket.destroy();
        return;
      }
      if (address.kind === 'tcp') socket.setNoDelay(true);
      const connection = new QmpConnection(socket, host, options);
      qmp.#connections.add(connection);
      void connection.whenClosed().then(() => qmp.#connections.delete(connection));
      host.connectionOpened(connection);
    });
    server.on('error', () => {
      // After listening, errors concern single accepts; the server stays up.
    });
    if (address.kind === 'unix') await prepareUnixPath(address.path);
    await listen(server, address);
    if (address.kind === 'unix') {
      chmodSync(address.path, 0o600);
      qmp.#inode = lstatSync(address.path).ino;
    }
    return qmp;
  }

  /** Where the server listens: the unix path, or the bound TCP address (with the real port when 0 was asked). */
  get boundAddress(): string | AddressInfo {
    if (this.address.kind === 'unix') return this.address.path;
    return this.#server.address() as AddressInfo;
  }

  /** The clients connected now. */
  get connections(): ReadonlySet<QmpConnection> {
    return this.#connections;
  }

  /**
   * Stops accepting, closes every client (flushing what was written to it),
   * and removes the unix socket file. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.removeSocketFile();
    await Promise.all([...this.#connections].map((c) => c.close()));
    await stopped;
  }

  /**
   * Removes the unix socket file now, synchronously, if it is still the one
   * this server created (for an `exit` handler; {@link close} does it too).
   */
  removeSocketFile(): void {
    if (this.address.kind !== 'unix' || this.#inode === undefined) return;
    try {
      if (lstatSync(this.address.path).ino === this.#inode) unlinkSync(this.address.path);
    } catch {
      // Already gone.
    }
  }
}
