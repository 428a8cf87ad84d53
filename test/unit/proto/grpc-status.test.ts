import assert from 'node:assert/strict';
import { ERRORS, type ErrorCode } from '../../../proto/errors.js';
import { GRPC, GRPC_STATUS_OF, grpcStatusForHttp } from '../../../proto/grpc-status.js';

describe('gRPC status of meshgate answers (one table from the error table)', () => {
  const CODES: readonly [ErrorCode, number][] = [
    ['MG_NO_PEER', GRPC.UNAVAILABLE], ['MG_UPSTREAM_UNAVAILABLE', GRPC.UNAVAILABLE], ['MG_CONNECT_FAILED', GRPC.UNAVAILABLE],
    ['MG_UPSTREAM_RESET', GRPC.UNAVAILABLE], ['MG_UPSTREAM_TIMEOUT', GRPC.DEADLINE_EXCEEDED], ['MG_CONNECT_TIMEOUT', GRPC.DEADLINE_EXCEEDED],
    ['MG_INTENTION_DENIED', GRPC.PERMISSION_DENIED], ['MG_NO_ROUTE', GRPC.UNIMPLEMENTED], ['MG_INTERNAL', GRPC.INTERNAL],
    ['MG_CLIENT_CLOSED', GRPC.CANCELLED], ['MG_BAD_REQUEST', GRPC.INVALID_ARGUMENT],
  ];
  for (const [code, want] of CODES) it(`${code} → ${want}`, () => assert.equal(GRPC_STATUS_OF[code], want));

  it('every error-table code has a gRPC status other than OK', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) assert.ok(GRPC_STATUS_OF[code] > 0, code);
  });

  const PLUGIN_ANSWERS: readonly [number, number][] = [
    [401, GRPC.UNAUTHENTICATED], [403, GRPC.PERMISSION_DENIED], [429, GRPC.RESOURCE_EXHAUSTED], [413, GRPC.RESOURCE_EXHAUSTED], [418, GRPC.UNKNOWN],
  ];
  for (const [status, want] of PLUGIN_ANSWERS) it(`a plugin's HTTP ${status} → ${want}`, () => assert.equal(grpcStatusForHttp(status), want));
});
