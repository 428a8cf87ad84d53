// A hot reload applies consul.address (and with it token and datacenter, the same re-point): real
// Consul dev agents, real sidecars and an edge, real signals. The edge's watchers ask the new
// address while its pools keep serving their last answers; a sidecar's registrations move to the
// new Consul agent and leave the old one.
import assert from 'node:assert/strict';
import { startConsulDev, type ConsulDevAgent } from '../../agent/demo/consul-dev-agent.js';
import { consulServiceKong, useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { reloadAgent } from '../support/reload.js';

const reloadConsulAddress = (agent: AgentHandle, address: string) => reloadAgent(agent, (doc) => { doc.consul = { ...doc.consul, address }; });

describe('hot reload of consul settings', function () {
  this.timeout(90_000);
  const harness = useHarness('reload-consul');
  let other: ConsulDevAgent | undefined;
  after(async () => { await other?.stop('SIGINT'); });

  it('edge: pools keep serving while the new address fails; back on a live agent its watchers see new instances', async () => {
    const h = harness();
    const web1 = await h.startService('web', 'web-1');
    await h.startSidecar({ service: web1 });
    const edge = await h.startEdge({ kong: consulServiceKong('web', '/web') });
    await h.waitForPool(edge, 'consul:web', ['web-1']);

    const failingAtDeadAddress = async () => (await edge.status()).watchers.some((w) => w.errors > 0 && /127\.0\.0\.1:9\b/.test(w.lastError ?? ''));
    assert.equal(await failingAtDeadAddress(), false);
    await reloadConsulAddress(edge, 'http://127.0.0.1:9');
    await waitFor(failingAtDeadAddress, { timeoutMs: 10_000, what: 'the watchers failing against the reloaded address' });
    const { res, echo } = await h.echo(`${edge.url}/web`);
    assert.equal(res.status, 200, res.text);
    assert.equal(echo?.instance, 'web-1', 'served from the last known pool');

    await reloadConsulAddress(edge, h.consul.httpAddress);
    const web2 = await h.startService('web', 'web-2');
    await h.startSidecar({ service: web2 });
    await h.waitForPool(edge, 'consul:web', ['web-1', 'web-2'], 20_000);
  });

  it('sidecar: its registrations move to the new Consul agent and leave the old one', async () => {
    const h = harness();
    other = await startConsulDev({ node: 'it-reload-consul-other' });
    const web3 = await h.startService('web', 'web-3');
    const sidecar = await h.startSidecar({ service: web3 });
    const ids = async (address: string) => Object.keys(await h.http.json<Record<string, unknown>>(`${address}/v1/agent/services`));
    await waitFor(async () => (await ids(h.consul.httpAddress)).includes('web-3'), { what: 'web-3 registered with the first agent' });
    assert.ok(!(await ids(other.httpAddress)).includes('web-3'));

    await reloadConsulAddress(sidecar, other.httpAddress);
    await waitFor(async () => (await ids(other!.httpAddress)).includes('web-3'), { timeoutMs: 15_000, what: 'web-3 registered with the new agent' });
    await waitFor(async () => !(await ids(h.consul.httpAddress)).includes('web-3'), { timeoutMs: 15_000, what: 'web-3 gone from the old agent' });
    assert.ok((await ids(other.httpAddress)).includes('web-3-sidecar-proxy'), 'the connect proxy registration moved too');
  });
});
