// The transport-neutral request and response the pipeline works on. They are the parts of
// node:http's IncomingMessage / ServerResponse the pipeline uses, so the HTTP/1.1 adapter is the
// identity (no wrapper object per request on the hot path). An HTTP/2 adapter passes Node's
// http2 compatibility objects (Http2ServerRequest / Http2ServerResponse), which have the same
// members, after mapping `:path`/`:authority` into `url`/`host`; it must accept flat header
// arrays in writeHead (the form the forwarder relays upstream headers in).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** The client's request: method, target, headers, the connection, and the body as a stream. */
export type InboundRequest = Pick<IncomingMessage, 'method' | 'url' | 'headers' | 'rawHeaders' | 'httpVersion' | 'socket' | 'complete'> & Readable;

/**
 * The answer to the client: write the head, stream the body, end (with trailers), and the
 * close signal (`close` before the end means the client went away). `setHeader` is for headers
 * decided before the answer is known (the trace id, the request-debug report); writeHead merges them.
 */
export type OutboundResponse = Pick<ServerResponse,
  'writeHead' | 'write' | 'end' | 'addTrailers' | 'destroy' | 'destroyed' | 'headersSent' | 'on' | 'once' | 'setHeader'>;

/** A transport's entry into the pipeline (HTTP/1.1: the `request` event's arguments as they are). */
export type RequestEntry = (req: InboundRequest, res: OutboundResponse) => void;
