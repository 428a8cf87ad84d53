// Datacenter failover through real, WAN-joined Consul datacenters: dc1 (primary) and dc2 (its
// Connect CA signed by dc1's), an edge in dc1 with consul.failover_datacenters [dc2], and a users
// instance behind its sidecar in each datacenter. The edge reaches dc2's sidecar over mTLS with
// dc2's leaf certificate (chained through dc2's intermediate to the shared root). A reload adds and
// removes the failover datacenters of a running edge.
import assert from 'node:assert/strict';
import { consulServiceKong, useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { reloadAgent } from '../support/reload.js';

describe('datacenter failover (consul.failover_datacenters)', function () {
  const dc1 = useHarness('dc1', { consulConfig: { datacenter: 'dc1', primary_datacenter: 'dc1' } });
  const dc2 = useHarness('dc2', { consulConfig: { datacenter: 'dc2', primary_datacenter: 'dc1' } });
  const route = '/api/v1/users';
  let edge: AgentHandle;
  let local: ServiceHandle;
  let remote: ServiceHandle;

  before(async function () {
    this.timeout(90_000);
    const [h1, h2] = [dc1(), dc2()];
    const joined = await h2.http.request(`${h2.consul.httpAddress}/v1/agent/join/127.0.0.1:${h1.consul.serfWanPort}?wan=1`, { method: 'PUT' });
    assert.equal(joined.status, 200, joined.text);
    await waitFor(async () => (await h1.consulGet<string[]>('/catalog/datacenters')).includes('dc2'), { timeoutMs: 20_000, what: 'dc1 to see dc2' });
    // dc2's Connect CA is a secondary: its leaf certificates come once it has its intermediate from dc1
    await waitFor(async () => {
      const roots = await h2.consulGet<{ Roots: { IntermediateCerts?: string[] | null }[] }>('/agent/connect/ca/roots');
      return roots.Roots.some((r) => (r.IntermediateCerts?.length ?? 0) > 0);
    }, { timeoutMs: 30_000, what: 'dc2 to get its intermediate CA from dc1' });
    [local, remote] = await Promise.all([h1.startService('users', 'users-dc1'), h2.startService('users', 'users-dc2')]);
    await Promise.all([h1.startSidecar({ service: local }), h2.startSidecar({ service: remote })]);
    edge = await h1.startEdge({ kong: consulServiceKong('users', route), consul: { failover_datacenters: ['dc2'] } });
    await h1.waitForPool(edge, 'consul:users', ['users-dc1']);
  });

  async function instances(n: number): Promise<{ byInstance: Record<string, number>; failed: number }> {
    const byInstance: Record<string, number> = {};
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const { res, echo } = await dc1().echo(`${edge.url}${route}/${i}`);
      if (res.status !== 200 || !echo) { failed++; continue; }
      byInstance[echo.instance] = (byInstance[echo.instance] ?? 0) + 1;
    }
    return { byInstance, failed };
  }

  it('serves from the local datacenter while it has a passing instance, and watches no other', async () => {
    assert.deepEqual(await instances(20), { byInstance: { 'users-dc1': 20 }, failed: 0 });
    const watches = (await edge.status()).watchers.map((w) => w.name);
    assert.ok(!watches.some((w) => w.includes('@dc2')), `no dc2 watch while dc1 is healthy: ${watches.join(', ')}`);
  });

  it('no passing instance in dc1: dc2\'s instance serves over mTLS, a metric and a log line say so', async function () {
    this.timeout(30_000);
    await local.setHealth('fail');
    await dc1().waitForPool(edge, 'consul:users', ['users-dc2'], 20_000);
    assert.deepEqual(await instances(20), { byInstance: { 'users-dc2': 20 }, failed: 0 });
    assert.match(await edge.metrics(), /meshgate_pool_failover\{pool="consul:users",datacenter="dc2"\} 1/);
    assert.ok(edge.child.output.json().some((l) => l.msg === 'no usable instance locally; pool served by another datacenter' && l.datacenter === 'dc2'));
  });

  it('dc1 passing again: the local instance serves, and the dc2 watch ends', async function () {
    this.timeout(30_000);
    await local.setHealth('pass');
    await dc1().waitForPool(edge, 'consul:users', ['users-dc1'], 20_000);
    assert.deepEqual(await instances(20), { byInstance: { 'users-dc1': 20 }, failed: 0 });
    assert.match(await edge.metrics(), /meshgate_pool_failover\{pool="consul:users",datacenter="dc2"\} 0/);
    await waitFor(async () => !(await edge.status()).watchers.some((w) => w.name.includes('@dc2')), { timeoutMs: 5000, what: 'the dc2 watch to stop' });
  });

  it('a reload adds failover_datacenters: an edge started without it serves dc2\'s instance once dc1 has none; a reload removing it ends that', async function () {
    this.timeout(60_000);
    const h = dc1();
    const plain = await h.startEdge({ kong: consulServiceKong('users', route), name: 'edge-reloaded' });
    await h.waitForPool(plain, 'consul:users', ['users-dc1']);
    await local.setHealth('fail');
    try {
      await h.waitForPool(plain, 'consul:users', [], 20_000);
      await reloadAgent(plain, (doc) => { doc.consul = { ...doc.consul, failover_datacenters: ['dc2'] }; });
      await h.waitForPool(plain, 'consul:users', ['users-dc2'], 20_000);
      const { res, echo } = await h.echo(`${plain.url}${route}/after-reload`);
      assert.equal(echo?.instance, 'users-dc2', `HTTP ${res.status} ${res.text}`);
      await reloadAgent(plain, (doc) => { delete doc.consul.failover_datacenters; });
      await h.waitForPool(plain, 'consul:users', [], 20_000);
      await waitFor(async () => !(await plain.status()).watchers.some((w) => w.name.includes('@dc2')), { timeoutMs: 5000, what: 'the dc2 watch to stop' });
    } finally {
      await local.setHealth('pass');
    }
  });

  it('refuses the local datacenter in failover_datacenters, naming the path', async () => {
    const h = dc1();
    const file = h.writeYaml('bad-failover.yaml', {
      consul: { address: h.consul.httpAddress, datacenter: 'dc1', failover_datacenters: ['dc2', 'dc1'] },
      edge: { listen: '127.0.0.1:0', kong: consulServiceKong('users', route) },
    });
    const run = h.spawn('run bad-failover', process.execPath, ['bin/meshgate.js', 'validate', file]);
    const exit = await run.exited;
    assert.equal(exit.code, 2, run.output.tail(10));
    assert.match(run.output.tail(10), /consul\.failover_datacenters\[1\].*local datacenter/);
  });
});
