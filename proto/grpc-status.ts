// gRPC status codes (grpc/doc/statuscodes.md) and the one mapping from meshgate's answers to them:
// an answer meshgate makes itself to a gRPC client (a refusal, a plugin's short-circuit, an upstream
// failure) goes out as a trailers-only response with HTTP status 200 and this grpc-status.
import { ERRORS, type ErrorCode } from './errors.js';

export const GRPC = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

/**
 * HTTP status of an answer → gRPC status. Plugins answer with HTTP statuses (401 from key-auth,
 * 429 from rate-limiting), and every entry of the error table has one, so this one table serves both.
 */
const BY_HTTP_STATUS: ReadonlyMap<number, number> = new Map([
  [400, GRPC.INVALID_ARGUMENT], [401, GRPC.UNAUTHENTICATED], [403, GRPC.PERMISSION_DENIED],
  [404, GRPC.UNIMPLEMENTED], [408, GRPC.DEADLINE_EXCEEDED], [409, GRPC.ABORTED], [413, GRPC.RESOURCE_EXHAUSTED],
  [421, GRPC.UNAVAILABLE], [426, GRPC.FAILED_PRECONDITION], [429, GRPC.RESOURCE_EXHAUSTED], [499, GRPC.CANCELLED],
  [500, GRPC.INTERNAL], [501, GRPC.UNIMPLEMENTED], [502, GRPC.UNAVAILABLE], [503, GRPC.UNAVAILABLE], [504, GRPC.DEADLINE_EXCEEDED],
]);

export function grpcStatusForHttp(status: number): number {
  return BY_HTTP_STATUS.get(status) ?? GRPC.UNKNOWN;
}

/** Every error-table code's gRPC status, derived once from its HTTP status. */
export const GRPC_STATUS_OF: Readonly<Record<ErrorCode, number>> = Object.freeze(Object.fromEntries(
  Object.entries(ERRORS).map(([code, spec]) => [code, grpcStatusForHttp(spec.status)]),
) as Record<ErrorCode, number>);
