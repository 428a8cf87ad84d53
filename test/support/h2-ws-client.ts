// A WebSocket client over HTTP/2 (RFC 8441) for the tunnel tests: Node's http2 client sends the
// extended CONNECT (`:method CONNECT`, `:protocol websocket`) once the server's SETTINGS allowed it,
// and RFC 6455 frames are written and read on the stream by hand: masked from the client, the
// server's unmasked, fragments joined, pings answered. Every wait is bounded.
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import { Inbox, within, type WsMessage } from './inbox.js';

export interface H2Refusal {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: string;
}

/** How the tunnel ended: a close frame's code and reason (1005 without one), and how the stream ended. */
export interface H2WsClosed { readonly code: number; readonly reason: string; readonly ended: boolean; readonly rstCode: number }

const OP = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** An HTTP/2 session and the server's first SETTINGS. */
export async function h2Session(origin: string, options: http2.SecureClientSessionOptions = {}): Promise<{ session: http2.ClientHttp2Session; settings: http2.Settings }> {
  const session = http2.connect(origin, options);
  session.on('error', () => { /* a test asserts on streams; a session error ends them */ });
  const settings = await new Promise<http2.Settings>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${origin}: no SETTINGS within 5 s`)), 5000);
    session.once('remoteSettings', (s) => { clearTimeout(timer); resolve(s); });
    session.once('close', () => { clearTimeout(timer); reject(new Error(`${origin}: session closed`)); });
  });
  return { session, settings };
}

function encode(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = Buffer.alloc((n < 126 ? 2 : n < 65536 ? 4 : 10) + 4);
  head[0] = 0x80 | opcode;
  let at = 2;
  if (n < 126) head[1] = 0x80 | n;
  else if (n < 65536) { head[1] = 0x80 | 126; head.writeUInt16BE(n, 2); at = 4; }
  else { head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(n), 2); at = 10; }
  const mask = randomBytes(4);
  mask.copy(head, at);
  const body = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, body]);
}

export class H2WebSocket {
  readonly stream: http2.ClientHttp2Stream;
  /** the headers of the server's 200 */
  readonly headers: http2.IncomingHttpHeaders;
  readonly closed: Promise<H2WsClosed>;
  readonly #inbox: Inbox;
  #chunks: Buffer[] = [];
  #size = 0;
  #fragments: Buffer[] = [];
  #fragmentOp = 0;
  #close: { code: number; reason: string } | null = null;

  private constructor(stream: http2.ClientHttp2Stream, headers: http2.IncomingHttpHeaders) {
    this.stream = stream;
    this.headers = headers;
    this.#inbox = new Inbox(() => stream.closed || stream.destroyed);
    let ended = false;
    stream.on('data', (c: Buffer) => this.#read(c));
    stream.on('end', () => { ended = true; });
    stream.on('error', () => { /* a reset: rstCode says which */ });
    this.closed = new Promise((resolve) => stream.once('close', () => {
      resolve({ code: this.#close?.code ?? 1005, reason: this.#close?.reason ?? '', ended, rstCode: stream.rstCode ?? 0 });
      this.#inbox.wake();
    }));
  }

  /** Extended CONNECT on `session`; rejects with `refusal` (status, headers, body) when the answer is not 200. */
  static open(session: http2.ClientHttp2Session, path: string, headers: Record<string, string> = {}, protocol = 'websocket'): Promise<H2WebSocket> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'CONNECT', ':protocol': protocol, ':path': path, 'sec-websocket-version': '13', ...headers });
      const timer = setTimeout(() => { stream.close(http2.constants.NGHTTP2_CANCEL); reject(new Error(`${path}: no answer within 10 s`)); }, 10_000);
      stream.once('response', (h) => {
        clearTimeout(timer);
        if (h[':status'] === 200) { resolve(new H2WebSocket(stream, h)); return; }
        let body = '';
        stream.on('data', (d: Buffer) => { body += d.toString(); });
        stream.once('end', () => reject(Object.assign(new Error(`${path}: answered ${String(h[':status'])}`), { refusal: { status: h[':status'], headers: h, body } })));
      });
      stream.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  /** The answer to a handshake that must not succeed. */
  static async refused(session: http2.ClientHttp2Session, path: string, headers: Record<string, string> = {}, protocol = 'websocket'): Promise<H2Refusal> {
    try {
      const ws = await H2WebSocket.open(session, path, headers, protocol);
      ws.stream.close(http2.constants.NGHTTP2_CANCEL);
    } catch (err) {
      const r = (err as { refusal?: H2Refusal }).refusal;
      if (r) return r;
      throw err;
    }
    throw new Error(`${path}: the handshake succeeded`);
  }

  send(data: string | Buffer): boolean {
    return this.stream.write(encode(typeof data === 'string' ? OP.TEXT : OP.BINARY, typeof data === 'string' ? Buffer.from(data) : data));
  }

  /** Sends a close frame (the server answers with its own, then ends). */
  close(code: number, reason = ''): void {
    const p = Buffer.alloc(2 + Buffer.byteLength(reason));
    p.writeUInt16BE(code);
    p.write(reason, 2);
    this.stream.write(encode(OP.CLOSE, p));
  }

  next(timeoutMs = 10_000): Promise<WsMessage> {
    return this.#inbox.next(timeoutMs);
  }

  async roundTrip(data: string | Buffer, timeoutMs = 10_000): Promise<Buffer> {
    this.send(data);
    return (await this.next(timeoutMs)).data;
  }

  closedWithin(timeoutMs: number): Promise<H2WsClosed> {
    return within(this.closed, timeoutMs, 'closed');
  }

  /** Server frames out of the stream's bytes; chunks are joined only once a frame is complete. */
  #read(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    for (;;) {
      const first = this.#chunks[0]!;
      const peek = first.length >= 10 || this.#chunks.length === 1 ? first : Buffer.concat(this.#chunks);
      if (peek.length < 2) return;
      let len = peek[1]! & 0x7f;
      let at = 2;
      if (len === 126) { if (peek.length < 4) return; len = peek.readUInt16BE(2); at = 4; } else if (len === 127) { if (peek.length < 10) return; len = Number(peek.readBigUInt64BE(2)); at = 10; }
      if (this.#size < at + len) return;
      const all = this.#chunks.length === 1 ? first : Buffer.concat(this.#chunks);
      const fin = (all[0]! & 0x80) !== 0;
      const opcode = all[0]! & 0x0f;
      const payload = Buffer.from(all.subarray(at, at + len));
      const rest = all.subarray(at + len);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#size = rest.length;
      this.#frame(fin, opcode, payload);
      if (this.#size === 0) return;
    }
  }

  #frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OP.PING) { this.stream.write(encode(OP.PONG, payload)); return; }
    if (opcode === OP.PONG) return;
    if (opcode === OP.CLOSE) {
      this.#close = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString() };
      this.stream.end();
      return;
    }
    if (opcode !== OP.CONT) this.#fragmentOp = opcode;
    this.#fragments.push(payload);
    if (!fin) return;
    const data = this.#fragments.length === 1 ? this.#fragments[0]! : Buffer.concat(this.#fragments);
    this.#fragments = [];
    this.#inbox.push({ data, binary: this.#fragmentOp === OP.BINARY });
  }
}
