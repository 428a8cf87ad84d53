// Active health (Consul checks) and passive health (ejection) as seen through a real edge.
import assert from 'node:assert/strict';
import { consulServiceKong, useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

describe('health: failing checks and dead instances are taken out of rotation', function () {
  const harness = useHarness('health');
  let edge: AgentHandle;
  const route = '/api/v1/users';
  let round = 0;
  // fresh instances for every test: users-N-a and users-N-b, each behind its own sidecar
  let a: ServiceHandle;
  let b: ServiceHandle;
  let sidecarA: AgentHandle;
  let sidecarB: AgentHandle;
  let mark = 0;

  before(async function () {
    edge = await harness().startEdge({ kong: consulServiceKong('users', route) });
  });

  beforeEach(async function () {
    const h = harness();
    mark = h.childCount;
    round++;
    [a, b] = await Promise.all([h.startService('users', `users-${round}-a`), h.startService('users', `users-${round}-b`)]);
    [sidecarA, sidecarB] = await Promise.all([h.startSidecar({ service: a }), h.startSidecar({ service: b })]);
    await h.waitForPool(edge, 'consul:users', [a.instance, b.instance]);
  });

  afterEach(async function () {
    const h = harness();
    await h.stopAll(h.childrenSince(mark));
    // a killed sidecar cannot deregister: remove what it left so the next test starts clean
    await h.consulDeregister(a.instance, `${a.instance}-sidecar-proxy`, b.instance, `${b.instance}-sidecar-proxy`);
    await h.waitForPool(edge, 'consul:users', []);
  });

  async function getMany(n: number): Promise<Record<string, number>> {
    const h = harness();
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await h.http.get(`${edge.url}${route}?i=${i}`);
      assert.equal(res.status, 200, `request ${i} of ${n}: HTTP ${res.status} ${res.text}`);
      const who = String(res.headers['x-instance']);
      counts[who] = (counts[who] ?? 0) + 1;
    }
    return counts;
  }

  it('a failing health check takes the instance out within 2 s of Consul marking it critical; passing brings it back', async function () {
    const h = harness();
    assert.deepEqual(Object.keys(await getMany(10)).sort(), [a.instance, b.instance].sort(), 'both serve at first');
    await a.setHealth('fail');
    // Consul's HTTP check runs every 1 s
    await waitFor(async () => !(await h.healthPassing('users')).some((e) => e.Service.ID === a.instance),
      { timeoutMs: 10_000, intervalMs: 50, what: `${a.instance} to leave /v1/health/service/users?passing` });
    const criticalAt = Date.now();
    // the edge follows Consul by blocking queries: the instance must be out of its pool within 2 s
    await waitFor(async () => {
      const pool = (await edge.status()).pools.find((p) => p.name === 'consul:users');
      return pool !== undefined && !pool.endpoints.some((e) => e.instance === a.instance);
    }, { timeoutMs: Math.max(0, criticalAt + 2000 - Date.now()), intervalMs: 25, what: `the edge to drop ${a.instance}` });
    const lagMs = Date.now() - criticalAt;
    const servedBefore = await a.served();
    const counts = await getMany(30);
    assert.deepEqual(counts, { [b.instance]: 30 }, `all 30 go to ${b.instance} (edge dropped ${a.instance} ${lagMs} ms after Consul)`);
    assert.equal(await a.served(), servedBefore, `${a.instance} served nothing while failing`);

    await a.setHealth('pass');
    await waitFor(async () => (await h.connectPassing('users')).some((e) => e.Service.Proxy?.DestinationServiceID === a.instance),
      { timeoutMs: 10_000, intervalMs: 50, what: `${a.instance} back in /v1/health/connect/users?passing` });
    const seen = await waitFor(async () => {
      const c = await getMany(4);
      return c[a.instance] ? c : undefined;
    }, { timeoutMs: 5000, intervalMs: 50, what: `${a.instance} to serve again` });
    assert.ok(seen[a.instance]! >= 1);
    assert.ok((await a.served()) > servedBefore, `${a.instance} serves again`);
  });

  async function assertOutOfRotation(instance: string): Promise<void> {
    const pool = (await edge.status()).pools.find((p) => p.name === 'consul:users');
    assert.ok(pool, 'pool consul:users in /status');
    const ep = pool.endpoints.find((e) => e.instance === instance);
    assert.ok(ep === undefined || ep.available === false || ep.ejections >= 1,
      `${instance} should be ejected or gone from the pool: ${JSON.stringify(pool.endpoints)}`);
  }

  it('an instance SIGKILLed without deregistering: 50 GETs see no errors, and it is ejected or dropped', async function () {
    assert.deepEqual(Object.keys(await getMany(10)).sort(), [a.instance, b.instance].sort());
    const exit = await a.child.kill();
    assert.equal(exit.signal, 'SIGKILL');
    const counts = await getMany(50);
    assert.equal(counts[a.instance], undefined, `nothing answered from the dead instance: ${JSON.stringify(counts)}`);
    assert.equal(counts[b.instance], 50);
    await assertOutOfRotation(a.instance);
  });

  it('a sidecar SIGKILLed without deregistering: 50 GETs see no errors, and it is ejected or dropped', async function () {
    assert.deepEqual(Object.keys(await getMany(10)).sort(), [a.instance, b.instance].sort());
    const servedBefore = await a.served();
    const exit = await sidecarA.child.kill();
    assert.equal(exit.signal, 'SIGKILL');
    const counts = await getMany(50);
    assert.equal(counts[b.instance], 50, JSON.stringify(counts));
    assert.equal(await a.served(), servedBefore, 'nothing reached the instance behind the dead sidecar');
    await assertOutOfRotation(a.instance);
    // sidecarB is unaffected
    assert.ok(sidecarB.child.alive());
  });

  it('counts ejections in /metrics after a sidecar dies', async function () {
    const exit = await sidecarA.child.kill();
    assert.equal(exit.signal, 'SIGKILL');
    await getMany(20);
    const text = await edge.metrics();
    const ejected = text.split('\n').filter((l) => l.startsWith('meshgate_endpoint_ejections_total{') && l.includes(`/${a.instance}"`));
    const pool = (await edge.status()).pools.find((p) => p.name === 'consul:users')!;
    const gone = !pool.endpoints.some((e) => e.instance === a.instance);
    // either passive health ejected it (and counted it), or Consul's TCP check removed it first
    assert.ok(ejected.some((l) => Number(l.split(' ').pop()) >= 1) || gone, `metrics: ${ejected.join('\n') || '(no ejection series)'}`);
  });
});
