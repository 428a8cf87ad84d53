// mesh.tls other than Consul's CA: certificates from files ({cert, key, ca}), and "disabled"
// (plain HTTP between agents). Real sidecars, a real Consul for registration and intentions.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { useHarness, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { makeRoot, signLeaf } from '../support/pki.js';
import { probeMesh } from '../support/mesh.js';

/** one plain HTTP/1.1 request on a raw socket; the bytes answered until the server closes (or 3 s) */
function plainRequest(port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /probe HTTP/1.1\r\nhost: users\r\nx-meshgate-destination: users-1\r\nconnection: close\r\n\r\n'));
    const t = setTimeout(() => { s.destroy(); resolve(got); }, 3000);
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(t); resolve(got); });
  });
}

describe('mesh.tls from files, and disabled', function () {
  this.timeout(60_000);
  const harness = useHarness('mesh-tls-modes');
  let users: ServiceHandle;

  async function sidecar(name: string, mesh: Record<string, unknown>): Promise<AgentHandle> {
    const h = harness();
    const [meshPort, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml(`${name}.yaml`, {
      consul: { address: h.consul.httpAddress },
      agent: { node: name, admin: `127.0.0.1:${adminPort}` },
      mesh,
      sidecar: { listen: `127.0.0.1:${meshPort}`, services: [{ name: 'users', id: 'users-1', port: users.port, check: { http: `${users.url}/health`, interval: '1s' } }] },
    });
    return h.startAgent(name, file, { adminPort, port: meshPort });
  }

  before(async function () { users = await harness().startService('users', 'users-1'); });

  it('mesh.tls {cert, key, ca}: the sidecar presents the certificate of its files and takes only clients the ca file signed', async () => {
    const h = harness();
    const dir = path.join(h.tmp, 'pki');
    const ca = makeRoot(dir, 'files-ca');
    const stranger = makeRoot(dir, 'stranger-ca');
    const td = 'files.example';
    const server = signLeaf(dir, ca, 'users-leaf', { uris: [`spiffe://${td}/ns/default/dc/dc1/svc/users`] });
    const client = signLeaf(dir, ca, 'edge-leaf', { uris: [`spiffe://${td}/ns/default/dc/dc1/svc/edge`] });
    const foreign = signLeaf(dir, stranger, 'foreign-leaf', { uris: [`spiffe://${td}/ns/default/dc/dc1/svc/edge`] });
    const agent = await sidecar('files-sidecar', { tls: { cert: server.certFile, key: server.keyFile, ca: ca.certFile } });
    const ok = await probeMesh(agent.port, { ca: [ca.cert], cert: client.cert, key: client.key, destination: 'users-1' });
    assert.match(ok.answer, /^HTTP\/1\.1 200/, ok.error ?? ok.answer.slice(0, 80));
    assert.equal(ok.peerSerial, new X509Certificate(server.cert).serialNumber, 'the certificate from mesh.tls.cert');
    const refused = await probeMesh(agent.port, { ca: [ca.cert], cert: foreign.cert, key: foreign.key, destination: 'users-1' });
    assert.equal(refused.answer, '', 'a client of another CA was answered');
    await agent.child.stop();
  });

  it('mesh.tls: disabled: the mesh listener speaks plain HTTP (with Consul\'s CA it answers no plain request)', async () => {
    const agent = await sidecar('plain-sidecar', { tls: 'disabled' });
    const answer = await plainRequest(agent.port);
    assert.match(answer, /^HTTP\/1\.1 200/, answer.slice(0, 80));
    await agent.child.stop();
  });
});
