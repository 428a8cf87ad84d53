import assert from 'node:assert/strict';
import type { InboundRequest } from '../../../../agent/pipeline/transport.js';
import { hasRequestBody, hasUndeclaredLength } from '../../../../agent/proxy/request-body.js';

/** the parts the functions read: the version, the framing headers, an HTTP/2 stream's END_STREAM-on-HEADERS */
function req(httpVersion: '1.1' | '2.0', headers: Record<string, string>, endAfterHeaders?: boolean): InboundRequest {
  return { httpVersion, headers, ...(endAfterHeaders === undefined ? {} : { stream: { endAfterHeaders } }) } as unknown as InboundRequest;
}

describe('request body framing (HTTP/1.1 and HTTP/2)', () => {
  const ROWS: readonly [string, InboundRequest, boolean, boolean][] = [
    ['HTTP/1.1 without framing headers', req('1.1', {}), false, false],
    ['HTTP/1.1 Content-Length: 0', req('1.1', { 'content-length': '0' }), false, false],
    ['HTTP/1.1 Content-Length: 5', req('1.1', { 'content-length': '5' }), true, false],
    ['HTTP/1.1 chunked', req('1.1', { 'transfer-encoding': 'chunked' }), true, true],
    ['HTTP/2 HEADERS with END_STREAM', req('2.0', {}, true), false, false],
    ['HTTP/2 DATA frames, no content-length', req('2.0', {}, false), true, true],
    ['HTTP/2 DATA frames, content-length 5', req('2.0', { 'content-length': '5' }, false), true, false],
    ['HTTP/2 content-length 0', req('2.0', { 'content-length': '0' }, false), false, false],
  ];
  for (const [name, r, body, undeclared] of ROWS) {
    it(`${name}: body ${body}, undeclared length ${undeclared}`, () => {
      assert.equal(hasRequestBody(r), body);
      assert.equal(hasUndeclaredLength(r), undeclared);
    });
  }
});
