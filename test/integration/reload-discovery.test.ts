// A hot reload applies consul.pool_guard, in one process and with workers (whose pools come from
// the primary's watchers): real Consul, real sidecars, an edge and real signals. A guard added by a
// reload holds the next collapse of Consul's answer; a guard taken away by a reload ends a hold in
// progress at once. (consul.failover_datacenters by reload: datacenter-failover.test.ts.)
import assert from 'node:assert/strict';
import { consulServiceKong, useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { reloadAgent } from '../support/reload.js';

describe('hot reload of consul.pool_guard', function () {
  this.timeout(90_000);
  const harness = useHarness('reload-discovery');

  for (const [what, args] of [['one process', []], ['two workers', ['--workers', '2']]] as const) {
    it(`${what}: added by a reload, it holds a collapse; removed by a reload, the hold ends at once`, async () => {
      const h = harness();
      const service = `guarded-${args.length}`;
      const route = `/api/${service}`;
      const edge = await h.startEdge({ kong: consulServiceKong(service, route), name: `edge-${args.length}`, args });
      const [a, b] = await Promise.all([h.startService(service, `${service}-a`), h.startService(service, `${service}-b`)]);
      await Promise.all([h.startSidecar({ service: a }), h.startSidecar({ service: b })]);
      /** ten fresh requests (each worker may answer): the instances that answered them when every one had `status`, else null */
      const tenFresh = async (status: number) => {
        const instances = new Set<string>();
        for (let i = 0; i < 10; i++) {
          const r = await h.http.get(`${edge.url}${route}?i=${i}`, { headers: { connection: 'close' } });
          if (r.status !== status) return null;
          instances.add(String(r.headers['x-instance']));
        }
        return instances;
      };
      const allAnswer = async (status: number) => (await tenFresh(status)) !== null;
      // the guard added below takes the members Consul lists at the reload as its last-known-good
      await h.waitForPool(edge, `consul:${service}`, [`${service}-a`, `${service}-b`]);
      await waitFor(async () => (await tenFresh(200))?.size === 2, { timeoutMs: 15_000, what: 'both instances serving' });
      const held = async (agent: AgentHandle) => /meshgate_pool_guard_held_endpoints\{watch="connect\/[^"]+"\} (\d+)/.exec(await agent.metrics())?.[1];

      // a hold far longer than the test: only the reload below can end it
      await reloadAgent(edge, (doc) => { doc.consul = { ...doc.consul, pool_guard: { max_shrink_fraction: 0.4, hold: '10m' } }; });
      await Promise.all([a.setHealth('fail'), b.setHealth('fail')]);
      await waitFor(async () => (await h.connectPassing(service)).length === 0, { timeoutMs: 10_000, intervalMs: 50, what: `Consul to list no passing ${service}` });
      // Consul may drop the two in one answer or in two: each is a collapse, the second holds both
      await waitFor(async () => (await held(edge)) === '2', { timeoutMs: 5000, what: 'the edge to hold both members' });
      assert.ok(edge.child.output.lines.some((l) => l.text.includes('pool guard: Consul')), 'the hold is logged');
      assert.ok(await allAnswer(200), 'the held members keep serving');

      await reloadAgent(edge, (doc) => { delete doc.consul.pool_guard; });
      await waitFor(() => allAnswer(503), { timeoutMs: 5000, what: 'Consul\'s empty answer to apply' });
      assert.equal(await held(edge), '0');
    });
  }
});
