// The two bounds on receiving a streamed request body from the client (docs/http-strictness.md,
// resource bounds): no body bytes for `bodyTimeoutMs` while the upstream waits for them (nginx's
// client_body_timeout, Kong's default 60 s), and the whole body by `requestTimeoutMs` after the
// request's head (so a body that trickles, one byte a second, still ends). Waiting on an upstream
// that takes no more (the stream paused) is write_timeout's case, not the client's, and resets the
// first bound. HTTP/1.1 only: an HTTP/2 stream's flow control and the session's timeouts bound it.
import type { InboundRequest } from '../pipeline/transport.js';
import { BODY_TIMEOUT, REQUEST_TIMEOUT } from './upstream-errors.js';
import { watchRequestWrites } from './write-watchdog.js';

export interface BodyLimits {
  readonly bodyTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

const NOOP = (): void => {};

/** Starts watching; returns the stop function. `expired` gets the error to abort the attempt with. */
export function watchRequestBody(req: InboundRequest, limits: BodyLimits, startedAt: number, expired: (err: Error) => void): () => void {
  if (req.httpVersion === '2.0' || req.complete) return NOOP;
  const socket = req.socket;
  let lastBytes = socket.bytesRead;
  let lastProgress = performance.now();
  const timer = setInterval(() => {
    if (req.complete) { clearInterval(timer); return; }
    const now = performance.now();
    const bytes = socket.bytesRead;
    // bytes arrived, or the upstream is not reading (backpressure): the client is not the one stalling
    if (bytes !== lastBytes || req.readableFlowing !== true) { lastBytes = bytes; lastProgress = now; }
    let err: Error | null = null;
    if (limits.requestTimeoutMs > 0 && now - startedAt >= limits.requestTimeoutMs) {
      err = Object.assign(new Error(`the request body did not arrive within ${limits.requestTimeoutMs} ms (request_timeout)`), { code: REQUEST_TIMEOUT });
    } else if (limits.bodyTimeoutMs > 0 && now - lastProgress >= limits.bodyTimeoutMs) {
      err = Object.assign(new Error(`no request body bytes for ${limits.bodyTimeoutMs} ms (body_timeout)`), { code: BODY_TIMEOUT });
    }
    if (err === null) return;
    clearInterval(timer);
    expired(err);
  }, Math.max(10, Math.min(1000, Math.floor(Math.min(limits.bodyTimeoutMs || 4000, limits.requestTimeoutMs || 4000) / 4))));
  timer.unref();
  return () => clearInterval(timer);
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
