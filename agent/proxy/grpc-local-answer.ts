// meshgate's own answers to a gRPC client: what the pipeline writes as an HTTP answer (an error
// from the table, a plugin's 401/403/429, a refusal) goes out as a trailers-only response — HTTP
// status 200, content-type application/grpc, grpc-status and grpc-message in the one HEADERS frame
// that ends the stream — because gRPC clients read the status there, not from an HTTP status or body.
import type { ServerHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { ERRORS, type ErrorCode } from '../../proto/errors.js';
import { GRPC_STATUS_OF, grpcStatusForHttp } from '../../proto/grpc-status.js';
import { MESH_ERROR } from '../../proto/headers.js';
import { encodeGrpcMessage } from './grpc-wire.js';

/** headers of the HTTP-shaped answer that do not describe a trailers-only gRPC response */
const DROPPED: ReadonlySet<string> = new Set([
  'content-type', 'content-length', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'grpc-status', 'grpc-message',
]);

/** The answer's error-table code (sendError names it in MESH_ERROR), else undefined. */
function codeIn(headers: readonly string[]): ErrorCode | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === MESH_ERROR && Object.hasOwn(ERRORS, headers[i + 1]!)) return headers[i + 1] as ErrorCode;
  }
  return undefined;
}

/** The message of a JSON answer ({"message": …}, Kong's shape), else the body as text. */
function messageOf(body: unknown, code: ErrorCode | undefined): string {
  if (code !== undefined) return ERRORS[code].message;
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.startsWith('{')) {
    try {
      const m = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof m === 'string') return m;
    } catch { /* not JSON: the text itself */ }
  }
  return text.length > 512 ? text.slice(0, 512) : text;
}

function flat(headers: unknown): string[] {
  if (Array.isArray(headers)) return headers as string[];
  const out: string[] = [];
  if (headers !== null && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
      if (Array.isArray(v)) for (const one of v) out.push(k, String(one));
      else if (v !== undefined) out.push(k, String(v));
    }
  }
  return out;
}

/**
 * Sends the trailers-only answer for an HTTP answer (status, headers, body) on `stream`, plus the
 * headers set earlier on the response (`preset`); returns the grpc-status sent.
 */
export function answerGrpcLocally(stream: ServerHttp2Stream, status: number, headers: unknown, body: unknown, preset: OutgoingHttpHeaders): number {
  const list = flat(headers);
  const code = codeIn(list);
  list.unshift(...flat(preset));
  const grpcStatus = code !== undefined ? GRPC_STATUS_OF[code] : grpcStatusForHttp(status);
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!.toLowerCase();
    if (DROPPED.has(name)) continue;
    const prev = out[name];
    out[name] = prev === undefined ? list[i + 1]! : Array.isArray(prev) ? [...prev, list[i + 1]!] : [String(prev), list[i + 1]!];
  }
  out[':status'] = 200;
  out['content-type'] = 'application/grpc';
  out['grpc-status'] = String(grpcStatus);
  const message = messageOf(body, code);
  if (message !== '') out['grpc-message'] = encodeGrpcMessage(message);
  if (!stream.destroyed && !stream.headersSent) stream.respond(out, { endStream: true });
  return grpcStatus;
}
