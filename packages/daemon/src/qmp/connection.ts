/**
 * One QMP client connection: greeting, reading requests in QEMU's JSON
 * dialect, queueing them on the daemon's command queue, writing replies and
 * events, and going away without harming anybody else.
 *
 * **Lifecycle**
 *
 * - *open*: the greeting is written at once; the session starts in
 *   negotiation mode. Every complete JSON value (or JSON error) read from
 *   the socket becomes one job on the daemon's queue, so replies come back
 *   in request order, and requests from all clients run one at a time.
 * - *input ended* (the client shut down its sending side): whatever was
 *   complete is still answered, then our side is closed. An unfinished
 *   value at that point is dropped without a reply, as QEMU drops it.
 * - *closed* (the socket closed or failed): queued requests of this client
 *   are dropped; one that is running finishes, and its reply is discarded.
 *
 * **Bounds** The reader refuses a value whose tokens exceed
 * {@link DEFAULT_READER_LIMITS} (`JSON token size limit exceeded` and its
 * siblings), so a client cannot make the daemon buffer without end. Reading
 * pauses while {@link ConnectionOptions.maxPending} requests of this client
 * wait for their replies, or while the client does not read its replies
 * (the socket's write buffer is full), and resumes when that clears.
 *
 * @qemu monitor/qmp.c (monitor_qmp_read, handle_qmp_command, monitor_qmp_event)
 */
import type { Socket } from 'node:net';
import { JsonStreamReader, formatJson, type JsonObject, type JsonReaderLimits, type JsonValue } from '@loop/qom';
import { encodeReply, errorReply, type CommandQueue, type QmpReply, type QmpSession } from './dispatch.js';

/**
 * The reader's bounds on one pending request: 1 MiB of token bytes (a
 * single token included; whitespace is not counted), 256 Ki tokens and 1024
 * nested objects plus arrays. QEMU allows 64 MiB and 2 Mi tokens; no QMP
 * command of @loop comes near 1 MiB, and a smaller bound caps the memory a
 * client can pin.
 *
 * @qemu MAX_TOKEN_SIZE, MAX_TOKEN_COUNT, MAX_NESTING (qobject/json-streamer.c)
 * @since 0.0.0
 */
export const DEFAULT_READER_LIMITS: Required<JsonReaderLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxTokens: 256 * 1024,
  maxDepth: 1024,
});

/**
 * Per-connection settings.
 *
 * @since 0.0.0
 */
export interface ConnectionOptions {
  /** Bounds of one pending request; default {@link DEFAULT_READER_LIMITS}. */
  readonly readerLimits?: JsonReaderLimits;
  /** Requests of one client that may wait for a reply before reading pauses. Default 16. */
  readonly maxPending?: number;
}

/**
 * What a connection needs from the daemon that owns it.
 *
 * @since 0.0.0
 */
export interface ConnectionHost {
  readonly queue: CommandQueue;
  greeting(): JsonObject;
  dispatch(request: JsonValue, connection: QmpConnection): Promise<QmpReply>;
  connectionClosed(connection: QmpConnection): void;
}

let nextSessionId = 1;

/**
 * One client of a QMP server.
 *
 * @qemu MonitorQMP
 * @since 0.0.0
 */
export class QmpConnection {
  readonly session: QmpSession;
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #reader: JsonStreamReader;
  readonly #maxPending: number;
  #pending = 0;
  #inputEnded = false;
  #closed = false;
  #pausedForPending = false;
  #pausedForOutput = false;
  readonly #closedPromise: Promise<void>;

  constructor(socket: Socket, host: ConnectionHost, options: ConnectionOptions = {}) {
    this.#socket = socket;
    this.#host = host;
    this.#reader = new JsonStreamReader(options.readerLimits ?? DEFAULT_READER_LIMITS);
    this.#maxPending = options.maxPending ?? 16;
    this.session = { id: nextSessionId++, mode: 'negotiation', oob: false };
    this.#closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));

    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', () => {
      // ECONNRESET, EPIPE...: the 'close' that follows cleans up.
    });
    socket.on('close', () => this.#onClose());
    socket.on('drain', () => {
      this.#pausedForOutput = false;
      this.#updateFlow();
    });
    this.#write(`${formatJson(host.greeting())}\r\n`);
  }

  /** True once the socket closed; nothing is sent after that. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the socket has closed. */
  whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  /**
   * Sends an event if the session is in command mode (QEMU sends no events
   * before capabilities negotiation).
   *
   * @qemu monitor_qapi_event_emit
   */
  sendEvent(message: JsonObject): void {
    if (this.session.mode !== 'command') return;
    this.#write(`${formatJson(message)}\r\n`);
  }

  /**
   * Closes the connection: flushes what was written, then ends the socket;
   * destroys it if the peer has not closed within `graceMs`.
   */
  async close(graceMs = 1000): Promise<void> {
    if (!this.#socket.destroyed) {
      this.#socket.end();
      const timer = setTimeout(() => this.#socket.destroy(), graceMs);
      timer.unref();
      await this.#closedPromise;
      clearTimeout(timer);
    }
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    for (const item of this.#reader.push(chunk)) {
      this.#pending++;
      this.#host.queue.push(async () => {
        try {
          if (this.#closed) return;
          const reply =
            item.kind === 'error' ? errorReply(item.error) : await this.#host.dispatch(item.value, this);
          this.#write(encodeReply(reply));
        } finally {
          this.#pending--;
          this.#afterReply();
        }
      }, this);
    }
    if (this.#pending >= this.#maxPending) {
      this.#pausedForPending = true;
      this.#updateFlow();
    }
  }

  #afterReply(): void {
    if (this.#closed) return;
    if (this.#pausedForPending && this.#pending < this.#maxPending) {
      this.#pausedForPending = false;
      this.#updateFlow();
    }
    if (this.#inputEnded && this.#pending === 0) this.#socket.end();
  }

  #onEnd(): void {
    // QEMU resets the parser when a client goes: an unfinished value gets no reply.
    this.#inputEnded = true;
    if (this.#pending === 0 && !this.#closed) this.#socket.end();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.queue.dropOwner(this);
    this.#host.connectionClosed(this);
  }

  #write(text: string): void {
    if (this.#closed || this.#socket.destroyed || !this.#socket.writable) return;
    if (!this.#socket.write(text)) {
      this.#pausedForOutput = true;
      this.#updateFlow();
    }
  }

  #updateFlow(): void {
    if (this.#closed) return;
    if (this.#pausedForPending || this.#pausedForOutput) this.#socket.pause();
    else if (!this.#inputEnded) this.#socket.resume();
  }
}
