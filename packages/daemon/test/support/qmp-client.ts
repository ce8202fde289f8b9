// A minimal QMP client for the tests: raw bytes out, one parsed message per
// line in (QEMU's JSON dialect via @loop/qom, so 64-bit integers stay exact).
import { createConnection, type Socket } from 'node:net';
import { formatJson, parseJson, type JsonObject, type JsonValue } from '@loop/qom';

export type Target = string | { host: string; port: number };

export class QmpTestClient {
  readonly socket: Socket;
  greeting: JsonValue = null;
  #buffer = '';
  #messages: JsonValue[] = [];
  #waiters: ((m: JsonValue | undefined) => void)[] = [];
  #ended = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.#buffer += text;
      for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line.trim() !== '') this.#deliver(parseJson(line));
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.#ended = true;
        for (const w of this.#waiters.splice(0)) w(undefined);
        resolve();
      }),
    );
  }

  static async connect(target: Target): Promise<QmpTestClient> {
    const socket = typeof target === 'string' ? createConnection({ path: target }) : createConnection(target);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new QmpTestClient(socket);
    client.greeting = await client.next();
    return client;
  }

  /** Connects and negotiates capabilities. */
  static async open(target: Target): Promise<QmpTestClient> {
    const client = await QmpTestClient.connect(target);
    const reply = await client.execute('qmp_capabilities');
    if (formatJson(reply) !== '{"return": {}}') throw new Error(`negotiation failed: ${formatJson(reply)}`);
    return client;
  }

  #deliver(message: JsonValue): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(message);
    else this.#messages.push(message);
  }

  /** The next message (reply or event); rejects after `timeoutMs` or when the socket closed first. */
  next(timeoutMs = 3000): Promise<JsonValue> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#ended) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no QMP message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (m: JsonValue | undefined): void => {
        clearTimeout(timer);
        if (m === undefined) reject(new Error('connection closed'));
        else resolve(m);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Messages received and not consumed yet. */
  get pending(): readonly JsonValue[] {
    return this.#messages;
  }

  sendRaw(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  send(message: JsonObject): void {
    this.socket.write(`${formatJson(message)}\n`);
  }

  /** Sends a command and returns the next message that is not an event. */
  async execute(command: string, args?: JsonObject, id?: JsonValue): Promise<JsonValue> {
    const message: JsonObject = { execute: command };
    if (args !== undefined) message.arguments = args;
    if (id !== undefined) message.id = id;
    this.send(message);
    return this.nextReply();
  }

  async nextReply(timeoutMs?: number): Promise<JsonValue> {
    for (;;) {
      const m = await this.next(timeoutMs);
      if (!(typeof m === 'object' && m !== null && 'event' in m)) return m;
    }
  }

  /** Every message until the server closes the connection. */
  async drain(timeoutMs = 3000): Promise<JsonValue[]> {
    const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
    return this.#messages.splice(0);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The JSON text of a value, for comparisons that must be exact (64-bit integers, key order). */
export const text = (value: JsonValue): string => formatJson(value);
