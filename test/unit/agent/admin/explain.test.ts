import assert from 'node:assert/strict';
import { MeshgateError } from '../../../../proto/errors.js';
import { explainCandidates, parseExplainQuery } from '../../../../agent/admin/explain.js';
import { compileRouteEntries, matchRoute, ruleFor, type Arrival } from '../../../../agent/table/router.js';
import type { KongRoute } from '../../../../proto/config-schema.js';

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

describe('parseExplainQuery: how the request arrived', () => {
  const ROWS: readonly [string, { scheme: string; sni: string | undefined; grpc?: boolean }][] = [
    ['url=http://api.example/p', { scheme: 'http', sni: undefined }],
    ['url=https://API.example/p', { scheme: 'https', sni: 'api.example' }],
    ['url=https://api.example/p&sni=Other.Example', { scheme: 'https', sni: 'other.example' }],
    ['url=https://api.example/p&sni=', { scheme: 'https', sni: undefined }],
    ['url=https://10.1.2.3/p', { scheme: 'https', sni: undefined }],
    ['url=https://[::1]:8443/p', { scheme: 'https', sni: undefined }],
    ['url=https://api.example/p&header=content-type:application/grpc', { scheme: 'grpcs', sni: 'api.example', grpc: true }],
    ['url=http://api.example/p&header=content-type:application/grpc%2Bproto', { scheme: 'grpc', sni: undefined, grpc: true }],
  ];
  for (const [q, want] of ROWS) {
    it(`?${q} → ${JSON.stringify(want)}`, () => {
      const r = parseExplainQuery(new URLSearchParams(q));
      assert.ok(!(r instanceof MeshgateError), String(r));
      assert.deepEqual({ ...r.arrival }, want);
    });
  }

  for (const q of ['url=http://api.example/p&sni=api.example', 'url=https://api.example/p&sni=a%20b', 'url=https://api.example/p&sni=a/b']) {
    it(`?${q} → 400`, () => {
      const r = parseExplainQuery(new URLSearchParams(q));
      assert.ok(r instanceof MeshgateError);
      assert.match(r.message, /"sni"/);
    });
  }
});

describe('explainCandidates: the route the router picks, with protocols and snis', () => {
  const routes = [
    { name: 'sni-a', paths: ['/p'], protocols: ['https'], snis: ['a.example'] },
    { name: 'sni-wild', paths: ['/p'], protocols: ['https'], snis: ['*.wild.example'] },
    { name: 'https-only', paths: ['/p'], protocols: ['https'] },
    { name: 'http-only', paths: ['/q'], protocols: ['http'] },
    { name: 'grpcs', paths: ['/g'], protocols: ['grpcs'] },
    { name: 'any', paths: ['/'] },
  ] as unknown as KongRoute[];
  const entries = compileRouteEntries(routes.map((route, i) => ({ route, rule: ruleFor(route, 'svc', i) })));
  const ROWS: readonly [string, string, Arrival, string | null, RegExp | null][] = [
    // [what, path, arrival, chosen, reason sni-a lost with]
    ['https with the SNI', '/p', { scheme: 'https', sni: 'a.example' }, 'sni-a', null],
    ['https with a wildcard SNI', '/p', { scheme: 'https', sni: 'x.wild.example' }, 'sni-wild', /sni x\.wild\.example not in/],
    ['https with another SNI', '/p', { scheme: 'https', sni: 'b.example' }, 'https-only', /sni b\.example not in \[a\.example\]/],
    ['https without SNI', '/p', { scheme: 'https', sni: undefined }, 'https-only', /no TLS server name/],
    ['plain http (the https-only route takes it, to redirect)', '/p', { scheme: 'http', sni: undefined }, 'https-only', /no TLS server name/],
    ['https on an http-only route', '/q', { scheme: 'https', sni: undefined }, 'any', null],
    ['a gRPC call over TLS', '/g', { scheme: 'grpcs', sni: undefined, grpc: true }, 'grpcs', null],
    ['a gRPC call on a path only plain routes take', '/q', { scheme: 'grpcs', sni: undefined, grpc: true }, null, null],
  ];
  for (const [what, path, arrival, want, sniReason] of ROWS) {
    it(`${what}: ${want ?? 'no route'}, as matchRoute`, () => {
      const { candidates, chosen } = explainCandidates(entries, 'GET', 'h.example', path, {}, arrival);
      assert.equal(chosen?.route.name ?? null, want);
      assert.equal(chosen?.route.name ?? null, matchRoute(entries, 'GET', 'h.example', path, {}, arrival)?.rule.name ?? null, 'the router agrees');
      assert.equal(candidates.filter((c) => c.result === 'chosen').length, want === null ? 0 : 1);
      if (sniReason !== null) assert.match(candidates.find((c) => c.route === 'sni-a')!.reason!, sniReason);
    });
  }

  it('says why a protocol lost', () => {
    const { candidates } = explainCandidates(entries, 'GET', 'h.example', '/q', {}, { scheme: 'https', sni: undefined });
    assert.match(candidates.find((c) => c.route === 'http-only')!.reason!, /protocol https not in \[http\]/);
    const grpc = explainCandidates(entries, 'GET', 'h.example', '/q', {}, { scheme: 'grpcs', sni: undefined, grpc: true });
    assert.match(grpc.candidates.find((c) => c.route === 'any')!.reason!, /grpc\/grpcs routes only/);
  });
});
