// gRPC over HTTP/2 as meshgate sees it (grpc/doc/PROTOCOL-HTTP2.md): which requests are gRPC, the
// grpc-timeout header, and the percent-encoding of grpc-message.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { InboundRequest } from '../pipeline/transport.js';

/** A gRPC call: HTTP/2 with content-type application/grpc[+codec] (gRPC-Web is not: it runs over HTTP/1.1 too). */
export function isGrpcRequest(req: Pick<InboundRequest, 'httpVersion' | 'headers'>): boolean {
  if (req.httpVersion !== '2.0') return false;
  const ct = req.headers['content-type'];
  if (ct === undefined || !ct.startsWith('application/grpc')) return false;
  const next = ct.charCodeAt(16);
  return Number.isNaN(next) || next === 43 /* + */ || next === 59 /* ; */;
}

const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout ("TimeoutValue TimeoutUnit", at most 8 digits) in ms; undefined when absent or malformed. */
export function parseGrpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined || value.length < 2 || value.length > 9) return undefined;
  const unit = UNIT_MS[value[value.length - 1]!];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^[0-9]+$/.test(digits)) return undefined;
  return Math.max(1, Math.ceil(Number(digits) * unit));
}

/** grpc-message is percent-encoded UTF-8: bytes outside printable ASCII, and '%' itself. */
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) { plain = false; break; }
  }
  if (plain) return message;
  let out = '';
  for (const b of Buffer.from(message, 'utf8')) out += b < 0x20 || b > 0x7e || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

/** adds a header to an HTTP/2 header object, a repeated name becoming a list */
export function appendHeader(h: OutgoingHttpHeaders, name: string, value: string): void {
  const prev = h[name];
  h[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
}

/** trailers as received, without pseudo-headers, to send on */
export function withoutPseudoHeaders(t: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(t)) if (k.charCodeAt(0) !== 58 && v !== undefined) out[k] = v;
  return out;
}

/** the grpc-status in headers or trailers, when there is a valid one */
export function grpcStatusIn(h: IncomingHttpHeaders | OutgoingHttpHeaders): number | undefined {
  const v = h['grpc-status'];
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isInteger(n) ? n : undefined;
}
