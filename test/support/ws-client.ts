// A real WebSocket client (the `ws` package) for the tunnel tests: open, send and await the next
// message, await the close (code, reason), or read a refused handshake's answer. Every wait is bounded.
import WebSocket from 'ws';
import { Inbox, within, type WsMessage } from './inbox.js';

export interface Refusal {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface Closed { readonly code: number; readonly reason: string }

export class WsClient {
  readonly ws: WebSocket;
  readonly #inbox: Inbox;
  readonly closed: Promise<Closed>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    const inbox = new Inbox(() => ws.readyState === WebSocket.CLOSED);
    this.#inbox = inbox;
    ws.on('message', (data: Buffer, binary: boolean) => inbox.push({ data, binary }));
    this.closed = new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => { resolve({ code, reason: reason.toString() }); inbox.wake(); }));
  }

  /** Opens a WebSocket; rejects with the refusal (status, headers, body) when the handshake is answered otherwise. */
  static open(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: 0 });
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => { reject(Object.assign(new Error(`handshake answered ${res.statusCode}`), { refusal: { status: res.statusCode ?? 0, headers: res.headers, body } })); ws.terminate(); });
      });
      ws.once('error', reject);
    });
  }

  /** The refusal of a handshake that must not succeed. */
  static async refused(url: string, headers: Record<string, string> = {}): Promise<Refusal> {
    try {
      const c = await WsClient.open(url, headers);
      c.ws.terminate();
    } catch (err) {
      const r = (err as { refusal?: Refusal }).refusal;
      if (r) return r;
      throw err;
    }
    throw new Error(`${url}: the handshake succeeded`);
  }

  /** The next message (in arrival order); rejects when the socket closes first or after timeoutMs. */
  next(timeoutMs = 10_000): Promise<WsMessage> {
    return this.#inbox.next(timeoutMs);
  }

  async roundTrip(data: string | Buffer, timeoutMs = 10_000): Promise<Buffer> {
    this.ws.send(data);
    return (await this.next(timeoutMs)).data;
  }

  /** The close, waited for at most timeoutMs. */
  closedWithin(timeoutMs: number): Promise<Closed> {
    return within(this.closed, timeoutMs, 'closed');
  }
}
