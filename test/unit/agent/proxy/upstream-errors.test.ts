import assert from 'node:assert/strict';
import { classifyUpstreamError } from '../../../../agent/proxy/upstream-errors.js';
import { ERRORS } from '../../../../proto/errors.js';

describe('classifyUpstreamError', () => {
  const ROWS: readonly [unknown, string][] = [
    [{ code: 'UND_ERR_CONNECT_TIMEOUT' }, 'MG_CONNECT_TIMEOUT'],
    [{ code: 'ECONNREFUSED' }, 'MG_CONNECT_FAILED'],
    [{ code: 'EHOSTUNREACH' }, 'MG_CONNECT_FAILED'],
    [{ code: 'ENETUNREACH' }, 'MG_CONNECT_FAILED'],
    [{ code: 'ENOTFOUND' }, 'MG_CONNECT_FAILED'],
    [{ code: 'EAI_AGAIN' }, 'MG_CONNECT_FAILED'],
    [{ code: 'EADDRNOTAVAIL' }, 'MG_CONNECT_FAILED'],
    // a failed TLS handshake: the request was never sent
    [{ code: 'ERR_MESH_IDENTITY' }, 'MG_CONNECT_FAILED'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'MG_CONNECT_FAILED'],
    [{ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, 'MG_CONNECT_FAILED'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'MG_CONNECT_FAILED'],
    [{ code: 'CERT_HAS_EXPIRED' }, 'MG_CONNECT_FAILED'],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'MG_CONNECT_FAILED'],
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'MG_CONNECT_FAILED'],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'MG_UPSTREAM_TIMEOUT'],
    [{ code: 'UND_ERR_BODY_TIMEOUT' }, 'MG_UPSTREAM_TIMEOUT'],
    [{ code: 'ECONNRESET' }, 'MG_UPSTREAM_RESET'],
    [{ code: 'EPIPE' }, 'MG_UPSTREAM_RESET'],
    [{ code: 'UND_ERR_SOCKET' }, 'MG_UPSTREAM_RESET'],
    [{ code: 'UND_ERR_CLOSED' }, 'MG_UPSTREAM_RESET'],
    [{ code: 'SOMETHING_ELSE' }, 'MG_UPSTREAM_RESET'],
    [new Error('no code'), 'MG_UPSTREAM_RESET'],
    [null, 'MG_UPSTREAM_RESET'],
    [undefined, 'MG_UPSTREAM_RESET'],
    ['ECONNREFUSED', 'MG_UPSTREAM_RESET'],
  ];
  for (const [err, want] of ROWS) {
    it(`${JSON.stringify(err) ?? String(err)} → ${want}`, () => assert.equal(classifyUpstreamError(err), want));
  }

  it('reads the code of a real Error', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(classifyUpstreamError(e), 'MG_CONNECT_FAILED');
  });

  it('marks retryable exactly the failures where the request never reached the upstream', () => {
    assert.equal(ERRORS[classifyUpstreamError({ code: 'ECONNREFUSED' })].retryable, true);
    assert.equal(ERRORS[classifyUpstreamError({ code: 'UND_ERR_CONNECT_TIMEOUT' })].retryable, true);
    assert.equal(ERRORS[classifyUpstreamError({ code: 'ECONNRESET' })].retryable, false);
    assert.equal(ERRORS[classifyUpstreamError({ code: 'UND_ERR_HEADERS_TIMEOUT' })].retryable, false);
  });
});

