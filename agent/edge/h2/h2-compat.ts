// The HTTP/2 adapter into the request pipeline (pipeline/transport.ts): Node's http2 compatibility
// request/response, subclassed (http2 builds them for every stream through the server options
// Http2ServerRequest/Http2ServerResponse, so no wrapper object is made per request):
// - request: `:authority` becomes Host (for routing and upstream); the pseudo-headers are not in
//   rawHeaders, which is what the pipeline copies upstream as HTTP/1.1 headers;
// - response: writeHead drops the hop-by-hop headers HTTP/2 forbids (RFC 9113 §8.2.2) — the
//   pipeline writes HTTP/1.1-shaped answers (a relayed `connection`, the 426's `upgrade`) — and
//   `destroyed` is the stream's (the pipeline's "client went away"); an answer meshgate writes itself
//   to a gRPC call (writeHead + end) becomes a trailers-only gRPC response (proxy/grpc-local-answer.ts).
import http2 from 'node:http2';
import { answerGrpcLocally } from '../../proxy/grpc-local-answer.js';
import { isGrpcRequest } from '../../proxy/grpc-wire.js';

/** connection-specific headers: a response carrying one is malformed in HTTP/2 */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

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

/** Flat [name, value, ...] headers without the connection-specific ones (the array is reused). */
export function withoutConnectionHeaders(headers: string[]): string[] {
  let w = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (CONNECTION_SPECIFIC.has(name.toLowerCase())) continue;
    headers[w++] = name;
    headers[w++] = headers[i + 1]!;
  }
  headers.length = w;
  return headers;
}

const BASE_END = http2.Http2ServerResponse.prototype.end;

export class H2Response extends http2.Http2ServerResponse<H2Request> {
  /** the grpc-status of an answer meshgate made itself to a gRPC call (for the access log) */
  grpcStatus: number | undefined;
  /** a local answer's head to a gRPC call, held until end() brings its body (the grpc-message) */
  heldGrpcHead: { status: number; headers: unknown } | null = null;

  override writeHead(status: number, headers?: unknown, more?: unknown): this {
    if (isGrpcRequest((this as unknown as { req: H2Request }).req)) {
      this.heldGrpcHead = { status, headers: typeof headers === 'string' ? more : headers };
      return this;
    }
    if (Array.isArray(headers)) return super.writeHead(status, withoutConnectionHeaders(headers as string[]) as never);
    if (headers !== undefined && headers !== null && typeof headers === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (!CONNECTION_SPECIFIC.has(k.toLowerCase())) copy[k] = v;
      return super.writeHead(status, copy as never);
    }
    return more === undefined ? super.writeHead(status) : super.writeHead(status, headers as string, more as never);
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
