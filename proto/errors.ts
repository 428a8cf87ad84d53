// One error table. Every error meshgate answers with, or maps an upstream failure to,
// has a stable code, an HTTP status, a client-facing message (Kong's wording where Kong
// has one) and whether a retry on another endpoint is allowed.

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
  /** safe to retry on another endpoint (the request never reached the upstream) */
  readonly retryable: boolean;
  /**
   * the request may have reached the upstream: another endpoint is tried only for an idempotent
   * request whose body can be sent again (agent/proxy/retry-policy.ts)
   */
  readonly idempotentRetry: boolean;
}

export const ERRORS = {
  MG_NO_ROUTE: { status: 404, message: 'no Route matched with those values', retryable: false, idempotentRetry: false },
  MG_BAD_PATH: { status: 400, message: 'Bad request: invalid path', retryable: false, idempotentRetry: false },
  MG_BAD_HOST: { status: 400, message: 'Bad request: invalid Host header', retryable: false, idempotentRetry: false },
  MG_BAD_FRAMING: { status: 400, message: 'Bad request: invalid message framing', retryable: false, idempotentRetry: false },
  MG_DUPLICATE_HEADER: { status: 400, message: 'Bad request: duplicate header', retryable: false, idempotentRetry: false },
  MG_BAD_HEADER: { status: 400, message: 'Bad request: invalid header name', retryable: false, idempotentRetry: false },
  /** an HTTP/1 request line with another major version (HTTP/2.0 is only spoken as HTTP/2 framing) */
  MG_HTTP_VERSION: { status: 505, message: 'HTTP Version Not Supported', retryable: false, idempotentRetry: false },
  /** an HTTP/2 CONNECT other than RFC 8441's `:protocol websocket` (a forward-proxy tunnel, another protocol) */
  MG_UNSUPPORTED_PROTOCOL: { status: 501, message: 'Not Implemented: CONNECT is only supported for the websocket protocol', retryable: false, idempotentRetry: false },
  MG_BAD_REQUEST: { status: 400, message: 'Bad request', retryable: false, idempotentRetry: false },
  /** the client's request body stopped arriving (edge.limits.body_timeout); the connection closes */
  MG_BODY_TIMEOUT: { status: 408, message: 'Request timeout', retryable: false, idempotentRetry: false },
  /** the whole request body did not arrive within edge.limits.request_timeout; the connection closes */
  MG_REQUEST_TIMEOUT: { status: 408, message: 'Request timeout', retryable: false, idempotentRetry: false },
  MG_NO_PEER: { status: 503, message: 'failure to get a peer from the ring-balancer', retryable: false, idempotentRetry: false },
  MG_UPSTREAM_UNAVAILABLE: { status: 503, message: 'The upstream server is currently unavailable', retryable: false, idempotentRetry: false },
  MG_CONNECT_FAILED: { status: 502, message: 'An invalid response was received from the upstream server', retryable: true, idempotentRetry: false },
  MG_UPSTREAM_RESET: { status: 502, message: 'An invalid response was received from the upstream server', retryable: false, idempotentRetry: true },
  MG_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream server is timing out', retryable: false, idempotentRetry: true },
  MG_CONNECT_TIMEOUT: { status: 504, message: 'The upstream server is timing out', retryable: true, idempotentRetry: false },
  /** an https-only route reached over plain HTTP (Kong's https_redirect_status_code 426) */
  MG_HTTPS_REQUIRED: { status: 426, message: 'Please use HTTPS protocol', retryable: false, idempotentRetry: false },
  MG_UNKNOWN_DESTINATION: { status: 421, message: 'No such service behind this sidecar', retryable: false, idempotentRetry: false },
  MG_INTENTION_DENIED: { status: 403, message: 'Access denied by intention', retryable: false, idempotentRetry: false },
  MG_AUTHZ_UNAVAILABLE: { status: 503, message: 'Authorization is currently unavailable', retryable: false, idempotentRetry: false },
  /** a listener at max_connections with no idle connection to close; answered before any request (plain HTTP) */
  MG_TOO_MANY_CONNECTIONS: { status: 503, message: 'Too many connections', retryable: false, idempotentRetry: false },
  MG_DRAINING: { status: 503, message: 'The upstream server is currently unavailable', retryable: true, idempotentRetry: false },
  /** not an answer: the access-log code when the client went away first (nginx's 499) */
  MG_CLIENT_CLOSED: { status: 499, message: 'Client closed the request', retryable: false, idempotentRetry: false },
  /** not an answer: the access-log code of an upgraded connection (WebSocket) closed for idleness */
  MG_TUNNEL_IDLE: { status: 408, message: 'The upgraded connection was idle too long', retryable: false, idempotentRetry: false },
  MG_INTERNAL: { status: 500, message: 'An unexpected error occurred', retryable: false, idempotentRetry: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class MeshgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? ERRORS[code].message, options);
    this.name = 'MeshgateError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryable = ERRORS[code].retryable;
  }
}

/** The JSON body for a code, Kong's shape: {"message", "request_id"} plus our stable code. */
export function errorBody(code: ErrorCode, requestId: string): string {
  return JSON.stringify({ message: ERRORS[code].message, code, request_id: requestId });
}
