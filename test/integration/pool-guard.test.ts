// The pool guard (consul.pool_guard) with a real Consul: when Consul's answer for a service
// collapses, the edge keeps serving the last-known-good members for the hold time, except one
// that fails here too; then Consul's answer applies.
import assert from 'node:assert/strict';
import { consulServiceKong, useHarness, waitFor } from '../support/harness.js';

const HOLD_MS = 8000;

describe('pool guard: a collapsed Consul answer is held for a bounded time', function () {
  const harness = useHarness('pool-guard');

  it('every instance gone from Consul at once: requests keep succeeding for the hold; a member failing locally is dropped; then Consul applies', async function () {
    const h = harness();
    const route = '/api/users';
    // 0.4: Consul may report the two checks failing in one answer or in two; either way the first drop is a collapse
    const edge = await h.startEdge({ kong: consulServiceKong('users', route), poolGuard: { max_shrink_fraction: 0.4, hold: `${HOLD_MS / 1000}s` } });
    const [a, b] = await Promise.all([h.startService('users', 'users-a'), h.startService('users', 'users-b')]);
    const [sidecarA] = await Promise.all([h.startSidecar({ service: a }), h.startSidecar({ service: b })]);
    await h.waitForPool(edge, 'consul:users', [a.instance, b.instance]);
    const held = async () => Number(/meshgate_pool_guard_held_endpoints\{watch="connect\/users"\} (\d+)/.exec(await edge.metrics())?.[1] ?? NaN);
    const getMany = async (n: number, what: string) => {
      const counts: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const r = await h.http.get(`${edge.url}${route}?i=${i}`);
        assert.equal(r.status, 200, `${what}: request ${i}: HTTP ${r.status} ${r.text}`);
        counts[String(r.headers['x-instance'])] = (counts[String(r.headers['x-instance'])] ?? 0) + 1;
      }
      return counts;
    };

    await Promise.all([a.setHealth('fail'), b.setHealth('fail')]);
    await waitFor(async () => (await h.connectPassing('users')).length === 0, { timeoutMs: 10_000, intervalMs: 50, what: 'Consul to list no passing users' });
    const emptyAt = Date.now();
    assert.deepEqual(Object.keys(await getMany(20, 'held')).sort(), [a.instance, b.instance].sort(), 'both last-known-good instances still serve');
    assert.equal(await held(), 2);
    assert.ok(edge.child.output.lines.some((l) => l.text.includes('pool guard: Consul')), 'the hold is logged');

    // a held member that fails here is not held: its sidecar dies, retries cover it, it leaves the pool
    await sidecarA.child.kill();
    await getMany(20, 'after a held member died');
    await waitFor(async () => {
      const p = (await edge.status()).pools.find((x) => x.name === 'consul:users');
      return p !== undefined && p.endpoints.length === 1 && p.endpoints[0]!.instance === b.instance;
    }, { timeoutMs: 5000, intervalMs: 50, what: `the edge to drop the dead ${a.instance} while still holding ${b.instance}` });
    assert.equal(await held(), 1);
    assert.ok(Date.now() - emptyAt < HOLD_MS, 'checked within the hold');
    assert.deepEqual(await getMany(10, 'holding one'), { [b.instance]: 10 });

    // the hold ends: Consul's (empty) answer applies
    await h.waitForPool(edge, 'consul:users', [], HOLD_MS + 5000);
    assert.ok(Date.now() - emptyAt >= HOLD_MS - 1500, `released after ${Date.now() - emptyAt} ms, hold ${HOLD_MS}`);
    assert.equal((await h.http.get(`${edge.url}${route}`)).status, 503);
    assert.equal(await held(), 0);
  });

  it('without consul.pool_guard, the same collapse applies at once', async function () {
    const h = harness();
    const route = '/api/users2';
    const edge = await h.startEdge({ kong: consulServiceKong('users2', route), name: 'edge-plain' });
    const [a, b] = await Promise.all([h.startService('users2', 'users2-a'), h.startService('users2', 'users2-b')]);
    await Promise.all([h.startSidecar({ service: a }), h.startSidecar({ service: b })]);
    await h.waitForPool(edge, 'consul:users2', [a.instance, b.instance]);
    await Promise.all([a.setHealth('fail'), b.setHealth('fail')]);
    await waitFor(async () => (await h.connectPassing('users2')).length === 0, { timeoutMs: 10_000, intervalMs: 50, what: 'Consul to list no passing users2' });
    await h.waitForPool(edge, 'consul:users2', [], 3000);
  });
});
