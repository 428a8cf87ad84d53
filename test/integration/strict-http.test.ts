// The edge's strict reading of a request (agent/edge/strict-request.ts, docs/http-strictness.md),
// attacked with raw bytes against real edges and a recording upstream that keeps every byte it got:
// Host confusion, absolute-form targets, HTTP/1.0 framing, underscored and meaning-rewriting headers,
// Connection-nominated headers, two Authorization fields and request trailers.
import assert from 'node:assert/strict';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { rawExchange, type RawReply } from '../support/raw-client.js';
import { headerValues, startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

describe('strict HTTP at the edge: raw requests, a recording upstream', function () {
  const harness = useHarness('strict-http');
  let up: RecordingUpstream;
  let edge: AgentHandle;
  let rejecting: AgentHandle;
  let allowing: AgentHandle;

  function startEdge(name: string, http?: Record<string, unknown>): Promise<AgentHandle> {
    const target = `http://127.0.0.1:${up.port}`;
    return harness().startEdge({ name, ...(http ? { http } : {}), kong: {
      _format_version: '3.0',
      services: [
        { name: 'rec', url: target, routes: [{ name: 'rec', paths: ['/rec'], strip_path: true }] },
        { name: 'abs', url: target, routes: [{ name: 'abs', hosts: ['api.example'], paths: ['/abs'], strip_path: true, preserve_host: true }] },
        { name: 'auth', url: target, routes: [{ name: 'auth', paths: ['/auth'], strip_path: true, plugins: [{ name: 'key-auth' }] }] },
      ],
      consumers: [{ username: 'alice', id: '5f1c0a2e-0000-4000-8000-0000000a11ce', keyauth_credentials: [{ key: 'alice-key' }] }],
    } });
  }

  before(async function () {
    up = await startRecordingUpstream();
    [edge, rejecting, allowing] = await Promise.all([
      startEdge('edge-strict'),
      startEdge('edge-rejecting', { headers_with_underscores: 'reject', allow_headers: ['X-Forwarded-Prefix', 'x-envoy-original-path'] }),
      startEdge('edge-allowing', { headers_with_underscores: 'allow' }),
    ]);
  });
  after(async () => { await up?.close(); });

  /** the requests the upstream got while `fn` ran */
  async function received<T>(fn: () => Promise<T>): Promise<{ reply: T; got: RecordingUpstream['requests'] }> {
    const before = up.requests.length;
    const reply = await fn();
    await new Promise((r) => setTimeout(r, 50));
    return { reply, got: up.requests.slice(before) };
  }

  function assertRefused(r: RawReply, code: string): void {
    assert.equal(r.status, 400, r.text);
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
    assert.equal(JSON.parse(r.body).code, code, r.text);
    assert.equal(r.headers.connection, 'close', r.text);
    assert.ok(r.closed, 'the connection is closed after a refusal that leaves framing in doubt');
  }

  describe('Host (RFC 9112 §3.2)', () => {
    const CASES: readonly [string, string][] = [
      ['two Host fields', 'Host: a.example\r\nHost: b.example\r\n'],
      ['a list', 'Host: a.example, b.example\r\n'],
      ['userinfo', 'Host: user@a.example\r\n'],
      ['a path', 'Host: a.example/rec\r\n'],
      ['a space inside', 'Host: a .example\r\n'],
      ['no Host on HTTP/1.1', ''],
    ];
    for (const [what, hostLines] of CASES) {
      it(`refuses ${what} with 400 MG_BAD_HOST, closes, forwards nothing`, async () => {
        const { reply, got } = await received(() => rawExchange(edge.port, `GET /rec/x HTTP/1.1\r\n${hostLines}\r\n`));
        assertRefused(reply, 'MG_BAD_HOST');
        assert.deepEqual(got, []);
      });
    }

    it('accepts HTTP/1.0 without Host, a port, an IPv6 literal', async () => {
      for (const req of ['GET /rec/a HTTP/1.0\r\n\r\n', 'GET /rec/b HTTP/1.1\r\nHost: a.example:8080\r\n\r\n', 'GET /rec/c HTTP/1.1\r\nHost: [::1]:80\r\n\r\n']) {
        const r = await rawExchange(edge.port, req);
        assert.equal(r.status, 200, `${JSON.stringify(req)}: ${r.text}`);
      }
    });

    it('logs each refusal with its code', async () => {
      await rawExchange(edge.port, 'GET /rec/logged HTTP/1.1\r\nHost: u@h\r\n\r\n');
      await waitFor(() => edge.accessLog().some((l) => l.status === 400 && l.error === 'MG_BAD_HOST' && l.path === '/rec/logged'),
        { timeoutMs: 3000, intervalMs: 20, what: 'the MG_BAD_HOST access-log line' });
    });
  });

  describe('absolute-form targets (RFC 9112 §3.2.2)', () => {
    it('routes by the authority, not Host, and forwards origin-form with the authority as Host', async () => {
      const { reply, got } = await received(() => rawExchange(edge.port, 'GET http://api.example/abs/x?y=1 HTTP/1.1\r\nHost: elsewhere.example\r\n\r\n'));
      assert.equal(reply.status, 200, reply.text);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.url, '/x?y=1');
      assert.deepEqual(headerValues(got[0]!, 'host'), ['api.example']);
      assert.deepEqual(headerValues(got[0]!, 'x-forwarded-host'), ['api.example']);
    });

    it('refuses an authority with userinfo', async () => {
      const { reply, got } = await received(() => rawExchange(edge.port, 'GET http://evil@api.example/abs/x HTTP/1.1\r\nHost: api.example\r\n\r\n'));
      assertRefused(reply, 'MG_BAD_HOST');
      assert.deepEqual(got, []);
    });
  });

  describe('HTTP version', () => {
    it('answers an HTTP/1 request line claiming HTTP/2.0 with 505 MG_HTTP_VERSION, nothing forwarded', async () => {
      const { reply, got } = await received(() => rawExchange(edge.port, 'GET /rec/v2 HTTP/2.0\r\nHost: a\r\n\r\n'));
      assert.equal(reply.status, 505, reply.text);
      assert.equal(JSON.parse(reply.body).code, 'MG_HTTP_VERSION');
      assert.ok(reply.closed, 'the connection is closed');
      assert.deepEqual(got, []);
    });
  });

  describe('HTTP/1.0 (RFC 9112 §6.1, §9.3)', () => {
    it('refuses HTTP/1.0 with Transfer-Encoding: 400 MG_BAD_FRAMING, closed, nothing forwarded', async () => {
      const { reply, got } = await received(() => rawExchange(edge.port, 'POST /rec/te HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
      assertRefused(reply, 'MG_BAD_FRAMING');
      assert.deepEqual(got, []);
    });

    it('never answers an HTTP/1.0 client chunked (even one sending TE: chunked) and closes after', async () => {
      const r = await rawExchange(edge.port, 'GET /rec/stream HTTP/1.0\r\nTE: chunked\r\n\r\n');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['transfer-encoding'], undefined, r.text);
      assert.equal(r.body, 'one,two');
      assert.ok(r.closed, 'a body without a length is ended by the close');
    });

    it('does not keep an HTTP/1.0 connection alive unless asked', async () => {
      const plain = await rawExchange(edge.port, 'GET /rec/a HTTP/1.0\r\n\r\n');
      assert.equal(plain.status, 200);
      assert.ok(plain.closed);
      const asked = await rawExchange(edge.port, 'GET /rec/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      assert.equal(asked.status, 200);
      assert.equal(asked.closed, false);
    });
  });

  describe('headers a back end could read differently', () => {
    const SNEAKY = 'Transfer_Encoding: chunked\r\nContent_Length: 5\r\nX_Api_Key: k\r\n';
    it('drops underscored names by default (Envoy DROP_HEADER, nginx underscores_in_headers off)', async () => {
      const { reply, got } = await received(() => rawExchange(edge.port, `GET /rec/u HTTP/1.1\r\nHost: a\r\n${SNEAKY}X-Fine: 1\r\n\r\n`));
      assert.equal(reply.status, 200, reply.text);
      assert.equal(got.length, 1);
      assert.doesNotMatch(got[0]!.rawHeaders.join('\n'), /_/);
      assert.deepEqual(headerValues(got[0]!, 'x-fine'), ['1']);
    });

    it('refuses them with 400 MG_BAD_HEADER when headers_with_underscores: reject', async () => {
      const { reply, got } = await received(() => rawExchange(rejecting.port, `GET /rec/u HTTP/1.1\r\nHost: a\r\n${SNEAKY}\r\n`));
      assertRefused(reply, 'MG_BAD_HEADER');
      assert.deepEqual(got, []);
    });

    it('forwards them when headers_with_underscores: allow', async () => {
      const { got } = await received(() => rawExchange(allowing.port, `GET /rec/u HTTP/1.1\r\nHost: a\r\nX_Api_Key: k\r\n\r\n`));
      assert.deepEqual(headerValues(got[0]!, 'x_api_key'), ['k']);
    });

    const REWRITERS = 'X-Original-URL: /admin\r\nX-Rewrite-URL: /admin\r\nX-HTTP-Method-Override: DELETE\r\nX-HTTP-Method: DELETE\r\n'
      + 'X-Method-Override: DELETE\r\nX-Forwarded-Prefix: /admin\r\nX-Envoy-Original-Path: /admin\r\nX-Envoy-Internal: true\r\n';
    it('drops headers that rewrite a request\'s meaning at the back end', async () => {
      const { got } = await received(() => rawExchange(edge.port, `GET /rec/r HTTP/1.1\r\nHost: a\r\n${REWRITERS}\r\n`));
      assert.equal(got.length, 1);
      assert.doesNotMatch(got[0]!.rawHeaders.join('\n').toLowerCase(), /x-original-url|x-rewrite-url|override|x-http-method|x-forwarded-prefix|x-envoy/);
      assert.doesNotMatch(up.raw().toLowerCase(), /\/admin/);
    });

    it('forwards the ones named in allow_headers, and only those', async () => {
      const { got } = await received(() => rawExchange(rejecting.port, `GET /rec/r HTTP/1.1\r\nHost: a\r\n${REWRITERS}\r\n`));
      const names = got[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      assert.ok(names.includes('x-forwarded-prefix') && names.includes('x-envoy-original-path'), names.join(','));
      assert.ok(!names.includes('x-envoy-internal') && !names.includes('x-original-url') && !names.includes('x-http-method-override'), names.join(','));
    });
  });

  describe('Connection-nominated headers (RFC 9110 §7.6.1)', () => {
    it('removes what any Connection line names, but never a header the gateway sets', async () => {
      const req = 'GET /auth/c HTTP/1.1\r\nHost: a\r\napikey: alice-key\r\nX-Custom: drop-me\r\nX-Other: drop-me-too\r\n'
        + 'Connection: keep-alive, x-forwarded-for, x-real-ip\r\nConnection: x-consumer-id, X-Custom, x-request-id\r\nConnection: x-other, x-consumer-username\r\n\r\n';
      const { reply, got } = await received(() => rawExchange(edge.port, req));
      assert.equal(reply.status, 200, reply.text);
      const r = got[0]!;
      assert.deepEqual(headerValues(r, 'x-custom'), []);
      assert.deepEqual(headerValues(r, 'x-other'), []);
      // the client's Connection is not forwarded; the upstream connection's own (undici's keep-alive) is all there is
      assert.ok(headerValues(r, 'connection').every((v) => v === 'keep-alive'), headerValues(r, 'connection').join(';'));
      assert.deepEqual(headerValues(r, 'x-forwarded-for'), ['127.0.0.1']);
      assert.deepEqual(headerValues(r, 'x-real-ip'), ['127.0.0.1']);
      assert.equal(headerValues(r, 'x-request-id').length, 1);
      assert.deepEqual(headerValues(r, 'x-consumer-id'), ['5f1c0a2e-0000-4000-8000-0000000a11ce']);
      assert.deepEqual(headerValues(r, 'x-consumer-username'), ['alice']);
    });
  });

  describe('authorization and trailers', () => {
    it('refuses two Authorization fields with 400 MG_DUPLICATE_HEADER, nothing forwarded', async () => {
      const { reply, got } = await received(() => rawExchange(edge.port, 'GET /rec/a HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer one\r\nauthorization: Bearer two\r\n\r\n'));
      assertRefused(reply, 'MG_DUPLICATE_HEADER');
      assert.deepEqual(got, []);
    });

    it('never uses request trailers for auth and never forwards them as headers', async () => {
      const body = '3\r\nabc\r\n0\r\napikey: alice-key\r\nX-Trailer: t\r\n\r\n';
      const { reply: denied } = await received(() => rawExchange(edge.port, `POST /auth/t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: apikey\r\n\r\n${body}`));
      assert.equal(denied.status, 401, `a key in a trailer does not authenticate: ${denied.text}`);
      const { reply, got } = await received(() => rawExchange(edge.port, `POST /rec/t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n${body}`));
      assert.equal(reply.status, 200, reply.text);
      const r = got[0]!;
      assert.equal(r.body, 'abc');
      assert.deepEqual(r.rawTrailers, []);
      assert.deepEqual(headerValues(r, 'x-trailer'), []);
      assert.deepEqual(headerValues(r, 'apikey'), []);
    });
  });
});
