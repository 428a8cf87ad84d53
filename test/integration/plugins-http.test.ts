// The request/response plugins end to end on a plain decK file: one edge process, one sample
// upstream that echoes what reached it (method, path, headers, body size). CORS preflights and
// actual requests, both transformers, ip-restriction, request-size-limiting, correlation-id.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { useHarness, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { rawRequest, type Echo, type HttpResult } from '../support/http.js';

type Plugin = { name: string; config?: Record<string, unknown> };

const APP = 'https://app.example.com';

function deck(upstream: ServiceHandle, routes: Record<string, { paths: string[]; plugins: Plugin[] }>): Record<string, unknown> {
  return {
    _format_version: '3.0',
    services: [{
      name: 'echo', url: `http://127.0.0.1:${upstream.port}`,
      routes: Object.entries(routes).map(([name, r]) => ({ name, paths: r.paths, strip_path: false, plugins: r.plugins })),
    }],
  };
}

const one = (r: HttpResult, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(' | ') : v;
};

describe('request and response plugins end to end (decK, one edge)', function () {
  this.timeout(30_000);
  const harness = useHarness('plugins-http', { consul: false });
  let web: ServiceHandle;
  let edge: AgentHandle;

  before(async function () {
    const h = harness();
    web = await h.startService('web', 'web-1');
    edge = await h.startDeck('deck-plugins', deck(web, {
      cors: { paths: ['/cors'], plugins: [{ name: 'cors', config: { origins: [APP, '(.*)\\.partner\\.example'], credentials: true, exposed_headers: ['X-Instance'], max_age: 600 } }] },
      'cors-open': { paths: ['/cors-open'], plugins: [{ name: 'cors', config: { credentials: true } }] },
      'req-tf': {
        paths: ['~/req-tf/(?<id>\\d+)$'],
        plugins: [{
          name: 'request-transformer',
          config: {
            remove: { headers: ['x-secret'], querystring: ['apikey'], body: ['password'] },
            rename: { headers: ['x-old:x-new'] },
            add: { headers: ['x-user-id:$(uri_captures.id)', 'x-from-query:$(query_params.q)'], querystring: ['added:1'], body: ['source:edge'] },
            append: { querystring: ['tag:b'] },
          },
        }],
      },
      'req-uri': { paths: ['~/req-uri/(?<id>\\d+)$'], plugins: [{ name: 'request-transformer', config: { replace: { uri: '/v2/users/$(uri_captures.id)' } } }] },
      'resp-tf': {
        paths: ['/resp-tf'],
        plugins: [{
          name: 'response-transformer',
          config: {
            remove: { headers: ['x-instance'], json: ['headers'] },
            rename: { json: ['instance:served_by'] },
            add: { headers: ['x-added:yes'], json: ['transformed:true', 'version:2'], json_types: ['boolean', 'number'] },
          },
        }],
      },
      'ip-deny': { paths: ['/ip-deny'], plugins: [{ name: 'ip-restriction', config: { deny: ['127.0.0.1/32'] } }] },
      'ip-allow': { paths: ['/ip-allow'], plugins: [{ name: 'ip-restriction', config: { allow: ['127.0.0.0/8', '::1/128'], deny: ['2001:db8::/32'] } }] },
      size: { paths: ['/size'], plugins: [{ name: 'request-size-limiting', config: { allowed_payload_size: 1, size_unit: 'kilobytes' } }] },
      cid: { paths: ['/cid'], plugins: [{ name: 'correlation-id', config: { header_name: 'X-Correlation-ID', echo_downstream: true } }] },
    }));
  });

  describe('cors', () => {
    it('answers a preflight at the edge, for a listed origin only', async () => {
      const h = harness();
      const before = await web.served();
      const ok = await h.http.request(`${edge.url}/cors/items`, {
        method: 'OPTIONS', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type, x-trace' },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.text, '');
      assert.equal(one(ok, 'access-control-allow-origin'), APP);
      assert.equal(one(ok, 'access-control-allow-credentials'), 'true');
      assert.equal(one(ok, 'access-control-allow-methods'), 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
      assert.equal(one(ok, 'access-control-allow-headers'), 'content-type, x-trace');
      assert.equal(one(ok, 'access-control-max-age'), '600');
      assert.equal(one(ok, 'vary'), 'Origin');

      const regex = await h.http.request(`${edge.url}/cors/items`, { method: 'OPTIONS', headers: { Origin: 'https://shop.partner.example', 'Access-Control-Request-Method': 'GET' } });
      assert.equal(one(regex, 'access-control-allow-origin'), 'https://shop.partner.example');

      const evil = await h.http.request(`${edge.url}/cors/items`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' } });
      assert.equal(evil.status, 200);
      assert.equal(one(evil, 'access-control-allow-origin'), undefined);
      assert.equal(one(evil, 'access-control-allow-credentials'), undefined);
      assert.equal(one(evil, 'access-control-allow-methods'), undefined);
      assert.equal(await web.served(), before, 'preflights never reach the upstream');
    });

    it('adds CORS headers to proxied answers', async () => {
      const h = harness();
      const ok = await h.http.get(`${edge.url}/cors/items`, { headers: { Origin: APP } });
      assert.equal(ok.status, 200);
      assert.equal(ok.json<Echo>().path, '/cors/items');
      assert.equal(one(ok, 'access-control-allow-origin'), APP);
      assert.equal(one(ok, 'access-control-allow-credentials'), 'true');
      assert.equal(one(ok, 'access-control-expose-headers'), 'X-Instance');
      assert.equal(one(ok, 'vary'), 'Origin');
      const evil = await h.http.get(`${edge.url}/cors/items`, { headers: { Origin: 'https://evil.example' } });
      assert.equal(evil.status, 200);
      assert.equal(one(evil, 'access-control-allow-origin'), undefined);
      assert.equal(one(evil, 'vary'), 'Origin');
    });

    it('never grants credentials through the wildcard', async () => {
      const h = harness();
      for (const method of ['GET', 'OPTIONS']) {
        const r = await h.http.request(`${edge.url}/cors-open`, { method, headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
        assert.equal(r.status, 200, `${method}: ${r.text}`);
        assert.equal(one(r, 'access-control-allow-origin'), '*', method);
        assert.equal(one(r, 'access-control-allow-credentials'), undefined, method);
      }
    });
  });

  describe('request-transformer', () => {
    it('edits headers, query and JSON body as the upstream sees them', async () => {
      const h = harness();
      const body = JSON.stringify({ name: 'ada', password: 'hunter2' });
      const r = await h.http.request(`${edge.url}/req-tf/42?q=hello&apikey=k&tag=a`, {
        method: 'POST', body,
        headers: { 'Content-Type': 'application/json', 'X-Secret': 's', 'X-Old': 'o', 'X-User-Id': 'client-sent' },
      });
      assert.equal(r.status, 200, r.text);
      const echo = r.json<Echo>();
      assert.equal(echo.path, '/req-tf/42?q=hello&tag=a&added=1&tag=b');
      assert.equal(echo.headers['x-secret'], undefined);
      assert.equal(echo.headers['x-old'], undefined);
      assert.equal(echo.headers['x-new'], 'o');
      assert.equal(echo.headers['x-user-id'], 'client-sent', 'add leaves a present header alone');
      assert.equal(echo.headers['x-from-query'], 'hello');
      const sent = JSON.stringify({ name: 'ada', source: 'edge' });
      assert.equal(echo.bodyBytes, Buffer.byteLength(sent));
      assert.equal(echo.headers['content-length'], String(Buffer.byteLength(sent)));
    });

    it('renders uri captures per request and leaves invalid JSON alone', async () => {
      const h = harness();
      for (const id of ['7', '1234']) {
        const r = await h.http.request(`${edge.url}/req-tf/${id}`, { method: 'POST', body: '{"broken', headers: { 'Content-Type': 'application/json' } });
        const echo = r.json<Echo>();
        assert.equal(echo.headers['x-user-id'], id);
        assert.equal(echo.bodyBytes, 8, 'invalid JSON is sent on as it came');
      }
    });

    it('replaces the upstream path from a capture', async () => {
      const r = await harness().http.get(`${edge.url}/req-uri/99?x=1`);
      assert.equal(r.json<Echo>().path, '/v2/users/99?x=1');
    });
  });

  it('response-transformer edits headers and the JSON body', async () => {
    const r = await harness().http.get(`${edge.url}/resp-tf`);
    assert.equal(r.status, 200);
    assert.equal(one(r, 'x-instance'), undefined);
    assert.equal(one(r, 'x-added'), 'yes');
    const body = r.json<Record<string, unknown>>();
    assert.equal(body.headers, undefined);
    assert.equal(body.instance, undefined);
    assert.equal(body.served_by, 'web-1');
    assert.equal(body.transformed, true);
    assert.equal(body.version, 2);
    assert.equal(one(r, 'content-length'), String(Buffer.byteLength(r.text)));
  });

  describe('ip-restriction', () => {
    it('refuses a denied client with 403 before the upstream', async () => {
      const before = await web.served();
      const r = await harness().http.get(`${edge.url}/ip-deny`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
      assert.equal(r.status, 403);
      assert.equal(r.json<{ message: string }>().message, 'IP address not allowed: 127.0.0.1');
      assert.equal(await web.served(), before);
    });

    it('lets an allowed client through (v4 and v6 lists)', async () => {
      const r = await harness().http.get(`${edge.url}/ip-allow`);
      assert.equal(r.status, 200, r.text);
    });
  });

  describe('request-size-limiting', () => {
    it('refuses a declared body over the limit with 413, and 417 on Expect: 100-continue', async () => {
      const h = harness();
      const big = Buffer.alloc(1025, 0x61);
      const r = await h.http.post(`${edge.url}/size`, big);
      assert.equal(r.status, 413);
      assert.equal(r.json<{ message: string }>().message, 'Request size limit exceeded');
      const small = await h.http.post(`${edge.url}/size`, Buffer.alloc(1024, 0x61));
      assert.equal(small.status, 200);
      assert.equal(small.json<Echo>().bodyBytes, 1024);
      const expecting = await rawRequest(`${edge.url}/size`, { method: 'POST', headers: [['Content-Length', '1025'], ['Expect', '100-continue']], body: big });
      assert.equal(expecting.status, 417);
    });

    it('measures a chunked body: within the limit it is forwarded whole', async () => {
      const chunks = [Buffer.alloc(300, 0x61), Buffer.alloc(300, 0x62)];
      const r = await harness().http.post(`${edge.url}/size`, Readable.from(chunks));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json<Echo>().bodyBytes, 600);
    });

    it('refuses a chunked body over the limit with 413, before the upstream', async () => {
      const before = await web.served();
      const chunks = Array.from({ length: 8 }, () => Buffer.alloc(512, 0x61));
      const r = await harness().http.post(`${edge.url}/size`, Readable.from(chunks));
      assert.equal(r.status, 413, r.text);
      assert.equal(r.json<{ message: string }>().message, 'Request size limit exceeded');
      assert.equal(await web.served(), before, 'nothing reached the upstream');
    });

    it('a chunked upload far over the limit still reads its 413 (the edge lingers instead of resetting)', async () => {
      for (let i = 0; i < 5; i++) {
        // 3 MiB offered as fast as the edge takes it: the answer goes out after 1 KiB; the edge reads
        // and drops the rest (within its linger bound, 64 MiB / 10 s), then closes
        const chunks = Array.from({ length: 48 }, () => Buffer.alloc(64 * 1024, 0x61));
        const r = await harness().http.post(`${edge.url}/size`, Readable.from(chunks));
        assert.equal(r.status, 413, r.text);
      }
    });
  });

  it('correlation-id sends an id upstream and back, and keeps an incoming one', async () => {
    const h = harness();
    const r = await h.http.get(`${edge.url}/cid`);
    const id = one(r, 'x-correlation-id');
    assert.match(String(id), /^[0-9a-f-]{36}#\d+$/);
    assert.equal(r.json<Echo>().headers['x-correlation-id'], id);
    const kept = await h.http.get(`${edge.url}/cid`, { headers: { 'X-Correlation-ID': 'from-client' } });
    assert.equal(one(kept, 'x-correlation-id'), 'from-client');
    assert.equal(kept.json<Echo>().headers['x-correlation-id'], 'from-client');
  });
});
