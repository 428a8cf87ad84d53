// The two bounds on receiving a request body from the client (docs/http-strictness.md, resource
// bounds): no body bytes for `bodyTimeoutMs` while the body is being read (nginx's
// client_body_timeout, Kong's default 60 s), and the whole body by `requestTimeoutMs` after the
// request's head (so a body that trickles, one byte a second, still ends). Waiting on an upstream
// that takes no more (the stream paused) is write_timeout's case, not the client's, and resets the
// first bound. They hold where the body streams upstream (Exchange) and where a plugin reads it
// whole (RequestContext.readBody), on HTTP/1.1 connections and on HTTP/2 streams alike: an HTTP/2
// stream's progress is its own (the stream's inactivity timer, which its DATA frames refresh), so
// a stalled stream ends alone while the session's other streams go on.
import type { Http2Stream } from 'node:http2';
import type { InboundRequest } from '../pipeline/transport.js';
import { BODY_TIMEOUT, REQUEST_TIMEOUT } from './upstream-errors.js';
import { watchRequestWrites } from './write-watchdog.js';

export interface BodyLimits {
  readonly bodyTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

const NOOP = (): void => {};

function bodyTimeoutError(ms: number): Error {
  return Object.assign(new Error(`no request body bytes for ${ms} ms (body_timeout)`), { code: BODY_TIMEOUT });
}

function requestTimeoutError(ms: number): Error {
  return Object.assign(new Error(`the request body did not arrive within ${ms} ms (request_timeout)`), { code: REQUEST_TIMEOUT });
}

/** Starts watching; returns the stop function. `expired` gets the error to abort the attempt with. */
export function watchRequestBody(req: InboundRequest, limits: BodyLimits, startedAt: number, expired: (err: Error) => void): () => void {
  if (req.complete) return NOOP;
  if (req.httpVersion === '2.0') return watchStreamBody(req, (req as { stream?: Http2Stream }).stream, limits, startedAt, expired);
  const socket = req.socket;
  let lastBytes = socket.bytesRead;
  let lastProgress = performance.now();
  const timer = setInterval(() => {
    // complete, or given up (a refused body, a client gone): nothing left to bound
    if (req.complete || req.destroyed) { clearInterval(timer); return; }
    const now = performance.now();
    const bytes = socket.bytesRead;
    // bytes arrived, or the upstream is not reading (backpressure): the client is not the one stalling
    if (bytes !== lastBytes || req.readableFlowing !== true) { lastBytes = bytes; lastProgress = now; }
    let err: Error | null = null;
    if (limits.requestTimeoutMs > 0 && now - startedAt >= limits.requestTimeoutMs) err = requestTimeoutError(limits.requestTimeoutMs);
    else if (limits.bodyTimeoutMs > 0 && now - lastProgress >= limits.bodyTimeoutMs) err = bodyTimeoutError(limits.bodyTimeoutMs);
    if (err === null) return;
    clearInterval(timer);
    expired(err);
  }, Math.max(10, Math.min(1000, Math.floor(Math.min(limits.bodyTimeoutMs || 4000, limits.requestTimeoutMs || 4000) / 4))));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * An HTTP/2 stream's body: the stream's own inactivity timer (Http2Stream.setTimeout, refreshed by
 * each DATA frame the stream receives) for body_timeout, one timer for request_timeout. A stream
 * paused by its reader (the upstream takes no more) is not the client's stall: the timer re-arms.
 */
function watchStreamBody(
  req: InboundRequest, maybeStream: Http2Stream | undefined, limits: BodyLimits, startedAt: number, expired: (err: Error) => void,
): () => void {
  if (maybeStream === undefined || maybeStream.destroyed) return NOOP;
  const stream = maybeStream;
  let stopped = false;
  let deadline: NodeJS.Timeout | null = null;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    if (deadline !== null) clearTimeout(deadline);
    if (limits.bodyTimeoutMs > 0 && !stream.destroyed) stream.setTimeout(0, onIdle);
    stream.off('close', stop);
  };
  const expire = (err: Error): void => {
    const wanted = !stopped && !req.complete;
    stop();
    if (wanted) expired(err);
  };
  const onIdle = (): void => {
    if (stopped) return;
    if (req.complete || stream.destroyed) { stop(); return; }
    if (req.readableFlowing !== true) { stream.setTimeout(limits.bodyTimeoutMs, onIdle); return; }
    expire(bodyTimeoutError(limits.bodyTimeoutMs));
  };
  if (limits.bodyTimeoutMs > 0) stream.setTimeout(limits.bodyTimeoutMs, onIdle);
  if (limits.requestTimeoutMs > 0) {
    deadline = setTimeout(() => expire(requestTimeoutError(limits.requestTimeoutMs)), Math.max(0, startedAt + limits.requestTimeoutMs - performance.now()));
    deadline.unref();
  }
  stream.once('close', stop);
  return stop;
}

/**
 * Both watches of a body streamed to the upstream: write_timeout (the upstream stops taking it) and
 * the client's bounds above. The first to expire stops the other; returns the stop function.
 */
export function watchStreamedBody(
  req: InboundRequest, writeTimeoutMs: number, limits: BodyLimits | null, startedAt: number, expired: (err: Error) => void,
): () => void {
  const stops: (() => void)[] = [];
  const stop = () => { for (const s of stops) s(); };
  const once = (err: Error) => { stop(); expired(err); };
  if (writeTimeoutMs > 0) stops.push(watchRequestWrites(req, writeTimeoutMs, once));
  if (limits !== null) stops.push(watchRequestBody(req, limits, startedAt, once));
  return stop;
}
