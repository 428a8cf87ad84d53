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
    upstream = http.createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });
  after(() => { upstream.closeAllConnections(); upstream.close(); });

  it('a changed edge.limits and trusted_proxies are named in meshgate_config_restart_required, and routes still reload', async () => {
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const upstreamPort = (upstream.address() as AddressInfo).port;
    const config = (limits: object, trusted: string[], path: string) => ({
      consul: { address: 'http://127.0.0.1:9' }, mesh: { tls: 'disabled' }, agent: { admin: `127.0.0.1:${adminPort}` },
      edge: {
        listen: `127.0.0.1:${port}`, limits, trusted_proxies: trusted,
        kong: { _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${upstreamPort}`, routes: [{ name: 'r', paths: [path] }] }] },
      },
    });
    const file = h.writeYaml('reload-scope.yaml', config({ header_timeout: '5s' }, ['10.0.0.0/8'], '/a'));
    const edge = await h.startAgent('reload-scope', file, { adminPort, port });
    assert.equal((await h.http.get(`${edge.url}/a`)).status, 200);
    writeFileSync(file, stringify(config({ header_timeout: '2s' }, [], '/b')));
    edge.child.signal('SIGHUP');
    await waitFor(async () => (await h.http.get(`${edge.url}/b`)).status === 200, { timeoutMs: 10_000, what: 'the new route to apply' });
    const metrics = await edge.metrics();
    assert.match(metrics, /meshgate_config_restart_required\{section="edge.limits"\} 1/);
    assert.match(metrics, /meshgate_config_restart_required\{section="edge.trusted_proxies"\} 1/);
    assert.match(metrics, /meshgate_config_restart_required\{section="consul"\} 0/);
    assert.match(metrics, /meshgate_config_last_reload_success 1/);
  });
});
