// A sidecar registers its service and itself (a connect-proxy) with a real Consul dev agent.
import assert from 'node:assert/strict';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

describe('registration: a sidecar registers its service and itself with Consul', function () {
  const harness = useHarness('registration');
  let svc: ServiceHandle;
  let sidecar: AgentHandle;

  before(async function () {
    const h = harness();
    svc = await h.startService('users', 'users-1');
    sidecar = await h.startSidecar({ service: svc });
  });

  it('lists users-1 and users-1-sidecar-proxy in /v1/catalog/service', async function () {
    const h = harness();
    const users = await h.catalogService('users');
    assert.deepEqual(users.map((e) => e.ServiceID), ['users-1']);
    assert.equal(users[0]!.ServicePort, svc.port);
    assert.equal(users[0]!.ServiceAddress, '127.0.0.1');
    const proxies = await h.catalogService('users-sidecar-proxy');
    assert.deepEqual(proxies.map((e) => e.ServiceID), ['users-1-sidecar-proxy']);
    assert.equal(proxies[0]!.ServiceKind, 'connect-proxy');
    assert.equal(proxies[0]!.ServicePort, sidecar.port);
  });

  it('shows users-1 in /v1/health/service/users?passing once its HTTP check passes', async function () {
    const h = harness();
    const entries = await waitFor(async () => {
      const e = await h.healthPassing('users');
      return e.length === 1 ? e : undefined;
    }, { timeoutMs: 10_000, what: 'users-1 passing' });
    assert.equal(entries[0]!.Service.ID, 'users-1');
    assert.equal(entries[0]!.Service.Port, svc.port);
    assert.ok(entries[0]!.Checks.some((c) => c.ServiceID === 'users-1' && c.Status === 'passing'), 'the service check passes');
  });

  it('shows the sidecar in /v1/health/connect/users?passing as a connect-proxy on the mesh port', async function () {
    const h = harness();
    const entries = await waitFor(async () => {
      const e = await h.connectPassing('users');
      return e.length === 1 ? e : undefined;
    }, { timeoutMs: 10_000, what: 'users-1-sidecar-proxy passing' });
    const s = entries[0]!.Service;
    assert.equal(s.ID, 'users-1-sidecar-proxy');
    assert.equal(s.Kind, 'connect-proxy');
    assert.equal(s.Proxy?.DestinationServiceName, 'users');
    assert.equal(s.Proxy?.DestinationServiceID, 'users-1');
    assert.equal(s.Proxy?.LocalServicePort, svc.port);
    assert.equal(s.Port, sidecar.port);
    assert.equal(s.Address, '127.0.0.1');
  });

  it('answers /health and /ready on its admin listener', async function () {
    const h = harness();
    const base = `http://127.0.0.1:${sidecar.adminPort}`;
    assert.equal((await h.http.get(`${base}/health`)).status, 200);
    const ready = await h.http.get(`${base}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json(), { ready: true });
  });
});
