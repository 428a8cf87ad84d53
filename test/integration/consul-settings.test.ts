// Agent and Consul settings of an edge against a real Consul dev agent: agent.node (logs, its own
// registration), agent.log_level, consul.datacenter, and edge.via_sidecars (health/service vs
// health/connect).
import assert from 'node:assert/strict';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import type { Echo } from '../support/http.js';

describe('agent and consul settings of an edge (real Consul)', function () {
  this.timeout(60_000);
  const harness = useHarness('consul-settings');
  let direct: ServiceHandle;

  /** an edge from a meshgate file routing /direct to the Consul service "direct" */
  async function edge(name: string, opts: { node: string; viaSidecars?: boolean; datacenter?: string; logLevel?: string; waitReady?: boolean }): Promise<AgentHandle> {
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml(`${name}.yaml`, {
      consul: { address: h.consul.httpAddress, ...(opts.datacenter ? { datacenter: opts.datacenter } : {}) },
      agent: { node: opts.node, admin: `127.0.0.1:${adminPort}`, ...(opts.logLevel ? { log_level: opts.logLevel } : {}) },
      mesh: { tls: 'disabled' },
      edge: {
        listen: `127.0.0.1:${port}`, ...(opts.viaSidecars === undefined ? {} : { via_sidecars: opts.viaSidecars }),
        kong: { _format_version: '3.0', services: [{ name: 'direct', url: 'http://direct', routes: [{ name: 'direct', paths: ['/direct'] }] }] },
      },
    });
    return h.startAgent(name, file, { adminPort, port, waitReady: opts.waitReady ?? true });
  }

  before(async function () {
    const h = harness();
    direct = await h.startService('direct', 'direct-1');
    // registered straight in Consul, with no sidecar: only /v1/health/service lists it
    const r = await h.http.request(`${h.consul.httpAddress}/v1/agent/service/register`, {
      method: 'PUT', body: JSON.stringify({ Name: 'direct', ID: 'direct-1', Address: '127.0.0.1', Port: direct.port }),
    });
    assert.equal(r.status, 200, r.text);
  });

  it('edge.via_sidecars: false reaches a Consul service\'s instances directly; true (the default) only through sidecars, so a service without one is 503', async () => {
    const h = harness();
    const plain = await edge('via-sidecars-false', { node: 'plain-edge', viaSidecars: false });
    await h.waitForPool(plain, 'consul:direct', ['direct-1']);
    const r = await h.http.get(`${plain.url}/direct/x`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json<Echo>().instance, 'direct-1');
    const meshOnly = await edge('via-sidecars-default', { node: 'mesh-edge' });
    const refused = await h.http.get(`${meshOnly.url}/direct/x`);
    assert.equal(refused.status, 503, refused.text);
  });

  it('consul.datacenter: every query names it; a datacenter Consul knows answers, an unknown one leaves the edge not ready with the error reported', async () => {
    const h = harness();
    const dc1 = await edge('dc-known', { node: 'dc1-edge', viaSidecars: false, datacenter: 'dc1' });
    await h.waitForPool(dc1, 'consul:direct', ['direct-1']);
    assert.equal((await h.http.get(`${dc1.url}/direct/x`)).status, 200);
    const lost = await edge('dc-unknown', { node: 'lost-edge', viaSidecars: false, datacenter: 'nowhere', waitReady: false });
    const watcher = await waitFor(async () => (await lost.status()).watchers?.find((w) => w.errors > 0), { timeoutMs: 15_000, intervalMs: 100, what: 'a watcher error' });
    assert.match(watcher.lastError ?? '', /datacenter/i);
    assert.equal((await h.http.get(`http://127.0.0.1:${lost.adminPort}/ready`)).status, 503);
  });

  it('agent.node names every log line and the edge\'s own Consul registration; agent.log_level drops the lines below it', async () => {
    const h = harness();
    const named = await edge('node-named', { node: 'edge-on-rack-7', viaSidecars: false });
    const lines = named.child.output.json();
    assert.ok(lines.some((l) => l.msg === 'admin listening'), 'the info line at the default level');
    assert.deepEqual([...new Set(lines.filter((l) => l.msg !== undefined).map((l) => l.node))], ['edge-on-rack-7']);
    const registered = await waitFor(async () => (await h.catalogService('meshgate-edge')).find((e) => e.ServiceID.includes('edge-on-rack-7')), { timeoutMs: 10_000, what: 'the edge registration' });
    assert.equal(registered.ServicePort, named.port);
    const quiet = await edge('log-level-warn', { node: 'quiet-edge', viaSidecars: false, logLevel: 'warn' });
    assert.equal((await h.http.get(`${quiet.url}/direct/x`)).status, 200);
    assert.deepEqual(quiet.child.output.json().filter((l) => l.msg === 'admin listening'), [], 'an info line at log_level warn');
  });
});
