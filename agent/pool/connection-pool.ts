// Connections to one address: up to `connections` undici Clients (one request each at a time),
// the idle ones on a stack, requests beyond the limit in a FIFO queue. The same job as undici's
// Pool, which finds a free client by walking its whole client list — twice per request, and an
// edge keeps up to hundreds of connections per endpoint. Here a free client is a pop away, and
// the most recently used connection is the one reused (warm, and it lets surplus ones idle out).
import { Client, type Dispatcher } from 'undici';

/** What a pool member needs of its connections. */
export interface Connections {
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
  /** stops taking requests; resolves when queued and in-flight ones have finished */
  close(): Promise<void>;
}

interface Slot {
  readonly client: Client;
  idle: boolean;
  retired: boolean;
}

interface Queued {
  readonly opts: Dispatcher.DispatchOptions;
  readonly handler: Dispatcher.DispatchHandler;
}

export class ConnectionPool implements Connections {
  readonly #origin: string;
  readonly #options: Client.Options;
  readonly #limit: number;
  readonly #slots: Slot[] = [];
  readonly #idle: Slot[] = [];
  #queue: Queued[] = [];
  #head = 0;
  #closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;

  constructor(origin: string, options: Client.Options & { connections: number }) {
    const { connections, ...clientOptions } = options;
    this.#origin = origin;
    this.#options = { ...clientOptions, pipelining: 1 };
    this.#limit = Math.max(1, connections);
  }

  /** connections open or opening, and requests waiting for one */
  get stats(): { connections: number; idle: number; queued: number } {
    return { connections: this.#slots.length, idle: this.#idle.length, queued: this.#queue.length - this.#head };
  }

  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#closing !== null) {
      handler.onError?.(Object.assign(new Error('the connection pool is closed'), { code: 'UND_ERR_CLOSED' }));
      return false;
    }
    const slot = this.#idle.pop() ?? this.#open();
    if (slot === undefined) {
      this.#queue.push({ opts, handler });
      return false;
    }
    slot.idle = false;
    this.#send(slot, opts, handler);
    return true;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#head === this.#queue.length) resolve();
      else this.#drained = resolve;
    }).then(async () => {
      await Promise.all(this.#slots.map((s) => s.client.close()));
    });
    return this.#closing;
  }

  #send(slot: Slot, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    // with one request per connection the client is busy now; when it can take another it says
    // 'drain' (also after an error ended the request). A request refused at once (invalid
    // options: the handler has its error already) left it idle, and no 'drain' will come.
    if (slot.client.dispatch(opts, handler) || slot.client.stats.size === 0) this.#free(slot);
  }

  #open(): Slot | undefined {
    if (this.#slots.length >= this.#limit) return undefined;
    const client = new Client(this.#origin, this.#options);
    const slot: Slot = { client, idle: false, retired: false };
    client.on('drain', () => this.#free(slot));
    // a client whose connection could not be made is not reused (as undici's Pool); the next
    // request opens a fresh one
    client.on('connectionError', () => this.#retire(slot));
    this.#slots.push(slot);
    return slot;
  }

  #free(slot: Slot): void {
    if (slot.idle || slot.retired) return;
    const next = this.#shift();
    if (next !== undefined) { this.#send(slot, next.opts, next.handler); return; }
    slot.idle = true;
    this.#idle.push(slot);
  }

  #retire(slot: Slot): void {
    if (slot.retired) return;
    slot.retired = true;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    const j = this.#idle.indexOf(slot);
    if (j >= 0) this.#idle.splice(j, 1);
    slot.client.close().catch(() => {});
    // a request waiting for a connection gets a new one in place of this one
    const next = this.#shift();
    if (next !== undefined) {
      const fresh = this.#open()!;
      this.#send(fresh, next.opts, next.handler);
    }
  }

  #shift(): Queued | undefined {
    if (this.#head === this.#queue.length) return undefined;
    const q = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as Queued;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      this.#drained?.();
      this.#drained = null;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return q;
  }
}
