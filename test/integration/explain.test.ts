// GET /debug/explain on a real edge's admin listener: the route chosen and why the others lost,
// the plugins in execution order, the rate-limit key and what is left (explaining counts nothing),
// the cache key and whether it would hit, the pool and the balancer's pick; 400 on bad input. And
// the same report for a real request carrying X-Kong-Request-Debug with agent.request_debug_token.
import assert from 'node:assert/strict';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

const TOKEN = 'explain-debug-token-5b1f0c';

interface Report {
  request: { arrival: { scheme: string; sni: string | null } };
  answer?: string;
  candidates: { route: string; result: string; reason?: string }[];
  route: { name: string; upstream_path: string } | null;
  plugins: { name: string; priority: number; decision: string; key?: string; windows?: { key: string; remaining: number | null }[]; cache_key?: string; would_hit?: boolean }[];
  pool: { name: string; endpoints: { endpoint: string; available: boolean }[] };
  pick: { endpoint: string | null };
}

describe('/debug/explain: what the edge would do with a request, without forwarding it', function () {
  this.timeout(120_000);
  const harness = useHarness('explain');
  let web1: ServiceHandle;
  let web2: ServiceHandle;
  let edge: AgentHandle;

  before(async function () {
    const h = harness();
    [web1, web2] = await Promise.all([h.startService('web', 'web-1'), h.startService('web', 'web-2')]);
    edge = await h.startEdge({
      name: 'edge-explain', agent: { request_debug_token: TOKEN },
      kong: {
        _format_version: '3.0',
        services: [{
          name: 'api', url: 'http://api-lb', routes: [
            { name: 'api-post', paths: ['/api'], methods: ['POST'] },
            { name: 'api', paths: ['/api'] },
            { name: 'other', paths: ['/other'] },
            { name: 'tls-sni', paths: ['/secure'], protocols: ['https'], snis: ['secure.example'] },
            { name: 'tls-any', paths: ['/secure'], protocols: ['https'] },
          ],
        }],
        upstreams: [{ name: 'api-lb', targets: [{ target: `127.0.0.1:${web1.port}` }, { target: `127.0.0.1:${web2.port}` }] }],
        plugins: [
          { name: 'proxy-cache', route: 'api', config: { strategy: 'memory', content_type: ['application/json', 'application/json; charset=utf-8'] } },
          { name: 'rate-limiting', route: 'api', config: { minute: 50, policy: 'local' } },
          { name: 'cors', route: 'api', config: { origins: ['*'] } },
          { name: 'correlation-id', route: 'api', config: {} },
        ],
      },
    });
  });

  const explain = async (query: string) => {
    const r = await harness().http.get(`http://127.0.0.1:${edge.adminPort}/debug/explain?${query}`);
    return r;
  };
  const report = async (query: string): Promise<Report> => {
    const r = await explain(query);
    assert.equal(r.status, 200, r.text);
    return r.json<Report>();
  };

  it('reports the route chosen and why each other candidate lost', async function () {
    const r = await report('method=GET&url=http://example.test/api/users?x=1');
    assert.equal(r.route?.name, 'api');
    const byName = new Map(r.candidates.map((c) => [c.route, c]));
    assert.equal(byName.get('api')?.result, 'chosen');
    assert.equal(byName.get('api-post')?.result, 'lost');
    assert.match(byName.get('api-post')!.reason!, /method GET/);
    assert.match(byName.get('other')!.reason!, /does not start with \/other/);
    assert.equal(r.route?.upstream_path, '/users?x=1', 'strip_path applied, query kept');
    const post = await report('method=POST&url=http://example.test/api/users');
    assert.equal(post.route?.name, 'api-post');
  });

  it('lists the plugins in execution order (Kong priority, highest first)', async function () {
    const r = await report('url=http://example.test/api/order');
    assert.deepEqual(r.plugins.map((p) => p.name), ['correlation-id', 'cors', 'rate-limiting', 'proxy-cache']);
    const prio = r.plugins.map((p) => p.priority);
    assert.deepEqual(prio, [...prio].sort((a, b) => b - a));
  });

  it('gives the rate-limit key and what is left, and counts nothing itself', async function () {
    const h = harness();
    const before = (await report('url=http://example.test/api/rl')).plugins.find((p) => p.name === 'rate-limiting')!;
    const window = before.windows![0]!;
    assert.ok(window.key.length > 0 && window.key.includes('127.0.0.1'), JSON.stringify(before));
    const again = (await report('url=http://example.test/api/rl')).plugins.find((p) => p.name === 'rate-limiting')!;
    assert.equal(again.windows![0]!.remaining, window.remaining, 'explaining does not count');
    assert.equal((await h.http.get(`${edge.url}/api/rl`)).status, 200);
    const after = (await report('url=http://example.test/api/rl')).plugins.find((p) => p.name === 'rate-limiting')!;
    assert.equal(after.windows![0]!.remaining, window.remaining! - 1, 'a real request counts');
  });

  it('gives the cache key and whether it would hit', async function () {
    const h = harness();
    // the host is part of Kong's cache key: explain the URL the real request uses
    const q = `url=${encodeURIComponent(`${edge.url}/api/cached`)}`;
    const miss = (await report(q)).plugins.find((p) => p.name === 'proxy-cache')!;
    assert.equal(miss.would_hit, false);
    const res = await h.http.get(`${edge.url}/api/cached`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-cache-status'], 'Miss', res.text);
    // the store fills as the body streams past; it may finish just after the client has the answer
    const hit = await waitFor(async () => {
      const p = (await report(q)).plugins.find((x) => x.name === 'proxy-cache')!;
      return p.would_hit === true ? p : undefined;
    }, { timeoutMs: 5000, intervalMs: 50, what: `a cache hit explained (response headers ${JSON.stringify(res.headers)})` });
    assert.equal(hit.cache_key, res.headers['x-cache-key'], 'the key the real request stored under');
  });

  it("gives the pool, each endpoint's state and the balancer's pick", async function () {
    const r = await report('url=http://example.test/other/x');
    const want = [`127.0.0.1:${web1.port}`, `127.0.0.1:${web2.port}`].sort();
    assert.deepEqual(r.pool.endpoints.map((e) => e.endpoint).sort(), want);
    assert.ok(r.pool.endpoints.every((e) => e.available));
    assert.ok(want.includes(r.pick.endpoint!), JSON.stringify(r.pick));
    assert.deepEqual(r.plugins, [], 'the other route has no plugins');
  });

  it('matches protocols and snis as the router does: https from the url, the SNI from sni= or the url host, an https-only route over http answers 426', async function () {
    const bySni = await report('url=https://secure.example/secure/x');
    assert.deepEqual(bySni.request.arrival, { scheme: 'https', sni: 'secure.example' }, 'the SNI defaults to the url host');
    assert.equal(bySni.route?.name, 'tls-sni');
    const given = await report('url=https://10.0.0.1/secure/x&sni=secure.example');
    assert.equal(given.route?.name, 'tls-sni', 'sni= names the server name');
    const other = await report('url=https://secure.example/secure/x&sni=other.example');
    assert.equal(other.route?.name, 'tls-any');
    assert.match(other.candidates.find((c) => c.route === 'tls-sni')!.reason!, /sni other\.example not in \[secure\.example\]/);
    const byIp = await report('url=https://10.0.0.1/secure/x');
    assert.equal(byIp.request.arrival.sni, null, 'no SNI for an IP address');
    assert.equal(byIp.route?.name, 'tls-any');
    const plain = await report('url=http://secure.example/secure/x');
    assert.deepEqual(plain.request.arrival, { scheme: 'http', sni: null });
    assert.match(plain.candidates.find((c) => c.route === 'tls-sni')!.reason!, /no TLS server name/);
    assert.equal(plain.route?.name, 'tls-any');
    assert.match(plain.answer ?? '', /^426 /, 'the https-only route answers plain HTTP itself');
    const real = await harness().http.get(`${edge.url}/secure/x`, { headers: { host: 'secure.example' } });
    assert.equal(real.status, 426, 'what the real edge answers');
  });

  for (const [what, query] of [['an sni without https', 'url=http://x/&sni=a.example'], ['a malformed sni', 'url=https://x/&sni=a%20b']] as const) {
    it(`answers 400 with a JSON error for ${what}`, async function () {
      const r = await explain(query);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json<{ code: string }>().code, 'MG_BAD_REQUEST');
    });
  }

  for (const [what, query] of [['no url', 'method=GET'], ['a malformed url', 'url=not%20a%20url'], ['a non-http url', 'url=ftp://x/y'], ['a bad header', 'url=http://x/&header=nocolon']] as const) {
    it(`answers 400 with a JSON error for ${what}`, async function () {
      const r = await explain(query);
      assert.equal(r.status, 400);
      const body = r.json<{ code: string; detail: string }>();
      assert.equal(body.code, 'MG_BAD_REQUEST');
      assert.ok(body.detail.length > 0);
    });
  }

  it('request_debug_token: a real request with X-Kong-Request-Debug and the token gets its report in a header; without it, none; the token is never logged', async function () {
    const h = harness();
    const withToken = await h.http.get(`${edge.url}/api/debugged`, { headers: { 'x-kong-request-debug': '1', 'x-kong-request-debug-token': TOKEN } });
    assert.equal(withToken.status, 200, withToken.text);
    const out = JSON.parse(String(withToken.headers['x-kong-request-debug-output'])) as Report;
    assert.equal(out.route?.name, 'api');
    assert.deepEqual(out.plugins.map((p) => p.name), ['correlation-id', 'cors', 'rate-limiting', 'proxy-cache']);
    const wrong = await h.http.get(`${edge.url}/api/debugged`, { headers: { 'x-kong-request-debug': '1', 'x-kong-request-debug-token': 'not-the-token' } });
    assert.equal(wrong.status, 200);
    assert.equal(wrong.headers['x-kong-request-debug-output'], undefined);
    const none = await h.http.get(`${edge.url}/api/debugged`, { headers: { 'x-kong-request-debug': '1' } });
    assert.equal(none.headers['x-kong-request-debug-output'], undefined);
    await waitFor(() => edge.accessLog().filter((l) => String(l.path).startsWith('/api/debugged')).length >= 3, { timeoutMs: 5000, what: 'the access-log lines' });
    assert.ok(!edge.child.output.lines.some((l) => l.text.includes(TOKEN)), 'the token appears in no log line');
  });
});
