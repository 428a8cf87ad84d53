// SIGTERM on a sidecar: the in-flight request finishes, the instance leaves Consul's passing
// list before the process exits, the process exits 0, and traffic moves to the other instance.
import assert from 'node:assert/strict';
import { consulServiceKong, useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import net from 'node:net';
import type { HttpResult } from '../support/http.js';
import { rawExchange, type RawReply } from '../support/raw-client.js';

describe('drain: SIGTERM with a request in flight', function () {
  const harness = useHarness('drain');
  const route = '/api/v1/users';
  let users1: ServiceHandle;
  let users2: ServiceHandle;
  let sidecar1: AgentHandle;
  let sidecar2: AgentHandle;
  let edge: AgentHandle;

  before(async function () {
    const h = harness();
    [users1, users2] = await Promise.all([h.startService('users', 'users-1'), h.startService('users', 'users-2')]);
    [sidecar1, sidecar2] = await Promise.all([h.startSidecar({ service: users1 }), h.startSidecar({ service: users2 })]);
    edge = await h.startEdge({ kong: consulServiceKong('users', route) });
    await h.waitForPool(edge, 'consul:users', ['users-1', 'users-2']);
  });

  it('finishes the in-flight request, leaves Consul before exiting, exits 0, and traffic moves on', async function () {
    this.timeout(60_000);
    const h = harness();
    const served0 = [await users1.served(), await users2.served()];
    const slowStarted = Date.now();
    const slow: Promise<HttpResult> = h.http.get(`${edge.url}${route}/slow?delay_ms=2000`);
    // which instance holds it? (the sample services count requests on arrival)
    const busy = await waitFor(async () => {
      const d1 = (await users1.served()) - served0[0]!;
      const d2 = (await users2.served()) - served0[1]!;
      return d1 + d2 === 1 ? (d1 === 1 ? 'users-1' : 'users-2') : undefined;
    }, { timeoutMs: 1500, intervalMs: 10, what: 'the slow request to reach an instance' });
    const [draining, other, otherSvc] = busy === 'users-1' ? [sidecar1, sidecar2, users2] : [sidecar2, sidecar1, users1];
    assert.ok(draining.child.alive() && other.child.alive());

    // watch Consul's connect list every 50 ms from the moment of the signal
    let goneAt = 0;
    let polls = 0;
    const watching = (async () => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && polls < 1000) {
        polls++;
        try {
          const entries = await h.connectPassing('users');
          if (!entries.some((e) => e.Service.Proxy?.DestinationServiceID === busy)) { goneAt = Date.now(); return; }
        } catch { /* keep polling */ }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const signalledAt = Date.now();
    draining.child.signal('SIGTERM');

    const res = await slow;
    assert.equal(res.status, 200, `the in-flight request completes: ${res.text}`);
    assert.equal(res.headers['x-instance'], busy);
    assert.ok(res.at - slowStarted >= 1900, 'it really waited for the slow answer');

    const exit = await Promise.race([draining.child.exited, new Promise<undefined>((r) => setTimeout(r, 15_000))]);
    assert.ok(exit, 'the sidecar exits within drain_timeout (10 s) + a margin');
    await watching;
    assert.equal(exit.code, 0, `exit code ${exit.code} (signal ${exit.signal})`);
    assert.ok(goneAt > 0, `${busy} left /v1/health/connect/users?passing (polled ${polls} times)`);
    assert.ok(goneAt < exit.at, `left Consul's passing list (${goneAt - signalledAt} ms after SIGTERM) before the process exited (${exit.at - signalledAt} ms after SIGTERM)`);
    assert.ok(exit.at >= res.at - 50, 'the process did not exit before the in-flight answer was sent');

    // it deregistered on the way out
    const left = await h.catalogService('users');
    assert.deepEqual(left.map((e) => e.ServiceID), [otherSvc.instance]);
    assert.deepEqual((await h.catalogService('users-sidecar-proxy')).map((e) => e.ServiceID), [`${otherSvc.instance}-sidecar-proxy`]);
    const log = draining.child.output.json();
    assert.ok(log.some((l) => l.msg === 'draining'), 'it logged the drain');

    // later requests go to the other instance without errors
    for (let i = 0; i < 20; i++) {
      const r = await h.http.get(`${edge.url}${route}?after=${i}`);
      assert.equal(r.status, 200, `request ${i} after the drain: ${r.text}`);
      assert.equal(r.headers['x-instance'], otherSvc.instance);
    }
  });

  it('SIGTERM on the edge: the in-flight answer carries Connection: close, idle connections close at once, new connections are refused, exit 0', async function () {
    const h = harness();
    const served0 = await users2.served() + await users1.served();
    const port = Number(new URL(edge.url).port);
    // a keep-alive connection that has been answered and now waits: closed as the drain begins
    const idle = net.connect(port, '127.0.0.1');
    let idleText = '';
    let idleClosedAt = 0;
    idle.on('data', (c: Buffer) => { idleText += c.toString('latin1'); });
    idle.on('close', () => { idleClosedAt = Date.now(); });
    idle.on('error', () => {});
    idle.write(`GET ${route}?idle=1 HTTP/1.1\r\nHost: a\r\n\r\n`);
    await waitFor(() => /\r\n\r\n/.test(idleText), { timeoutMs: 3000, intervalMs: 10, what: 'the idle connection\'s first answer' });
    const slow: Promise<RawReply> = rawExchange(port, `GET ${route}/slow?delay_ms=1500 HTTP/1.1\r\nHost: a\r\n\r\n`, 10_000);
    await waitFor(async () => (await users2.served()) + (await users1.served()) === served0 + 2,
      { timeoutMs: 1500, intervalMs: 10, what: 'the slow request to reach an instance' });
    edge.child.signal('SIGTERM');
    // once the edge drains, it takes no new connection
    await waitFor(async () => {
      try { await h.http.get(`${edge.url}${route}?late=1`, { timeoutMs: 1000 }); return false; } catch (err) {
        return /ECONNREFUSED/.test(String((err as { code?: string }).code ?? err)) ? true : false;
      }
    }, { timeoutMs: 1400, intervalMs: 50, what: 'the edge to refuse new connections while draining' });
    const res = await slow;
    const resAt = Date.now();
    assert.equal(res.status, 200, `the in-flight request completes: ${res.text}`);
    assert.equal(res.headers.connection, 'close', `an answer during the drain closes its connection: ${res.text}`);
    assert.ok(idleClosedAt > 0, 'the idle connection was closed');
    assert.ok(idleClosedAt < resAt, 'the idle connection was closed before the in-flight answer was done');
    const exit = await Promise.race([edge.child.exited, new Promise<undefined>((r) => setTimeout(r, 15_000))]);
    assert.ok(exit, 'the edge exits');
    assert.equal(exit.code, 0, `exit code ${exit.code} (signal ${exit.signal})`);
    assert.ok(exit.at >= resAt - 200, 'it did not exit before the in-flight answer was sent');
  });
});
