// Kong's write_timeout for a streamed request body. undici pauses the client's body stream while
// the upstream socket takes no more; a pause that outlasts the timeout ends the attempt (504). A
// slow client is not this: its stream stays flowing, with nothing to read.
import type { InboundRequest } from '../pipeline/transport.js';
import { WRITE_TIMEOUT } from './upstream-errors.js';

/** Starts watching; returns the stop function. `expired` gets the error to abort the attempt with. */
export function watchRequestWrites(req: InboundRequest, timeoutMs: number, expired: (err: Error) => void): () => void {
  let stalledSince = -1;
  const timer = setInterval(() => {
    if (req.readableEnded || req.readableFlowing !== false) { stalledSince = -1; return; }
    const now = performance.now();
    if (stalledSince < 0) { stalledSince = now; return; }
    if (now - stalledSince < timeoutMs) return;
    clearInterval(timer);
    expired(Object.assign(new Error(`the upstream took no request bytes for ${timeoutMs} ms (write_timeout)`), { code: WRITE_TIMEOUT }));
  }, Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4))));
  timer.unref();
  return () => clearInterval(timer);
}
