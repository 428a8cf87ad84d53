import assert from 'node:assert/strict';
import { ERRORS, type ErrorCode } from '../../../../proto/errors.js';
import { isIdempotent, mayRetry, type AttemptFacts } from '../../../../agent/proxy/retry-policy.js';

const BASE: AttemptFacts = {
  attempts: 1, retries: 2, clientGone: false, method: 'GET', hasBody: false, bodyReplayable: false, bodyStarted: false,
  perTryTimeoutMs: 0, readTimeoutMs: 60_000,
};

describe('isIdempotent', () => {
  for (const m of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']) it(`${m} is idempotent`, () => assert.equal(isIdempotent(m), true));
  for (const m of ['POST', 'PATCH', 'CONNECT', 'get', '']) it(`${JSON.stringify(m)} is not`, () => assert.equal(isIdempotent(m), false));
});

describe('mayRetry', () => {
  const CASES: readonly [string, ErrorCode, Partial<AttemptFacts>, boolean][] = [
    ['connect failure, GET', 'MG_CONNECT_FAILED', {}, true],
    ['connect failure, POST with an unread streamed body', 'MG_CONNECT_FAILED', { method: 'POST', hasBody: true }, true],
    ['connect failure, POST whose streamed body was partly sent', 'MG_CONNECT_FAILED', { method: 'POST', hasBody: true, bodyStarted: true }, false],
    ['connect failure, POST with a held (replayable) body already sent', 'MG_CONNECT_FAILED', { method: 'POST', hasBody: true, bodyReplayable: true, bodyStarted: true }, true],
    ['connect timeout', 'MG_CONNECT_TIMEOUT', {}, true],
    ['sidecar draining', 'MG_DRAINING', {}, true],
    ['reset, GET', 'MG_UPSTREAM_RESET', {}, true],
    ['reset, POST (not idempotent)', 'MG_UPSTREAM_RESET', { method: 'POST' }, false],
    ['reset, PUT with a streamed body', 'MG_UPSTREAM_RESET', { method: 'PUT', hasBody: true }, false],
    ['reset, PUT with a held body', 'MG_UPSTREAM_RESET', { method: 'PUT', hasBody: true, bodyReplayable: true }, true],
    ['read timeout without a per-try bound', 'MG_UPSTREAM_TIMEOUT', {}, false],
    ['per-try timeout shorter than the read timeout', 'MG_UPSTREAM_TIMEOUT', { perTryTimeoutMs: 1000 }, true],
    ['per-try timeout not shorter than the read timeout', 'MG_UPSTREAM_TIMEOUT', { perTryTimeoutMs: 60_000 }, false],
    ['no retries configured', 'MG_CONNECT_FAILED', { retries: 0 }, false],
    ['retries used up', 'MG_CONNECT_FAILED', { attempts: 3, retries: 2 }, false],
    ['last retry left', 'MG_CONNECT_FAILED', { attempts: 2, retries: 2 }, true],
    ['client gone', 'MG_CONNECT_FAILED', { clientGone: true }, false],
    ['no peer', 'MG_NO_PEER', {}, false],
    ['internal', 'MG_INTERNAL', {}, false],
  ];
  for (const [name, code, facts, want] of CASES) {
    it(`${name}: ${want ? 'retried' : 'not retried'}`, () => assert.equal(mayRetry(code, { ...BASE, ...facts }), want));
  }

  it('reads the error table: every retryable code is retried for a bodiless GET, no code with neither flag is', () => {
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const spec = ERRORS[code];
      const facts = { ...BASE, perTryTimeoutMs: 1000 };
      assert.equal(mayRetry(code, facts), spec.retryable || spec.idempotentRetry, code);
    }
  });
});
