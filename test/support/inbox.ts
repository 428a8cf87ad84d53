// What the WebSocket test clients share (ws-client.ts over HTTP/1.1, h2-ws-client.ts over HTTP/2):
// the messages received, awaited in arrival order, and a close awaited, each within a bound.
export interface WsMessage { readonly data: Buffer; readonly binary: boolean }

export class Inbox {
  readonly #messages: WsMessage[] = [];
  readonly #closed: () => boolean;
  #waiter: (() => void) | null = null;

  constructor(closed: () => boolean) {
    this.#closed = closed;
  }

  push(m: WsMessage): void {
    this.#messages.push(m);
    this.#waiter?.();
  }

  /** the connection closed: a waiting next() gives up */
  wake(): void {
    this.#waiter?.();
  }

  /** The next message; rejects when the connection closes first or after timeoutMs. */
  async next(timeoutMs = 10_000): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.#messages.length === 0) {
      if (this.#closed()) throw new Error('closed before a message arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.#waiter = () => { clearTimeout(t); r(); }; });
      this.#waiter = null;
    }
    return this.#messages.shift()!;
  }
}

/** `p`, or a rejection once timeoutMs has passed. */
export async function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} not within ${timeoutMs} ms`)), timeoutMs); });
  try { return await Promise.race([p, late]); } finally { clearTimeout(timer); }
}
