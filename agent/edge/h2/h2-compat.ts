// The HTTP/2 adapter into the request pipeline (pipeline/transport.ts): Node's http2 compatibility
// request/response, subclassed (http2 builds them for every stream through the server options
// Http2ServerRequest/Http2ServerResponse, so no wrapper object is made per request):
// - request: `:authority` becomes Host (for routing and upstream); the pseudo-headers are not in
//   rawHeaders, which is what the pipeline copies upstream as HTTP/1.1 headers;
// - response: writeHead sends the pipeline's HTTP/1.1-shaped head as HEADERS in one pass
//   (h2-response-head.ts) straight to the stream, without the base class's per-header checks and
//   without a trailers step (the stream ends with its last DATA frame; only gRPC answers carry
//   trailers, and they write the stream themselves); `destroyed` is the stream's (the pipeline's "client went away"); an
//   answer meshgate writes itself to a gRPC call (writeHead + end) becomes a trailers-only gRPC
//   response (proxy/grpc-local-answer.ts), and a relayed gRPC answer writes to the stream itself
//   (proxy/grpc-downstream.ts).
import http2 from 'node:http2';
import { answerGrpcLocally } from '../../proxy/grpc-local-answer.js';
import { isGrpcRequest } from '../../proxy/grpc-wire.js';
import { h2ResponseHead } from './h2-response-head.js';

export class H2Request extends http2.Http2ServerRequest {
  /** the HTTP/1.1 view of the headers, served as rawHeaders (defined below) */
  h1RawHeaders: string[];

  constructor(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, options: object, rawHeaders: string[]) {
    super(stream, headers, options as never, rawHeaders);
    const raw: string[] = [];
    let host = false;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.charCodeAt(0) === 58 /* ':' */) continue;
      if (name === 'host') host = true;
      raw.push(name, rawHeaders[i + 1]!);
    }
    // RFC 9113 §8.3.1: :authority wins over a Host header
    const authority = headers[':authority'];
    if (typeof authority === 'string') {
      headers.host = authority;
      if (host) for (let i = 0; i < raw.length; i += 2) { if (raw[i] === 'host') raw[i + 1] = authority; }
      else raw.push('host', authority);
    }
    this.h1RawHeaders = raw;
  }
}
// accessors over the base class's, which TypeScript declares as plain properties
Object.defineProperty(H2Request.prototype, 'rawHeaders', { get(this: H2Request) { return this.h1RawHeaders; } });

const BASE_END = http2.Http2ServerResponse.prototype.end;

export class H2Response extends http2.Http2ServerResponse<H2Request> {
  /** the grpc-status of an answer meshgate made itself to a gRPC call (for the access log) */
  grpcStatus: number | undefined;
  /** a local answer's head to a gRPC call, held until end() brings its body (the grpc-message) */
  heldGrpcHead: { status: number; headers: unknown } | null = null;

  override writeHead(status: number, headers?: unknown, more?: unknown): this {
    const req = (this as unknown as { req: H2Request }).req;
    if (isGrpcRequest(req)) {
      this.heldGrpcHead = { status, headers: typeof headers === 'string' ? more : headers };
      return this;
    }
    const stream = this.stream;
    // a gone stream, or a second head: the base class's answer (ignored, or ERR_HTTP2_HEADERS_SENT)
    if (stream.destroyed || stream.closed || stream.headersSent) return super.writeHead(status);
    this.statusCode = status; // the base class's range check, and the status res.statusCode reports
    const preset = this.getHeaderNames().length === 0 ? null : this.getHeaders();
    // no trailers step: an HTTP answer's trailers are never relayed (README, HTTP strictness), so the
    // stream ends with its last DATA frame (the base class always waits for trailers: one more empty
    // DATA frame and one more call into JS per stream)
    stream.respond(h2ResponseHead(status, typeof headers === 'string' ? more : headers, preset),
      { endStream: this.writableEnded, waitForTrailers: false, sendDate: this.sendDate } as http2.ServerStreamResponseOptions);
    return this;
  }

  override addTrailers(trailers: Record<string, string>): void {
    const req = (this as unknown as { req: H2Request }).req;
    if (!isGrpcRequest(req)) throw new Error('HTTP/2 trailers on an answer that is not gRPC: its head went out without a trailers step');
    super.addTrailers(trailers);
  }

  override end(...args: unknown[]): this {
    const head = this.heldGrpcHead;
    if (head === null) return (BASE_END as (...a: unknown[]) => this).apply(this, args);
    this.heldGrpcHead = null;
    const body = typeof args[0] === 'function' ? undefined : args[0];
    this.grpcStatus = answerGrpcLocally(this.stream, head.status, head.headers, body, this.getHeaders());
    return this;
  }
}
Object.defineProperty(H2Response.prototype, 'destroyed', { get(this: H2Response) { return this.stream.destroyed; } });
