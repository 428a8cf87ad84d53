// Whether a failed attempt may be tried again on another member, read from the error table:
// `retryable` codes never reached the upstream, so any request whose body is still ours to send
// goes again; `idempotentRetry` codes may have reached it, so only an idempotent request with a
// body that can be sent again unchanged does (nginx's proxy_next_upstream non_idempotent off).
import { ERRORS, type ErrorCode } from '../../proto/errors.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** What a retry decision depends on, gathered by the exchange at the moment of failure. */
export interface AttemptFacts {
  /** attempts made so far, the failed one included */
  readonly attempts: number;
  readonly retries: number;
  readonly clientGone: boolean;
  readonly method: string;
  readonly hasBody: boolean;
  /** the body is a buffer we hold (a plugin read or rewrote it), not the client's stream */
  readonly bodyReplayable: boolean;
  /** some of the client's streamed body was already read (and sent) */
  readonly bodyStarted: boolean;
  /** a timeout is retried only when it was the per-try bound, shorter than the read timeout */
  readonly perTryTimeoutMs: number;
  readonly readTimeoutMs: number;
}

export function mayRetry(code: ErrorCode, f: AttemptFacts): boolean {
  if (f.attempts > f.retries || f.clientGone) return false;
  const spec = ERRORS[code];
  if (spec.retryable) return !f.hasBody || f.bodyReplayable || !f.bodyStarted;
  if (!spec.idempotentRetry) return false;
  if ((f.hasBody && !f.bodyReplayable) || !isIdempotent(f.method)) return false;
  if (code === 'MG_UPSTREAM_TIMEOUT') return f.perTryTimeoutMs > 0 && f.perTryTimeoutMs < f.readTimeoutMs;
  return true;
}
