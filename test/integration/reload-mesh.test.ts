// A hot reload applies mesh.default_intention_policy, mesh.min_tls_version and mesh.authorize: real Consul (its
// Connect CA, no intentions, ACLs off so Consul's own default is allow), a real sidecar and edge,
// real TLS handshakes, real signals.
import assert from 'node:assert/strict';
import { consulServiceKong, useHarness, waitFor } from '../support/harness.js';
import { allRootPems, caRoots, leafFor, probeMesh } from '../support/mesh.js';
import { reloadAgent } from '../support/reload.js';

describe('hot reload of mesh settings', function () {
  this.timeout(90_000);
  const harness = useHarness('reload-mesh');

  it('default_intention_policy decides the next requests; min_tls_version the next handshakes', async () => {
    const h = harness();
    const web = await h.startService('web', 'web-1');
    const sidecar = await h.startSidecar({ service: web });
    const edge = await h.startEdge({ kong: consulServiceKong('web', '/web') });
    await h.waitForPool(edge, 'consul:web', ['web-1']);
    assert.equal((await h.echo(`${edge.url}/web`)).res.status, 200, 'allowed by Consul\'s default (ACLs off)');

    await reloadAgent(sidecar, (doc) => { doc.mesh = { default_intention_policy: 'deny' }; });
    const denied = await waitFor(async () => { const r = await h.http.get(`${edge.url}/web`); return r.status === 403 ? r : undefined; },
      { timeoutMs: 10_000, what: 'the reloaded deny default to refuse the edge' });
    assert.match(denied.text, /MG_INTENTION_DENIED/);

    // a client certificate Consul issued (the edge's identity), offered over TLS 1.2 only
    const leaf = await leafFor(h, 'edge');
    const ca = allRootPems(await caRoots(h));
    const tls12 = () => probeMesh(sidecar.port, { ca, cert: leaf.CertPEM, key: leaf.PrivateKeyPEM, destination: 'web-1', servername: 'web', maxVersion: 'TLSv1.2' });
    const before = await tls12();
    assert.equal(before.answer, '', 'a TLS 1.2 client answered under the 1.3 default');

    await reloadAgent(sidecar, (doc) => { doc.mesh = { default_intention_policy: 'allow', min_tls_version: '1.2' }; });
    await waitFor(async () => (await h.http.get(`${edge.url}/web`)).status === 200, { timeoutMs: 10_000, what: 'the reloaded allow default' });
    const after = await tls12();
    assert.match(after.answer, /^HTTP\/1\.1 /, `TLS 1.2 after the reload: ${after.error ?? after.answer.slice(0, 80)}`);
  });

  it('authorize: turned off, the next requests are not checked against intentions; turned on again, they are', async () => {
    const h = harness();
    const api = await h.startService('api', 'api-1');
    const sidecar = await h.startSidecar({ service: api });
    const edge = await h.startEdge({ kong: consulServiceKong('api', '/api'), name: 'edge-authorize' });
    await h.waitForPool(edge, 'consul:api', ['api-1']);
    await reloadAgent(sidecar, (doc) => { doc.mesh = { default_intention_policy: 'deny' }; });
    await waitFor(async () => (await h.http.get(`${edge.url}/api`)).status === 403, { timeoutMs: 10_000, what: 'the deny default to refuse the edge' });

    await reloadAgent(sidecar, (doc) => { doc.mesh = { default_intention_policy: 'deny', authorize: false }; });
    const { res, echo } = await h.echo(`${edge.url}/api`);
    assert.equal(res.status, 200, `not checked after the reload: HTTP ${res.status} ${res.text}`);
    assert.equal(echo?.instance, 'api-1');

    await reloadAgent(sidecar, (doc) => { doc.mesh = { default_intention_policy: 'deny' }; });
    await waitFor(async () => (await h.http.get(`${edge.url}/api`)).status === 403, { timeoutMs: 10_000, what: 'intentions checked again' });
  });
});
