// Requests through a real edge reach real instances through their real sidecars; round-robin
// and least-connections spread them as documented.
import assert from 'node:assert/strict';
import { consulServiceKong, sleep, useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import type { Echo } from '../support/http.js';

describe('routing: edge → sidecar → instance, and load balancing', function () {
  const harness = useHarness('routing');
  let users1: ServiceHandle;
  let users2: ServiceHandle;
  let sidecar1: AgentHandle;
  let sidecar2: AgentHandle;
  let edge: AgentHandle;

  before(async function () {
    const h = harness();
    [users1, users2] = await Promise.all([h.startService('users', 'users-1'), h.startService('users', 'users-2')]);
    [sidecar1, sidecar2] = await Promise.all([h.startSidecar({ service: users1 }), h.startSidecar({ service: users2 })]);
    edge = await h.startEdge({ kong: consulServiceKong('users', '/api/v1/users') });
    await h.waitForPool(edge, 'consul:users', ['users-1', 'users-2']);
  });

  it('reaches an instance through its sidecar, with X-Forwarded-For, and logs one access line', async function () {
    const h = harness();
    const before = { 'users-1': await users1.served(), 'users-2': await users2.served() };
    const res = await h.http.get(`${edge.url}/api/v1/users/42?x=1`);
    assert.equal(res.status, 200, res.text);
    const echo = res.json<Echo>();
    assert.ok(echo.instance === 'users-1' || echo.instance === 'users-2', `instance ${echo.instance}`);
    assert.equal(res.headers['x-instance'], echo.instance);
    assert.equal(echo.service, 'users');
    assert.equal(echo.path, '/api/v1/users/42?x=1', 'strip_path: false keeps the path and the query');
    assert.equal(echo.method, 'GET');
    // the instance saw it (and only it)
    const target = echo.instance === 'users-1' ? users1 : users2;
    const other = echo.instance === 'users-1' ? users2 : users1;
    assert.equal(await target.served(), before[echo.instance as 'users-1'] + 1);
    assert.equal(await other.served(), before[other.instance as 'users-1']);
    // forwarding headers added on the way
    const xff = echo.headers['x-forwarded-for'];
    assert.ok(xff, 'x-forwarded-for is present');
    assert.match(xff, /^127\.0\.0\.1(, 127\.0\.0\.1)*$/);
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.ok(!('x-meshgate-destination' in echo.headers), 'the mesh destination header does not reach the service');
    const requestId = echo.headers['x-request-id'];
    assert.ok(requestId, 'x-request-id reaches the service');
    // exactly one access-log line for it on the edge (pino writes asynchronously: wait for it)
    const lines = await waitFor(() => {
      const l = edge.accessLog().filter((x) => x.request_id === requestId);
      return l.length ? l : undefined;
    }, { timeoutMs: 3000, intervalMs: 20, what: 'the edge access-log line' });
    await sleep(200);
    assert.equal(edge.accessLog().filter((x) => x.request_id === requestId).length, 1, JSON.stringify(lines));
    const line = lines[0]!;
    assert.equal(line.status, 200);
    assert.equal(line.route, 'users');
    assert.equal(line.service, 'users');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/api/v1/users/42?x=1');
    const sidecar = echo.instance === 'users-1' ? sidecar1 : sidecar2;
    assert.equal(line.endpoint, `127.0.0.1:${sidecar.port}/${echo.instance}`, 'the edge went to that instance\'s sidecar');
    // and the sidecar logged it once too, under the same request id
    await waitFor(() => sidecar.accessLog().some((x) => x.request_id === requestId), { timeoutMs: 3000, intervalMs: 20, what: 'the sidecar access-log line' });
    assert.equal(sidecar.accessLog().filter((x) => x.request_id === requestId).length, 1);
  });

  it('answers 404 with Kong\'s message for a path no route matches', async function () {
    const h = harness();
    const res = await h.http.get(`${edge.url}/api/v2/nothing`);
    assert.equal(res.status, 404);
    assert.equal(res.json<{ message: string }>().message, 'no Route matched with those values');
  });

  it('round-robin spreads 100 sequential requests over 2 instances within ±10 %', async function () {
    const h = harness();
    const counts: Record<string, number> = {};
    const served0 = [await users1.served(), await users2.served()];
    for (let i = 0; i < 100; i++) {
      const res = await h.http.get(`${edge.url}/api/v1/users?i=${i}`);
      assert.equal(res.status, 200, `request ${i}: ${res.text}`);
      const who = String(res.headers['x-instance']);
      counts[who] = (counts[who] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(counts).sort(), ['users-1', 'users-2'], JSON.stringify(counts));
    for (const [who, n] of Object.entries(counts)) assert.ok(n >= 40 && n <= 60, `${who} got ${n} of 100: ${JSON.stringify(counts)}`);
    // the instances agree with what the responses said
    assert.equal((await users1.served()) - served0[0]!, counts['users-1']);
    assert.equal((await users2.served()) - served0[1]!, counts['users-2']);
  });

  describe('least-connections (plain decK file, static upstream)', function () {
    let a: ServiceHandle;
    let b: ServiceHandle;
    let deck: AgentHandle;

    before(async function () {
      const h = harness();
      [a, b] = await Promise.all([h.startService('lc', 'lc-a'), h.startService('lc', 'lc-b')]);
      deck = await h.startDeck('deck-lc', {
        _format_version: '3.0',
        services: [{ name: 'lc', url: 'http://lc', routes: [{ name: 'lc', paths: ['/lc'] }] }],
        upstreams: [{ name: 'lc', algorithm: 'least-connections', targets: [{ target: `127.0.0.1:${a.port}` }, { target: `127.0.0.1:${b.port}` }] }],
      });
    });

    async function inflightBy(): Promise<Map<string, number>> {
      const pool = (await deck.status()).pools.find((p) => p.name === 'upstream:lc');
      assert.ok(pool, 'pool upstream:lc in /status');
      return new Map(pool.endpoints.map((e) => [e.key, e.inflight]));
    }

    it('sends new requests to the idle target while a slow one is in flight', async function () {
      const h = harness();
      const [a0, b0] = [await a.served(), await b.served()];
      const slow = h.http.get(`${deck.url}/lc/slow?delay_ms=1500`);
      // which target holds it? the sample services count requests on arrival
      const busy = await waitFor(async () => {
        const [da, db] = [(await a.served()) - a0, (await b.served()) - b0];
        return da + db === 1 ? (da === 1 ? a : b) : undefined;
      }, { timeoutMs: 1000, intervalMs: 10, what: 'the slow request to arrive' });
      const idle = busy === a ? b : a;
      const started = Date.now();
      for (let i = 0; i < 10; i++) {
        const res = await h.http.get(`${deck.url}/lc/fast?i=${i}`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['x-instance'], idle.instance, `fast request ${i} went to the busy target`);
      }
      assert.ok(Date.now() - started < 1300, 'the fast requests ran while the slow one was in flight');
      const s = await slow;
      assert.equal(s.status, 200);
      assert.equal(s.headers['x-instance'], busy.instance);
    });

    it('with several slow requests in flight, fast ones go to the target with fewer of them', async function () {
      const h = harness();
      const slow = Array.from({ length: 3 }, (_, i) => h.http.get(`${deck.url}/lc/slow?delay_ms=1500&n=${i}`));
      // 3 in flight over 2 targets: one has 2, the other 1 (never 3/0 with least-connections)
      const inflight = await waitFor(async () => {
        const m = await inflightBy();
        const total = [...m.values()].reduce((x, y) => x + y, 0);
        return total === 3 ? m : undefined;
      }, { timeoutMs: 1000, intervalMs: 10, what: '3 slow requests in flight' });
      assert.deepEqual([...inflight.values()].sort(), [1, 2], `in flight per target: ${JSON.stringify([...inflight])}`);
      const lessBusyKey = [...inflight].find(([, n]) => n === 1)![0];
      const lessBusy = lessBusyKey === `127.0.0.1:${a.port}` ? a : b;
      for (let i = 0; i < 10; i++) {
        const res = await h.http.get(`${deck.url}/lc/fast?i=${i}`);
        assert.equal(res.status, 200);
        assert.equal(res.headers['x-instance'], lessBusy.instance, `fast request ${i}`);
      }
      for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
      // once idle again, both targets share the load
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) seen.add(String((await h.http.get(`${deck.url}/lc/after?i=${i}`)).headers['x-instance']));
      assert.deepEqual([...seen].sort(), ['lc-a', 'lc-b']);
    });
  });
});
