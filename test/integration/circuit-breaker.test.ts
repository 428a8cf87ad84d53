// The circuit-breaker plugin end to end: real edge process, a real upstream that fails on demand.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useHarness, sleep, type AgentHandle } from '../support/harness.js';

describe('circuit-breaker plugin', function () {
  this.timeout(60_000);
  const harness = useHarness('circuit-breaker', { consul: false });
  let upstream: http.Server;
  let failing = true;
  let hits = 0;
  let edge: AgentHandle;

  before(async () => {
    upstream = http.createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: !failing }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    edge = await harness().startDeck('cb-edge', {
      _format_version: '3.0',
      services: [{
        name: 'flaky', url: `http://127.0.0.1:${port}`, retries: 0,
        routes: [{ name: 'flaky', paths: ['/flaky'] }],
        plugins: [{ name: 'circuit-breaker', config: { threshold: 3, window_size: 30, timeout: 2, half_open_requests: 1, success_threshold: 2 } }],
      }],
      upstreams: [],
    });
  });

  after(() => new Promise<void>((r) => upstream.close(() => r())));

  it('opens after threshold failures, answers 503 without upstream traffic, half-opens after the timeout and closes after good probes', async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) assert.equal((await h.http.get(`${edge.url}/flaky`)).status, 500);
    const before = hits;
    const open = await h.http.get(`${edge.url}/flaky`);
    assert.equal(open.status, 503);
    assert.ok(open.json<{ message: string }>().message.length > 0);
    assert.ok(Number(open.headers['retry-after']) >= 1);
    for (let i = 0; i < 5; i++) assert.equal((await h.http.get(`${edge.url}/flaky`)).status, 503);
    assert.equal(hits, before, 'the open circuit let traffic through');
    assert.equal(((await edge.status()) as unknown as { circuit_breakers: Record<string, string> }).circuit_breakers.flaky, 'open');
    assert.match(await edge.metrics(), /meshgate_circuit_breaker_state\{service="flaky"\} 2/);

    failing = false;
    await sleep(2200);
    assert.equal((await h.http.get(`${edge.url}/flaky`)).status, 200, 'first probe');
    assert.equal(((await edge.status()) as unknown as { circuit_breakers: Record<string, string> }).circuit_breakers.flaky, 'half-open');
    assert.equal((await h.http.get(`${edge.url}/flaky`)).status, 200, 'second probe');
    assert.equal(((await edge.status()) as unknown as { circuit_breakers: Record<string, string> }).circuit_breakers.flaky, 'closed');
  });
});
