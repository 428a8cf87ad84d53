// The client's side of a relayed gRPC call (grpc-exchange.ts), one interface for the two kinds of
// client: a gRPC client over HTTP/2 (H2Downstream, here: the answer goes out as HTTP/2 HEADERS,
// DATA and trailing HEADERS) and a gRPC-Web client over HTTP/1.1 or HTTP/2 (grpc-web-downstream.ts:
// trailers become the body's last frame). The exchange drives either the same way.
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { ErrorCode } from '../../proto/errors.js';
import type { OutboundResponse } from '../pipeline/transport.js';
import type { ResponseHooks } from './forward-plan.js';
import { appendHeader } from './grpc-wire.js';
import { sendError } from './local-answers.js';

export interface GrpcDownstream {
  /** the answer's head went out */
  readonly headersSent: boolean;
  /** the answer is ended (trailers-only, or its trailers are on their way) */
  readonly ended: boolean;
  /** the client's stream or connection is gone */
  readonly gone: boolean;
  /** headers set on the response before the answer was known (trace id …), flat */
  preset(): string[];
  /** the answer's head (flat headers); endStream: a trailers-only answer, complete as sent */
  respond(status: number, headers: readonly string[], endStream: boolean): void;
  /** a chunk of the upstream's body (gRPC frames); false: wait for onceDrain */
  write(chunk: Buffer): boolean;
  onceDrain(fn: () => void): void;
  /** ends the answer with these trailers; `sent` runs once they are out */
  end(trailers: OutgoingHttpHeaders, sent: () => void): void;
  /** the upstream broke off mid-answer (its RST_STREAM code): tell the client the call failed */
  abort(rstCode: number): void;
  /** meshgate's own answer (no member, connect failure …) before any head went out */
  fail(code: ErrorCode, requestId: string, hooks: ResponseHooks | null): void;
}

/** The HTTP/2 compatibility response and its stream. */
type ClientResponse = OutboundResponse & { readonly stream: ServerHttp2Stream; getHeaders(): OutgoingHttpHeaders };

/** headers set on a response before its answer (setHeader), flat */
export function presetHeaders(res: OutboundResponse): string[] {
  const flat: string[] = [];
  const get = (res as unknown as { getHeaders?: () => Record<string, unknown> }).getHeaders;
  if (get === undefined) return flat;
  for (const [k, v] of Object.entries(get.call(res))) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) flat.push(k, String(one));
    else flat.push(k, String(v));
  }
  return flat;
}

/** A gRPC client over HTTP/2: the answer is relayed frame for frame on its stream. */
export class H2Downstream implements GrpcDownstream {
  readonly #res: ClientResponse;
  readonly #stream: ServerHttp2Stream;

  constructor(res: OutboundResponse) {
    this.#res = res as ClientResponse;
    this.#stream = this.#res.stream;
    this.#stream.on('error', () => { /* the client's stream reset: 'close' follows */ });
  }

  get headersSent(): boolean { return this.#stream.headersSent; }
  get ended(): boolean { return this.#stream.writableEnded; }
  get gone(): boolean { return this.#stream.destroyed; }

  preset(): string[] { return presetHeaders(this.#res); }

  respond(status: number, flat: readonly string[], endStream: boolean): void {
    const out: OutgoingHttpHeaders = { ':status': status };
    for (let k = 0; k < flat.length; k += 2) appendHeader(out, flat[k]!.toLowerCase(), flat[k + 1]!);
    this.#stream.respond(out, endStream ? { endStream: true } : { waitForTrailers: true });
  }

  write(chunk: Buffer): boolean { return this.#stream.write(chunk); }
  onceDrain(fn: () => void): void { this.#stream.once('drain', fn); }

  end(trailers: OutgoingHttpHeaders, sent: () => void): void {
    // the compatibility response sends the trailers it was given (addTrailers) on wantTrailers; `sent` runs after it
    this.#res.addTrailers(trailers as Record<string, string>);
    this.#stream.once('wantTrailers', sent);
    this.#stream.end();
  }

  /** the honest signal left once the answer is under way: reset the client's stream with the same code */
  abort(rstCode: number): void { this.#stream.close(rstCode); }

  /** the compatibility response turns the error answer into a trailers-only gRPC status (grpc-local-answer.ts) */
  fail(code: ErrorCode, requestId: string, hooks: ResponseHooks | null): void { sendError(this.#res, code, requestId, hooks); }
}
