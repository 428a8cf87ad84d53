// Answers produced at this agent (errors, plugin short-circuits), and the bounded lingering
// close of a refused request's unread body.
import http2 from 'node:http2';
import { MeshgateError, errorBody, type ErrorCode } from '../../proto/errors.js';
import { MESH_ERROR } from '../../proto/headers.js';
import type { InboundRequest, OutboundResponse } from '../pipeline/transport.js';
import { removeHeader, setContentLength } from './flat-headers.js';
import type { ResponseHooks } from './forward-plan.js';

/** refusals that leave the client's body unread part-way: the connection cannot be reused */
const ENDS_CONNECTION: ReadonlySet<ErrorCode> = new Set(['MG_BODY_TIMEOUT', 'MG_REQUEST_TIMEOUT']);

/** meshgate's own JSON error answer (one table, stable code); response hooks still apply. */
export function sendError(res: OutboundResponse, code: ErrorCode, requestId: string, hooks?: ResponseHooks | null): void {
  if (res.headersSent) { res.destroy(); return; }
  const ends = ENDS_CONNECTION.has(code);
  if (ends) (res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
  const e = new MeshgateError(code);
  sendJson(res, e.status, errorBody(code, requestId), ['x-request-id', requestId, MESH_ERROR, code], hooks);
  // HTTP/2: only the stream ends. After the complete answer, RST_STREAM NO_ERROR asks the client to
  // stop sending its body (RFC 9113 §8.1); the session and its other streams go on
  if (ends && res instanceof http2.Http2ServerResponse) res.stream.close(http2.constants.NGHTTP2_NO_ERROR);
}

/** A JSON answer produced at this agent (errors, plugin short-circuits). */
export function sendJson(res: OutboundResponse, status: number, body: string, extra: string[], hooks?: ResponseHooks | null): void {
  if (res.headersSent) { res.destroy(); return; }
  const headers = ['content-type', 'application/json; charset=utf-8', ...extra];
  hooks?.headers(status, headers);
  removeHeader(headers, 'transfer-encoding');
  setContentLength(headers, Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

/** How much of an unread request body a refusal reads and drops, at most, before it closes. */
export const LINGER_BYTES = 64 << 20;
export const LINGER_MS = 10_000;

/**
 * nginx's lingering close, bounded: an answer that leaves the client's body unread (a 413 for a
 * chunked body) would, with an immediate close, make the client's pending writes meet a reset
 * that can discard the answer before it is read. Instead the answer goes without `Connection:
 * close` and the rest of the body is read and dropped; past LINGER_BYTES or LINGER_MS the
 * connection is closed. Not for a client waiting on `Expect: 100-continue`: it sends no body,
 * so that answer keeps `Connection: close` and closes at once.
 */
export function canLinger(req: InboundRequest): boolean {
  return !req.complete && req.headers.expect?.trim().toLowerCase() !== '100-continue';
}

export function lingerOnUnreadBody(req: InboundRequest): void {
  // HTTP/2: a stream ends alone (its reset costs the connection's other streams nothing), and its
  // socket is the session's, which the http2 compatibility layer does not let a request touch
  const close = req.httpVersion === '2.0' ? () => req.destroy() : () => req.socket.destroy();
  req.removeAllListeners('data'); // a partial read's buffering listener: the body is refused
  let seen = 0;
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on('data', (c: Buffer) => { seen += c.length; if (seen > LINGER_BYTES) { clearTimeout(timer); close(); } });
  // drained in time: the connection stays usable (closing it now, unannounced, would race the
  // client's next request on it)
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
