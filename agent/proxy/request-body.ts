// Whether a client request carries a body, and whether its length is declared, for HTTP/1.1 and
// HTTP/2 alike. HTTP/2 has no Transfer-Encoding: a body is the DATA frames that follow a HEADERS
// frame without END_STREAM, with or without a content-length (RFC 9113 §8.1), so a body without
// one must still be forwarded (chunked upstream) and measured.
import type { Http2Stream } from 'node:http2';
import type { InboundRequest } from '../pipeline/transport.js';

/** HTTP/1.1: by its framing headers (RFC 9112 §6.3); HTTP/2: unless its HEADERS frame ended the stream. */
export function hasRequestBody(req: InboundRequest): boolean {
  const length = req.headers['content-length'];
  if (req.httpVersion === '2.0') {
    const stream = (req as { stream?: Http2Stream }).stream;
    return stream !== undefined && !stream.endAfterHeaders && length !== '0';
  }
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A body whose length is not declared up front: HTTP/1.1 chunked, an HTTP/2 stream without content-length. */
export function hasUndeclaredLength(req: InboundRequest): boolean {
  if (req.headers['content-length'] !== undefined) return false;
  return req.httpVersion === '2.0' ? hasRequestBody(req) : req.headers['transfer-encoding'] !== undefined;
}
