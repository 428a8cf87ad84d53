import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { buildUpstreamHeaders, responseHeaders, type HeaderPlan } from '../../../../agent/proxy/request-headers.js';
import { TrustedProxies } from '../../../../agent/proxy/trusted-proxies.js';

const TRUSTED_PEER = '10.0.0.5';
const UNTRUSTED_PEER = '203.0.113.9';

/** Just the parts of IncomingMessage that buildUpstreamHeaders reads. */
function fakeReq(raw: string[], peer: string): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    headers[k] = headers[k] === undefined ? raw[i + 1]! : `${headers[k]}, ${raw[i + 1]!}`;
  }
  return { rawHeaders: raw, headers, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
}

const plan = (over: Partial<HeaderPlan> = {}): HeaderPlan => ({
  hostHeader: 'users', requestId: 'req-1', proto: 'http', localPort: 8080, trusted: new TrustedProxies(['10.0.0.0/8']), ...over,
});

/** Every value sent for a header name (case-insensitive). */
function values(flat: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() === name) out.push(flat[i + 1]!);
  return out;
}

function one(flat: readonly string[], name: string): string | undefined {
  const v = values(flat, name);
  assert.ok(v.length <= 1, `${name} sent ${v.length} times: ${JSON.stringify(v)}`);
  return v[0];
}

describe('buildUpstreamHeaders', () => {
  it('copies end-to-end headers with their original case and order', () => {
    const { headers } = buildUpstreamHeaders(fakeReq(['Host', 'api.example.com', 'Accept', '*/*', 'X-Custom', 'a', 'x-custom', 'b', 'Cookie', 'c=1'], UNTRUSTED_PEER), plan());
    assert.deepEqual(headers.slice(0, 8), ['Accept', '*/*', 'X-Custom', 'a', 'x-custom', 'b', 'Cookie', 'c=1']);
  });

  it('drops hop-by-hop headers', () => {
    const raw = [
      'Host', 'h', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Proxy-Connection', 'keep-alive',
      'Transfer-Encoding', 'chunked', 'TE', 'trailers', 'Trailer', 'X-Sum', 'Upgrade', 'websocket',
      'Proxy-Authorization', 'Basic eA==', 'Proxy-Authenticate', 'Basic', 'Accept', '*/*',
    ];
    const { headers } = buildUpstreamHeaders(fakeReq(raw, UNTRUSTED_PEER), plan());
    for (const h of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']) {
      assert.deepEqual(values(headers, h), [], h);
    }
    assert.deepEqual(values(headers, 'accept'), ['*/*']);
  });

  it('drops the headers the Connection header names', () => {
    const raw = ['Host', 'h', 'Connection', 'close, X-Secret ,x-other', 'X-Secret', 's', 'X-Other', 'o', 'X-Kept', 'k'];
    const { headers } = buildUpstreamHeaders(fakeReq(raw, UNTRUSTED_PEER), plan());
    assert.deepEqual(values(headers, 'x-secret'), []);
    assert.deepEqual(values(headers, 'x-other'), []);
    assert.deepEqual(values(headers, 'x-kept'), ['k']);
  });

  it('sets Host from the plan, or keeps the client\'s when the plan says null', () => {
    const req = fakeReq(['Host', 'api.example.com'], UNTRUSTED_PEER);
    assert.equal(one(buildUpstreamHeaders(req, plan({ hostHeader: 'users:8080' })).headers, 'host'), 'users:8080');
    assert.equal(one(buildUpstreamHeaders(req, plan({ hostHeader: null })).headers, 'host'), 'api.example.com');
  });

  describe('from an untrusted peer', () => {
    const raw = [
      'Host', 'api.example.com', 'X-Forwarded-For', '1.2.3.4', 'X-Forwarded-Proto', 'https',
      'X-Forwarded-Host', 'evil.example', 'X-Forwarded-Port', '1', 'X-Real-IP', '1.2.3.4', 'X-Request-Id', 'client-id',
    ];
    const up = buildUpstreamHeaders(fakeReq(raw, UNTRUSTED_PEER), plan());

    it('replaces X-Forwarded-For with the peer', () => assert.equal(one(up.headers, 'x-forwarded-for'), UNTRUSTED_PEER));
    it('takes the peer as client IP', () => {
      assert.equal(up.clientIp, UNTRUSTED_PEER);
      assert.equal(one(up.headers, 'x-real-ip'), UNTRUSTED_PEER);
    });
    it('ignores X-Forwarded-Proto/Host/Port', () => {
      assert.equal(one(up.headers, 'x-forwarded-proto'), 'http');
      assert.equal(one(up.headers, 'x-forwarded-host'), 'api.example.com');
      assert.equal(one(up.headers, 'x-forwarded-port'), '8080');
    });
    it('replaces X-Request-Id with ours', () => assert.equal(one(up.headers, 'x-request-id'), 'req-1'));
  });

  describe('from a trusted peer', () => {
    const raw = [
      'Host', 'api.example.com', 'X-Forwarded-For', '198.51.100.7', 'x-forwarded-for', '10.1.1.1',
      'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'www.example.com', 'X-Forwarded-Port', '443',
    ];
    const up = buildUpstreamHeaders(fakeReq(raw, TRUSTED_PEER), plan());

    it('appends the peer to X-Forwarded-For (all values, in order)', () => {
      assert.equal(one(up.headers, 'x-forwarded-for'), `198.51.100.7, 10.1.1.1, ${TRUSTED_PEER}`);
    });
    it('takes the right-most untrusted hop as client IP', () => {
      assert.equal(up.clientIp, '198.51.100.7');
      assert.equal(one(up.headers, 'x-real-ip'), '198.51.100.7');
    });
    it('keeps X-Forwarded-Proto/Host/Port', () => {
      assert.equal(one(up.headers, 'x-forwarded-proto'), 'https');
      assert.equal(one(up.headers, 'x-forwarded-host'), 'www.example.com');
      assert.equal(one(up.headers, 'x-forwarded-port'), '443');
    });
  });

  it('fills in X-Forwarded-* for a trusted peer that sent none', () => {
    const up = buildUpstreamHeaders(fakeReq(['Host', 'h.example'], TRUSTED_PEER), plan({ proto: 'https', localPort: 8443 }));
    assert.equal(one(up.headers, 'x-forwarded-for'), TRUSTED_PEER);
    assert.equal(one(up.headers, 'x-forwarded-proto'), 'https');
    assert.equal(one(up.headers, 'x-forwarded-host'), 'h.example');
    assert.equal(one(up.headers, 'x-forwarded-port'), '8443');
    assert.equal(up.clientIp, TRUSTED_PEER);
  });

  it('trusts nobody with an empty trusted list', () => {
    const up = buildUpstreamHeaders(fakeReq(['X-Forwarded-For', '1.2.3.4', 'X-Forwarded-Proto', 'https'], TRUSTED_PEER), plan({ trusted: new TrustedProxies([]) }));
    assert.equal(one(up.headers, 'x-forwarded-for'), TRUSTED_PEER);
    assert.equal(one(up.headers, 'x-forwarded-proto'), 'http');
    assert.equal(up.clientIp, TRUSTED_PEER);
  });

  it('never forwards a client-supplied x-meshgate-destination', () => {
    for (const peer of [UNTRUSTED_PEER, TRUSTED_PEER]) {
      const req = fakeReq(['X-Meshgate-Destination', 'admin-1', 'x-meshgate-destination', 'admin-2'], peer);
      const plain = buildUpstreamHeaders(req, plan());
      assert.deepEqual(values(plain.headers, 'x-meshgate-destination'), []);
    }
  });

  it('never forwards a client-supplied x-forwarded-client-cert', () => {
    for (const peer of [UNTRUSTED_PEER, TRUSTED_PEER]) {
      const req = fakeReq(['Host', 'h', 'X-Forwarded-Client-Cert', 'URI=spiffe://evil/ns/default/dc/dc1/svc/admin'], peer);
      assert.deepEqual(values(buildUpstreamHeaders(req, plan()).headers, 'x-forwarded-client-cert'), []);
    }
  });

  it('passes the verified mesh peer identity as x-forwarded-client-cert, replacing the client\'s', () => {
    const req = fakeReq(['Host', 'h', 'x-forwarded-client-cert', 'URI=spoofed'], UNTRUSTED_PEER);
    const uri = 'spiffe://1111.consul/ns/default/dc/dc1/svc/web';
    const up = buildUpstreamHeaders(req, plan({ peerUri: uri }));
    assert.deepEqual(values(up.headers, 'x-forwarded-client-cert'), [`URI=${uri}`]);
  });

  it('produces name/value pairs with each replaced header once', () => {
    const up = buildUpstreamHeaders(fakeReq(['Host', 'h', 'X-Forwarded-For', 'a', 'X-Forwarded-For', 'b', 'X-Real-IP', 'z'], TRUSTED_PEER), plan());
    assert.equal(up.headers.length % 2, 0);
    for (const h of ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'x-request-id']) {
      assert.equal(values(up.headers, h).length, 1, h);
    }
  });
});

describe('responseHeaders', () => {
  const b = (...xs: string[]): Buffer[] => xs.map((x) => Buffer.from(x, 'latin1'));

  it('drops hop-by-hop headers and those named by Connection, keeps the rest in order', () => {
    const raw = b(
      'Content-Type', 'text/plain', 'Connection', 'keep-alive, X-Internal', 'Keep-Alive', 'timeout=5',
      'X-Internal', 'secret', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2',
      'Upgrade', 'h2c', 'Trailer', 'X-Sum', 'Content-Length', '5',
    );
    assert.deepEqual(responseHeaders(raw), ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Length', '5']);
  });

  it('reads the Connection header case-insensitively, wherever it is', () => {
    assert.deepEqual(responseHeaders(b('x-late', '1', 'ETag', '"e"', 'CONNECTION', 'X-Late')), ['ETag', '"e"']);
  });

  it('Connection: keep-alive or close (any case) drops only itself; several Connection headers all count', () => {
    assert.deepEqual(responseHeaders(b('Connection', 'Keep-Alive', 'Close', 'x', 'ETag', '"e"')), ['Close', 'x', 'ETag', '"e"']);
    assert.deepEqual(responseHeaders(b('Connection', 'close', 'Keep-Alive', 'timeout=5', 'ETag', '"e"')), ['ETag', '"e"']);
    assert.deepEqual(responseHeaders(b('Connection', 'keep-alive', 'X-A', '1', 'connection', 'x-a', 'X-B', '2')), ['X-B', '2']);
  });

  it('keeps latin1 bytes as they are', () => {
    assert.deepEqual(responseHeaders(b('X-Name', 'caf\u00e9')), ['X-Name', 'caf\u00e9']);
  });

  it('returns nothing for no headers', () => assert.deepEqual(responseHeaders([]), []));
});
