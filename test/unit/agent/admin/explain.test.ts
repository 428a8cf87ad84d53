import assert from 'node:assert/strict';
import { MeshgateError } from '../../../../proto/errors.js';
import { parseExplainQuery } from '../../../../agent/admin/explain.js';

describe('parseExplainQuery', () => {
  const BAD: readonly [string, RegExp][] = [
    ['', /"url" is required/],
    ['method=GET', /"url" is required/],
    ['url=', /"url" is required/],
    ['url=/relative/path', /not an absolute URL/],
    ['url=http//x', /not an absolute URL/],
    ['url=ftp://h/p', /must be http/],
    ['url=http://h/p&method=G%20T', /"method"/],
    ['url=http://h/p&header=NoColon', /Name:value/],
    ['url=http://h/p&header=:v', /Name:value/],
  ];
  for (const [q, re] of BAD) {
    it(`?${q} → 400`, () => {
      const r = parseExplainQuery(new URLSearchParams(q));
      assert.ok(r instanceof MeshgateError);
      assert.equal(r.status, 400);
      assert.equal(r.code, 'MG_BAD_REQUEST');
      assert.match(r.message, re);
    });
  }

  it('reads method, url, repeated headers and the host from the url', () => {
    const r = parseExplainQuery(new URLSearchParams('method=post&url=https://api.example.com:8443/a/b?x=1&header=X-Api-Key:%20k1&header=Accept:application/json'));
    assert.ok(!(r instanceof MeshgateError));
    assert.equal(r.method, 'POST');
    assert.equal(r.url.pathname, '/a/b');
    assert.deepEqual(r.headers, { 'x-api-key': 'k1', accept: 'application/json', host: 'api.example.com:8443' });
  });

  it('a Host header wins over the url host', () => {
    const r = parseExplainQuery(new URLSearchParams('url=http://127.0.0.1/p&header=Host:api.example.com'));
    assert.ok(!(r instanceof MeshgateError));
    assert.equal(r.headers.host, 'api.example.com');
  });
});
