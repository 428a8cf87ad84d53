import assert from 'node:assert/strict';
import { ERRORS, errorBody, MeshgateError, type ErrorCode } from '../../../proto/errors.js';

const CODES = Object.keys(ERRORS) as ErrorCode[];

describe('ERRORS', () => {
  it('has the codes the proxy relies on', () => {
    for (const c of ['MG_NO_ROUTE', 'MG_BAD_PATH', 'MG_NO_PEER', 'MG_CONNECT_FAILED', 'MG_UPSTREAM_RESET', 'MG_UPSTREAM_TIMEOUT', 'MG_CONNECT_TIMEOUT', 'MG_INTERNAL']) {
      assert.ok(c in ERRORS, c);
    }
  });

  for (const code of CODES) {
    describe(code, () => {
      it('has a 4xx/5xx status and a message', () => {
        const spec = ERRORS[code];
        assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, String(spec.status));
        assert.ok(spec.message.length > 0);
        assert.equal(typeof spec.retryable, 'boolean');
      });

      it('has a JSON body with message, code and request_id', () => {
        const parsed = JSON.parse(errorBody(code, 'abc-1')) as Record<string, unknown>;
        assert.deepEqual(parsed, { message: ERRORS[code].message, code, request_id: 'abc-1' });
      });

      it('builds a MeshgateError with its status and retryability', () => {
        const e = new MeshgateError(code);
        assert.equal(e.code, code);
        assert.equal(e.status, ERRORS[code].status);
        assert.equal(e.retryable, ERRORS[code].retryable);
        assert.equal(e.message, ERRORS[code].message);
        assert.equal(e.name, 'MeshgateError');
      });
    });
  }

  const STATUS: readonly [ErrorCode, number][] = [
    ['MG_NO_ROUTE', 404], ['MG_BAD_PATH', 400], ['MG_NO_PEER', 503], ['MG_CONNECT_FAILED', 502],
    ['MG_UPSTREAM_RESET', 502], ['MG_UPSTREAM_TIMEOUT', 504], ['MG_CONNECT_TIMEOUT', 504], ['MG_INTERNAL', 500],
  ];
  for (const [code, status] of STATUS) it(`${code} is ${status}`, () => assert.equal(ERRORS[code].status, status));

  it('uses Kong\'s wording for no route', () => assert.equal(ERRORS.MG_NO_ROUTE.message, 'no Route matched with those values'));

  it('escapes a request id safely into JSON', () => {
    assert.equal((JSON.parse(errorBody('MG_INTERNAL', 'a"b\\c')) as { request_id: string }).request_id, 'a"b\\c');
  });

  it('MeshgateError keeps a detail message and a cause', () => {
    const cause = new Error('root');
    const e = new MeshgateError('MG_CONNECT_FAILED', 'dial 10.0.0.1:80 refused', { cause });
    assert.equal(e.message, 'dial 10.0.0.1:80 refused');
    assert.equal(e.cause, cause);
  });
});
