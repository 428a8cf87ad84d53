// A gRPC-Web client's side of a relayed gRPC call (the grpc-web plugin marked the request): the
// upstream's head goes out with the client's own content type, its DATA frames as the body (base64
// in text mode), and its trailers as the body's last frame (0x80), since HTTP/1.1 clients and
// browsers cannot read HTTP trailers. A trailers-only upstream answer, and meshgate's own answers,
// stay trailers-only: grpc-status in the head of an empty 200 (PROTOCOL-WEB.md allows it, and
// gRPC-Web clients read it there), with the error table's grpc-status and message.
import type { OutgoingHttpHeaders } from 'node:http2';
import { ERRORS, type ErrorCode } from '../../proto/errors.js';
import { GRPC_STATUS_OF } from '../../proto/grpc-status.js';
import { MESH_ERROR, REQUEST_ID } from '../../proto/headers.js';
import type { OutboundResponse } from '../pipeline/transport.js';
import type { ResponseHooks } from './forward-plan.js';
import { presetHeaders, type GrpcDownstream } from './grpc-downstream.js';
import { Base64Encoder, trailersFrame, type GrpcWebMode } from './grpc-web-wire.js';
import { encodeGrpcMessage } from './grpc-wire.js';

/** upstream head fields that describe the HTTP/2 gRPC body, not the gRPC-Web one */
const REPLACED: ReadonlySet<string> = new Set(['content-type', 'content-length', 'trailer']);

type WebResponse = OutboundResponse & { readonly writableEnded: boolean; flushHeaders?(): void };

export class GrpcWebDownstream implements GrpcDownstream {
  readonly #res: WebResponse;
  readonly #mode: GrpcWebMode;
  readonly #base64: Base64Encoder | null;

  constructor(res: OutboundResponse, mode: GrpcWebMode) {
    this.#res = res as WebResponse;
    this.#mode = mode;
    this.#base64 = mode.text ? new Base64Encoder() : null;
  }

  get headersSent(): boolean { return this.#res.headersSent; }
  get ended(): boolean { return this.#res.writableEnded; }
  get gone(): boolean { return this.#res.destroyed; }

  preset(): string[] { return presetHeaders(this.#res); }

  respond(status: number, headers: readonly string[], endStream: boolean): void {
    const out: string[] = [];
    for (let k = 0; k < headers.length; k += 2) {
      if (!REPLACED.has(headers[k]!.toLowerCase())) out.push(headers[k]!, headers[k + 1]!);
    }
    out.push('content-type', this.#mode.contentType);
    if (endStream) {
      out.push('content-length', '0');
      this.#res.writeHead(status, out);
      this.#res.end();
      return;
    }
    this.#res.writeHead(status, out);
    // a server stream's first message may be a while: the client learns the call is answered now
    this.#res.flushHeaders?.();
  }

  write(chunk: Buffer): boolean {
    if (this.#base64 === null) return this.#res.write(chunk);
    const text = this.#base64.push(chunk);
    return text === '' || this.#res.write(text);
  }

  onceDrain(fn: () => void): void { this.#res.once('drain', fn); }

  end(trailers: OutgoingHttpHeaders, sent: () => void): void {
    const frame = trailersFrame(trailers);
    this.#res.end(this.#base64 === null ? frame : this.#base64.end(frame));
    sent();
  }

  /** no stream to reset under HTTP/1.1: the call ends with the status a reset upstream maps to */
  abort(_rstCode: number): void {
    this.end({ 'grpc-status': String(GRPC_STATUS_OF.MG_UPSTREAM_RESET), 'grpc-message': encodeGrpcMessage(ERRORS.MG_UPSTREAM_RESET.message) }, noop);
  }

  fail(code: ErrorCode, requestId: string, hooks: ResponseHooks | null): void {
    if (this.#res.headersSent) { this.#res.destroy(); return; }
    const headers = [
      REQUEST_ID, requestId, MESH_ERROR, code,
      'grpc-status', String(GRPC_STATUS_OF[code]), 'grpc-message', encodeGrpcMessage(ERRORS[code].message),
    ];
    hooks?.headers(200, headers);
    this.respond(200, headers, true);
  }
}

function noop(): void { /* nothing waits for these trailers */ }
