// A hot reload that changes a section only a restart applies says so (log line and metric) and keeps
// serving with the running values; a real agent process, real signals.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { useHarness, waitFor } from '../support/harness.js';

describe('hot reload of sections that need a restart', function () {
  const harness = useHarness('reload-scope', { consul: false });
  let upstream: http.Server;
  before(async () => {
    // answers with what the edge told it about the client and which of the test headers reached it
    upstream = http.createServer((req, res) => res.writeHead(200).end(JSON.stringify({
      realIp: req.headers['x-real-ip'], prefix: req.headers['x-forwarded-prefix'] ?? null,
    })));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });
  after(() => { upstream.closeAllConnections(); upstream.close(); });

  it('a changed agent section is named in meshgate_config_restart_required; limits, trusted_proxies and edge.http apply in place; routes reload', async () => {
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const upstreamPort = (upstream.address() as AddressInfo).port;
    const config = (limits: object, trusted: string[], path: string, allow: string[], drain = '10s') => ({
      consul: { address: 'http://127.0.0.1:9' }, mesh: { tls: 'disabled' }, agent: { admin: `127.0.0.1:${adminPort}`, drain_timeout: drain },
      edge: {
        listen: `127.0.0.1:${port}`, limits, trusted_proxies: trusted, http: { allow_headers: allow },
        kong: { _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${upstreamPort}`, routes: [{ name: 'r', paths: [path] }] }] },
      },
    });
    const probe = async (path: string) => {
      const res = await h.http.get(`${edge.url}${path}`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-prefix': '/p' } });
      assert.equal(res.status, 200, res.text);
      return res.json<{ realIp: string; prefix: string | null }>();
    };
    const file = h.writeYaml('reload-scope.yaml', config({ header_timeout: '5s' }, ['10.0.0.0/8'], '/a', []));
    const edge = await h.startAgent('reload-scope', file, { adminPort, port });
    assert.deepEqual(await probe('/a'), { realIp: '127.0.0.1', prefix: null }, 'the loopback peer is not trusted yet; X-Forwarded-Prefix dropped');
    writeFileSync(file, stringify(config({ header_timeout: '2s' }, ['127.0.0.0/8'], '/b', ['X-Forwarded-Prefix'], '5s')));
    edge.child.signal('SIGHUP');
    await waitFor(async () => (await h.http.get(`${edge.url}/b`)).status === 200, { timeoutMs: 10_000, what: 'the new route to apply' });
    assert.deepEqual(await probe('/b'), { realIp: '203.0.113.7', prefix: '/p' }, 'the reloaded trusted_proxies and allow_headers act');
    const metrics = await edge.metrics();
    assert.match(metrics, /meshgate_config_restart_required\{section="agent"\} 1/);
    assert.doesNotMatch(metrics, /meshgate_config_restart_required\{section="edge.limits"\}/);
    assert.doesNotMatch(metrics, /meshgate_config_restart_required\{section="edge.trusted_proxies"\}/);
    assert.match(metrics, /meshgate_config_restart_required\{section="mesh.tls"\} 0/);
    assert.match(metrics, /meshgate_config_last_reload_success 1/);
  });
});
