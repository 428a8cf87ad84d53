// One error table. Every error meshgate answers with, or maps an upstream failure to,
// has a stable code, an HTTP status, a client-facing message (Kong's wording where Kong
// has one) and whether a retry on another endpoint is allowed.

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
  /** safe to retry on another endpoint (the request never reached the upstream) */
  readonly retryable: boolean;
}

export const ERRORS = {
  MG_NO_ROUTE: { status: 404, message: 'no Route matched with those values', retryable: false },
  MG_BAD_PATH: { status: 400, message: 'Bad request: invalid path', retryable: false },
  MG_NO_PEER: { status: 503, message: 'failure to get a peer from the ring-balancer', retryable: false },
  MG_UPSTREAM_UNAVAILABLE: { status: 503, message: 'The upstream server is currently unavailable', retryable: false },
  MG_CONNECT_FAILED: { status: 502, message: 'An invalid response was received from the upstream server', retryable: true },
  MG_UPSTREAM_RESET: { status: 502, message: 'An invalid response was received from the upstream server', retryable: false },
  MG_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream server is timing out', retryable: false },
  MG_CONNECT_TIMEOUT: { status: 504, message: 'The upstream server is timing out', retryable: true },
  MG_UNKNOWN_DESTINATION: { status: 421, message: 'No such service behind this sidecar', retryable: false },
  MG_INTENTION_DENIED: { status: 403, message: 'Access denied by intention', retryable: false },
  MG_AUTHZ_UNAVAILABLE: { status: 503, message: 'Authorization is currently unavailable', retryable: false },
  MG_DRAINING: { status: 503, message: 'The upstream server is currently unavailable', retryable: true },
  /** not an answer: the access-log code when the client went away first (nginx's 499) */
  MG_CLIENT_CLOSED: { status: 499, message: 'Client closed the request', retryable: false },
  MG_INTERNAL: { status: 500, message: 'An unexpected error occurred', retryable: false },
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
