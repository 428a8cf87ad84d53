// A plain Kong decK file as the whole config: an edge without Consul, routing to a static
// upstream, Kong's 404, retries on connect failure and passive-health ejection.
import assert from 'node:assert/strict';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

describe('decK static upstream: a plain Kong file runs as an edge', function () {
  const harness = useHarness('deck-static', { consul: false });
  let web1: ServiceHandle;
  let web2: ServiceHandle;
  let deck: AgentHandle;

  before(async function () {
    const h = harness();
    [web1, web2] = await Promise.all([h.startService('web', 'web-1'), h.startService('web', 'web-2')]);
    deck = await h.startDeck('deck-static', {
      _format_version: '3.0',
      services: [
        { name: 'web', url: 'http://web-upstream', routes: [{ name: 'web', paths: ['/web'], strip_path: true }] },
      ],
      upstreams: [{ name: 'web-upstream', targets: [{ target: `127.0.0.1:${web1.port}` }, { target: `127.0.0.1:${web2.port}` }] }],
    });
  });

  it('routes to both static targets round-robin', async function () {
    const h = harness();
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const res = await h.http.get(`${deck.url}/web/hello?i=${i}`);
      assert.equal(res.status, 200, res.text);
      const echo = res.json<{ instance: string; path: string; headers: Record<string, string> }>();
      assert.equal(echo.path, `/hello?i=${i}`, 'strip_path: true removes the route prefix');
      assert.equal(echo.headers.host, 'web-upstream', 'the Host header is the upstream name (preserve_host false)');
      counts[echo.instance] = (counts[echo.instance] ?? 0) + 1;
    }
    assert.deepEqual(counts, { 'web-1': 20, 'web-2': 20 }, 'equal weights alternate exactly');
    const status = await deck.status();
    assert.deepEqual(status.routes.map((r) => r.name), ['web']);
    const pool = status.pools.find((p) => p.name === 'upstream:web-upstream');
    assert.ok(pool, JSON.stringify(status.pools));
    assert.equal(pool.source, 'static');
    assert.deepEqual(pool.endpoints.map((e) => e.key).sort(), [`127.0.0.1:${web1.port}`, `127.0.0.1:${web2.port}`].sort());
  });

  it('answers an unknown path with 404 and Kong\'s JSON message', async function () {
    const h = harness();
    for (const p of ['/', '/nothing/here', '/webx']) {
      const res = await h.http.get(`${deck.url}${p}`);
      assert.equal(res.status, 404, `${p}: ${res.text}`);
      assert.match(String(res.headers['content-type']), /application\/json/);
      const body = res.json<{ message: string; request_id?: string }>();
      assert.equal(body.message, 'no Route matched with those values');
    }
    // it is counted in the access log too
    await waitFor(() => deck.accessLog().some((l) => l.status === 404 && l.path === '/webx'), { timeoutMs: 3000, intervalMs: 20, what: 'a 404 access-log line' });
  });

  it('keeps answering 200 when one target stops, and ejects it', async function () {
    const h = harness();
    await web2.child.stop();
    assert.ok(!web2.child.alive());
    for (let i = 0; i < 30; i++) {
      const res = await h.http.get(`${deck.url}/web/after-stop?i=${i}`);
      assert.equal(res.status, 200, `request ${i}: ${res.text}`);
      assert.equal(res.headers['x-instance'], 'web-1');
    }
    const pool = (await deck.status()).pools.find((p) => p.name === 'upstream:web-upstream')!;
    const dead = pool.endpoints.find((e) => e.key === `127.0.0.1:${web2.port}`);
    assert.ok(dead, 'a static target stays in the pool');
    assert.equal(dead.available, false, `the stopped target is skipped: ${JSON.stringify(dead)}`);
    assert.ok(dead.ejections >= 1, `ejections: ${dead.ejections}`);
    const live = pool.endpoints.find((e) => e.key === `127.0.0.1:${web1.port}`)!;
    assert.equal(live.available, true);
    assert.equal(live.ejections, 0);
    const metrics = await deck.metrics();
    const line = metrics.split('\n').find((l) => l.startsWith('meshgate_endpoint_ejections_total{') && l.includes(`127.0.0.1:${web2.port}`));
    assert.ok(line && Number(line.split(' ').pop()) >= 1, `ejection metric: ${line}`);
    const retries = metrics.split('\n').find((l) => l.startsWith('meshgate_upstream_retries_total{'));
    assert.ok(retries && Number(retries.split(' ').pop()) >= 1, `retry metric: ${retries}`);
  });

  it('tries an ejected target again once its 10 s ejection is over', async function () {
    this.timeout(40_000);
    const h = harness();
    const key = `127.0.0.1:${web2.port}`;
    const ep = async () => (await deck.status()).pools.find((p) => p.name === 'upstream:web-upstream')!.endpoints.find((e) => e.key === key)!;
    const ejected = await ep();
    assert.equal(ejected.available, false, 'still ejected from the previous test');
    web2 = await h.startService('web', 'web-2', web2.port);
    // while ejected it gets nothing, although it is back
    for (let i = 0; i < 6; i++) assert.equal((await h.http.get(`${deck.url}/web/ejected?i=${i}`)).headers['x-instance'], 'web-1');
    assert.equal(await web2.served(), 0);
    const startedWaiting = Date.now();
    await waitFor(async () => (await h.http.get(`${deck.url}/web/back`)).headers['x-instance'] === 'web-2',
      { timeoutMs: 15_000, intervalMs: 200, what: 'web-2 to be used again' });
    assert.ok(Date.now() - startedWaiting < 12_000);
    assert.equal((await ep()).available, true);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const who = String((await h.http.get(`${deck.url}/web/again?i=${i}`)).headers['x-instance']);
      counts[who] = (counts[who] ?? 0) + 1;
    }
    assert.deepEqual(counts, { 'web-1': 10, 'web-2': 10 });
  });
});
