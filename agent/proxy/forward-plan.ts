// The contracts between the request pipeline and the forwarder: what to forward to (a route's
// compiled plan), how plugins edit the answer (response hooks), and what a finished exchange reports.
import type { ErrorCode } from '../../proto/errors.js';
import type { PoolMember, ServicePool } from '../pool/service-pool.js';
import type { H2Upstream } from './h2-upstream-sessions.js';

export interface ForwardPlan {
  readonly pool: ServicePool;
  /** the next hop is a meshgate sidecar, which tells us when its service was never reached */
  readonly meshHop?: boolean;
  readonly retries: number;
  readonly readTimeoutMs: number;
  /**
   * Kong's write_timeout (nginx proxy_send_timeout): how long a streamed request body may wait for
   * the upstream to take more of it. 0 or absent: not enforced.
   */
  readonly writeTimeoutMs?: number;
  /** bound on waiting for response headers per attempt (retried for idempotent requests); 0 = read timeout */
  readonly perTryTimeoutMs?: number;
  /** `reason`: the error code that made the attempt fail */
  readonly onRetry?: (reason: ErrorCode) => void;
  readonly onEject?: (member: PoolMember) => void;
  /** HTTP/2 toward the members, for gRPC calls (grpc-exchange.ts); absent: HTTP/1.1 only */
  readonly h2?: H2Upstream;
}

/** A copy of a streamed response body for an observer (proxy-cache). */
export interface ResponseTap {
  chunk(b: Buffer): void;
  end(): void;
  abort(): void;
}

/** Edits of the answer before it reaches the client (plugins' response phases). */
export interface ResponseHooks {
  /** may edit `headers` (flat, in place); returns true to get the whole body in `body` first */
  headers(status: number, headers: string[]): boolean;
  body(body: Buffer, headers: string[]): Buffer;
  /** copies of the streamed body for observers (after headers); null for none */
  taps?(status: number, headers: string[]): readonly ResponseTap[] | null;
}

/** What a finished exchange reports, for the single access-log line and the metrics. */
export interface ExchangeOutcome {
  readonly status: number;
  readonly bytes: number;
  /** a tunnel's bytes from the client (its `bytes` are those to the client) */
  readonly bytesIn?: number;
  readonly upstreamMs: number;
  readonly endpoint: string;
  readonly attempts: number;
  readonly error?: ErrorCode;
  /** the gRPC call's grpc-status (upstream's trailers, or meshgate's own answer) */
  readonly grpcStatus?: number;
}
