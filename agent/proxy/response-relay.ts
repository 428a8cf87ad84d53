// Relaying one upstream answer to the client: headers through the response hooks, the body
// streamed with backpressure (a full client socket pauses the upstream), copies to body taps,
// or, when a hook asked for it, the whole body held back, transformed, and sent with its length.
import type { OutboundResponse } from '../pipeline/transport.js';
import { removeHeader, setContentLength } from './flat-headers.js';
import type { ResponseHooks, ResponseTap } from './forward-plan.js';
import { responseHeaders } from './request-headers.js';

export class ResponseRelay {
  readonly #res: OutboundResponse;
  readonly #hooks: ResponseHooks | null;
  #status = 0;
  #resume: (() => void) | null = null;
  /** response headers held back while the body is buffered for a hook */
  #held: string[] | null = null;
  #chunks: Buffer[] | null = null;
  #taps: readonly ResponseTap[] | null = null;
  /** body bytes relayed (or, for a held body, sent after the hooks) */
  bytes = 0;

  constructor(res: OutboundResponse, hooks: ResponseHooks | null) {
    this.#res = res;
    this.#hooks = hooks;
  }

  /** the upstream's status, once its head came (0 before) */
  get status(): number {
    return this.#status;
  }

  /** nothing has reached the client yet (the head is held for a body hook) */
  get holding(): boolean {
    return this.#held !== null;
  }

  /** The upstream's final head; false when the client is already gone. */
  head(status: number, rawHeaders: Buffer[], resume: () => void): boolean {
    const res = this.#res;
    if (res.destroyed) return false;
    this.#status = status;
    const headers = responseHeaders(rawHeaders);
    this.#resume = resume;
    const hooks = this.#hooks;
    if (hooks !== null && hooks.headers(status, headers)) {
      this.#held = headers;
      this.#chunks = [];
      return true;
    }
    if (hooks?.taps !== undefined) this.#taps = hooks.taps(status, headers);
    res.writeHead(status, headers);
    return true;
  }

  readonly #onDrain = (): void => { this.#resume?.(); };

  /** false asks undici to pause until the client socket drains */
  data(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.#chunks !== null) { this.#chunks.push(chunk); return true; }
    if (this.#taps !== null) for (const t of this.#taps) t.chunk(chunk);
    if (this.#res.write(chunk)) return true;
    this.#res.once('drain', this.#onDrain);
    return false;
  }

  complete(): void {
    if (this.#chunks !== null && this.#held !== null) {
      const body = this.#hooks!.body(Buffer.concat(this.#chunks), this.#held);
      removeHeader(this.#held, 'transfer-encoding');
      setContentLength(this.#held, body.length);
      this.#res.writeHead(this.#status, this.#held);
      this.#res.end(body);
      this.bytes = body.length;
      return;
    }
    this.#res.end();
    if (this.#taps !== null) for (const t of this.#taps) t.end();
    this.#taps = null;
  }

  /** the answer will not complete: observers drop what they copied */
  abandon(): void {
    if (this.#taps !== null) { for (const t of this.#taps) t.abort(); this.#taps = null; }
  }
}
