// An edge routing to more services than DIRECT_WATCH_LIMIT shares two blocking queries
// (/v1/health/state/any, /v1/catalog/services) among them; its pools must still follow health
// changes and new registrations in a real Consul. Instances sit on an external node (registered
// through the catalog, as an ESM would), behind sidecar proxies as the edge routes by default.
import assert from 'node:assert/strict';
import { DIRECT_WATCH_LIMIT } from '../../agent/discovery/service-discovery.js';
import { useHarness, type AgentHandle } from '../support/harness.js';

const SERVICES = DIRECT_WATCH_LIMIT + 4;
const svc = (i: number) => `shared-${i}`;

describe('many services behind two shared blocking queries (edge → sidecar proxies)', function () {
  this.timeout(120_000);
  const harness = useHarness('shared-health-watch');
  let edge: AgentHandle;

  /** `checkOnly`: only the check's status changes (Consul's services index does not move) */
  async function register(i: number, instance: string, status: 'passing' | 'critical', port = 20_000 + i, checkOnly = false): Promise<void> {
    const id = `${svc(i)}-${instance}`;
    const res = await fetch(`${harness().consul.httpAddress}/v1/catalog/register`, {
      method: 'PUT', body: JSON.stringify({
        Node: 'ext-node', Address: '127.0.0.1', SkipNodeUpdate: checkOnly,
        Service: checkOnly ? undefined : { Kind: 'connect-proxy', ID: `${id}-sidecar-proxy`, Service: `${svc(i)}-sidecar-proxy`, Address: '127.0.0.1', Port: port, Proxy: { DestinationServiceName: svc(i), DestinationServiceID: id } },
        Check: { Node: 'ext-node', CheckID: `check-${id}`, Name: 'proxy', Status: status, ServiceID: `${id}-sidecar-proxy` },
      }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  before(async function () {
    const h = harness();
    for (let i = 0; i < SERVICES; i++) { await register(i, 'a', 'passing'); await register(i, 'b', 'passing', 21_000 + i); }
    edge = await h.startEdge({
      kong: { _format_version: '3.0', services: Array.from({ length: SERVICES }, (_, i) => ({ name: svc(i), url: `http://${svc(i)}`, routes: [{ name: svc(i), paths: [`/${svc(i)}`] }] })) },
    });
    for (let i = 0; i < SERVICES; i++) await h.waitForPool(edge, `consul:${svc(i)}`, [`${svc(i)}-a`, `${svc(i)}-b`]);
  });

  it('keeps fewer blocking queries open than it watches services', async () => {
    const open = Number(/^meshgate_consul_blocking_queries (\d+)/m.exec(await edge.metrics())?.[1]);
    // the two shared ones, plus the edge's own (its peers, roots, leaf)
    assert.ok(open >= 2 && open < SERVICES, `${open} blocking queries for ${SERVICES} services`);
  });

  it('a proxy turning critical leaves its pool, and comes back when passing', async () => {
    const h = harness();
    await register(3, 'b', 'critical', 21_003, true);
    await h.waitForPool(edge, `consul:${svc(3)}`, [`${svc(3)}-a`]);
    await register(3, 'b', 'passing', 21_003, true);
    await h.waitForPool(edge, `consul:${svc(3)}`, [`${svc(3)}-a`, `${svc(3)}-b`]);
  });

  it('a new instance joins its pool; the other pools stay as they are', async () => {
    const h = harness();
    await register(5, 'c', 'passing', 22_005);
    await h.waitForPool(edge, `consul:${svc(5)}`, [`${svc(5)}-a`, `${svc(5)}-b`, `${svc(5)}-c`]);
    await h.waitForPool(edge, `consul:${svc(6)}`, [`${svc(6)}-a`, `${svc(6)}-b`]);
  });
});
