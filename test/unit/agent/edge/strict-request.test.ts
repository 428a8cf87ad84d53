import assert from 'node:assert/strict';
import { absoluteTarget, compileRequestRules, REWRITE_HEADERS } from '../../../../agent/edge/strict-request.js';
import type { InboundRequest, OutboundResponse } from '../../../../agent/pipeline/transport.js';

function req(lines: [string, string][], opts: { url?: string; version?: string } = {}): InboundRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of lines) headers[k.toLowerCase()] ??= v;
  const httpVersion = opts.version ?? '1.1';
  return { rawHeaders: lines.flat(), headers, url: opts.url ?? '/', httpVersion, httpVersionMajor: Number(httpVersion[0]) } as unknown as InboundRequest;
}
const res = (): OutboundResponse & { shouldKeepAlive?: boolean } => ({}) as OutboundResponse;

describe('strict-request: check', () => {
  const rules = compileRequestRules(undefined);
  const CASES: readonly [string, [string, string][], { url?: string; version?: string }, string | null][] = [
    ['one plain Host', [['Host', 'a.example']], {}, null],
    ['Host with a port', [['Host', 'a.example:8443']], {}, null],
    ['IPv4 Host', [['Host', '10.0.0.1:80']], {}, null],
    ['IPv6 Host', [['Host', '[2001:db8::1]:443']], {}, null],
    ['underscore in a host name (seen in the wild)', [['Host', 'my_host.internal']], {}, null],
    ['no Host on HTTP/1.1', [], {}, 'MG_BAD_HOST'],
    ['no Host on HTTP/1.0', [], { version: '1.0' }, null],
    ['two Hosts', [['Host', 'a'], ['host', 'a']], {}, 'MG_BAD_HOST'],
    ['a Host list', [['Host', 'a, b']], {}, 'MG_BAD_HOST'],
    ['userinfo', [['Host', 'u:p@a']], {}, 'MG_BAD_HOST'],
    ['a path', [['Host', 'a/b']], {}, 'MG_BAD_HOST'],
    ['empty Host', [['Host', '']], {}, 'MG_BAD_HOST'],
    ['a port too long', [['Host', 'a:123456']], {}, 'MG_BAD_HOST'],
    ['two Authorization', [['Host', 'a'], ['Authorization', 'x'], ['AUTHORIZATION', 'y']], {}, 'MG_DUPLICATE_HEADER'],
    ['HTTP/1.0 with Transfer-Encoding', [['Transfer-Encoding', 'chunked']], { version: '1.0' }, 'MG_BAD_FRAMING'],
    ['absolute-form with userinfo', [['Host', 'a']], { url: 'http://u@a/x' }, 'MG_BAD_HOST'],
    ['HTTP/2.0 on an HTTP/1 request line', [['Host', 'a']], { version: '2.0' }, 'MG_HTTP_VERSION'],
  ];
  for (const [what, lines, opts, want] of CASES) {
    it(`${what} → ${want ?? 'passes'}`, () => {
      const r = res();
      const got = rules.check(req(lines, opts), r);
      assert.equal(typeof got === 'string' ? got : null, want);
      if (want !== null) assert.equal(r.shouldKeepAlive, false, 'a refusal closes the connection');
    });
  }

  it('refuses underscored names only in reject mode', () => {
    const lines: [string, string][] = [['Host', 'a'], ['Transfer_Encoding', 'chunked']];
    assert.equal(rules.check(req(lines), res()), null);
    assert.equal(compileRequestRules({ headers_with_underscores: 'reject' }).check(req(lines), res()), 'MG_BAD_HEADER');
  });
});

describe('strict-request: absoluteTarget', () => {
  const CASES: readonly [string, { host: string; url: string } | null][] = [
    ['http://a.example/x?y', { host: 'a.example', url: '/x?y' }],
    ['HTTPS://a.example:8443', { host: 'a.example:8443', url: '/' }],
    ['http://a.example?q=1', { host: 'a.example', url: '/?q=1' }],
    ['http://[::1]:80/p', { host: '[::1]:80', url: '/p' }],
    ['http://user@a.example/x', null],
    ['http:///x', null],
  ];
  for (const [url, want] of CASES) it(`${url} → ${JSON.stringify(want)}`, () => assert.deepEqual(absoluteTarget(url), want));
});

describe('strict-request: header filter', () => {
  it('drops underscored names by default, keeps them with allow', () => {
    assert.equal(compileRequestRules(undefined).filter!.drops('x_api_key'), true);
    assert.equal(compileRequestRules({ headers_with_underscores: 'allow' }).filter!.drops('x_api_key'), false);
  });
  it('drops every meaning-rewriting header and x-envoy-*, unless allowed by name', () => {
    const strict = compileRequestRules(undefined).filter!;
    for (const h of [...REWRITE_HEADERS, 'x-envoy-original-path', 'x-envoy-internal']) assert.equal(strict.drops(h), true, h);
    for (const h of ['x-request-id', 'x-forwarded-for', 'accept', 'x-custom']) assert.equal(strict.drops(h), false, h);
    const allowing = compileRequestRules({ allow_headers: ['X-Forwarded-Prefix', 'x-envoy-internal'] }).filter!;
    assert.equal(allowing.drops('x-forwarded-prefix'), false);
    assert.equal(allowing.drops('x-envoy-internal'), false);
    assert.equal(allowing.drops('x-envoy-original-path'), true);
    assert.equal(allowing.drops('x-original-url'), true);
  });
});
