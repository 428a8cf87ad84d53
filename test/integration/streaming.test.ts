// Bodies stream through edge → sidecar → service; hop-by-hop headers stop at each hop;
// X-Forwarded-For from a client is trusted only from trusted_proxies.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { consulServiceKong, useHarness, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { rawRequest, type Echo } from '../support/http.js';

describe('streaming and headers through edge → sidecar → service', function () {
  const harness = useHarness('streaming');
  const route = '/api/v1/users';
  let users1: ServiceHandle;
  let edge: AgentHandle;
  let trustingEdge: AgentHandle;

  before(async function () {
    const h = harness();
    users1 = await h.startService('users', 'users-1');
    await h.startSidecar({ service: users1 });
    [edge, trustingEdge] = await Promise.all([
      h.startEdge({ kong: consulServiceKong('users', route) }),
      h.startEdge({ kong: consulServiceKong('users', route), trustedProxies: ['127.0.0.1/32'], name: 'edge-trusting' }),
    ]);
    await Promise.all([h.waitForPool(edge, 'consul:users', ['users-1']), h.waitForPool(trustingEdge, 'consul:users', ['users-1'])]);
  });

  it('carries a 20 MB POST body intact (streamed in chunks, no Content-Length)', async function () {
    const h = harness();
    const size = 20 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const body = Readable.from((function* () {
      while (sent < size) { const n = Math.min(chunk.length, size - sent); sent += n; yield chunk.subarray(0, n); }
    })());
    const res = await h.http.request(`${edge.url}${route}/upload`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' }, timeoutMs: 60_000 });
    assert.equal(res.status, 200, res.text);
    const echo = res.json<Echo>();
    assert.equal(echo.method, 'POST');
    assert.equal(echo.bodyBytes, size);
  });

  it('carries a 20 MB POST body with Content-Length intact', async function () {
    const h = harness();
    const size = 20 * 1024 * 1024;
    const buf = Buffer.alloc(size, 0x62);
    const res = await h.http.request(`${edge.url}${route}/upload`, { method: 'POST', body: buf, headers: { 'content-type': 'application/octet-stream' }, timeoutMs: 60_000 });
    assert.equal(res.status, 200, res.text);
    const echo = res.json<Echo>();
    assert.equal(echo.bodyBytes, size);
    assert.equal(echo.headers['content-length'], String(size));
  });

  it('does not forward hop-by-hop headers (Connection-named, Keep-Alive, TE)', async function () {
    const res = await rawRequest(`${edge.url}${route}/hop`, {
      headers: [
        ['Connection', 'keep-alive, X-Secret'],
        ['X-Secret', '1'],
        ['Keep-Alive', 'timeout=5'],
        ['TE', 'trailers'],
        ['Proxy-Authorization', 'Basic Zm9vOmJhcg=='],
        ['X-Kept', 'yes'],
      ],
    });
    assert.equal(res.status, 200, res.text);
    const seen = res.json<Echo>().headers;
    assert.equal(seen['x-kept'], 'yes', 'an ordinary header is forwarded');
    for (const h of ['x-secret', 'keep-alive', 'te', 'proxy-authorization']) assert.ok(!(h in seen), `${h} reached the service: ${JSON.stringify(seen)}`);
    assert.ok(!/x-secret/i.test(seen.connection ?? ''), `connection: ${seen.connection}`);
  });

  it('does not trust a client\'s X-Forwarded-For without trusted_proxies', async function () {
    const res = await rawRequest(`${edge.url}${route}/xff`, { headers: [['X-Forwarded-For', '1.2.3.4'], ['X-Real-IP', '5.6.7.8']] });
    assert.equal(res.status, 200, res.text);
    const seen = res.json<Echo>().headers;
    const xff = seen['x-forwarded-for'] ?? '';
    assert.ok(!xff.includes('1.2.3.4'), `x-forwarded-for: ${xff}`);
    assert.ok(xff.split(',').every((hop) => hop.trim() === '127.0.0.1'), `only 127.0.0.1 hops: ${xff}`);
    assert.equal(seen['x-real-ip'], '127.0.0.1');
  });

  it('keeps (appends to) a client\'s X-Forwarded-For with trusted_proxies: ["127.0.0.1/32"]', async function () {
    const res = await rawRequest(`${trustingEdge.url}${route}/xff`, { headers: [['X-Forwarded-For', '1.2.3.4']] });
    assert.equal(res.status, 200, res.text);
    const seen = res.json<Echo>().headers;
    const hops = (seen['x-forwarded-for'] ?? '').split(',').map((x) => x.trim());
    assert.equal(hops[0], '1.2.3.4', `x-forwarded-for: ${seen['x-forwarded-for']}`);
    assert.equal(hops[1], '127.0.0.1', 'the edge appended its peer');
    assert.ok(hops.slice(1).every((h) => h === '127.0.0.1'));
    assert.equal(seen['x-real-ip'], '1.2.3.4', 'the client address is the right-most untrusted hop');
  });

  it('streams a response body back (slow upstream answer arrives whole)', async function () {
    const h = harness();
    const res = await h.http.get(`${edge.url}${route}/slow?delay_ms=300`);
    assert.equal(res.status, 200);
    assert.equal(res.json<Echo>().instance, 'users-1');
  });
});
