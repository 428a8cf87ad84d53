import assert from 'node:assert/strict';
import { RemotePools } from '../../../../agent/workers/remote-pools.js';
import type { EndpointSpec } from '../../../../agent/discovery/catalog-to-endpoints.js';
import { FakeLink } from './fake-link.js';

const ep = (port: number): EndpointSpec => ({ address: `10.0.0.1:${port}`, key: `10.0.0.1:${port}/i${port}`, host: '10.0.0.1', port, weight: 1, instanceId: `i${port}`, node: 'n' });
const users = { service: 'users', mesh: true };
const orders = { service: 'orders', mesh: true };

describe('a worker\'s pools from the primary', () => {
  it('says what it needs, then serves the snapshot it is sent and rebuilds on each', () => {
    const link = new FakeLink();
    let now = 1000;
    const pools = new RemotePools(link, () => now);
    let rebuilds = 0;
    pools.attach(() => { rebuilds++; });
    pools.setWanted([users, orders]);
    assert.deepEqual(link.sent, [{ mg: 'want', keys: [users, orders] }]);
    assert.deepEqual(pools.endpoints(users), { endpoints: [], loaded: false }, 'nothing before the first snapshot');
    now = 1012;
    link.deliver({ mg: 'pools', sentAt: 1005, clusterSize: 3, pools: [['connect/users', [ep(1), ep(2)], true], ['connect/orders', [], false]] });
    assert.equal(rebuilds, 1);
    assert.deepEqual(pools.endpoints(users).endpoints.map((e) => e.port), [1, 2]);
    assert.equal(pools.endpoints(users).loaded, true);
    assert.equal(pools.endpoints(orders).loaded, false);
    assert.equal(pools.endpoints({ service: 'users', mesh: false }).loaded, false, 'the plain watch is another key');
    assert.equal(pools.clusterSize, 3);
    assert.equal(pools.lagMs, 7);
    // a whole snapshot replaces the last one
    link.deliver({ mg: 'pools', sentAt: 1012, clusterSize: 1, pools: [['connect/users', [ep(2)], true]] });
    assert.deepEqual(pools.endpoints(users).endpoints.map((e) => e.port), [2]);
    assert.equal(pools.endpoints(orders).loaded, false);
    assert.equal(rebuilds, 2);
  });

  it('firstResults resolves once every wanted pool has had its first answer', async () => {
    const link = new FakeLink();
    const pools = new RemotePools(link).attach(() => {});
    pools.setWanted([users]);
    let done = false;
    const first = pools.firstResults(10_000).then(() => { done = true; });
    link.deliver({ mg: 'pools', sentAt: Date.now(), clusterSize: 1, pools: [['connect/users', [], false]] });
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    link.deliver({ mg: 'pools', sentAt: Date.now(), clusterSize: 1, pools: [['connect/users', [ep(1)], true]] });
    await first;
    assert.equal(done, true);
  });
});
