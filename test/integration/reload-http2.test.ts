// A hot reload applies edge.http2.enabled and edge.http2.h2c to new connections while open HTTP/2
// sessions live on: a real edge process with a TLS listener, real node:http2 and TLS clients, SIGHUP.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import path from 'node:path';
import tls from 'node:tls';
import { makeRoot, signLeaf } from '../support/pki.js';
import { useHarness } from '../support/harness.js';
import { reloadAgent } from '../support/reload.js';

/** one GET on an open HTTP/2 session: its status */
function h2Get(session: http2.ClientHttp2Session, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': urlPath });
    req.on('response', (headers) => { req.resume(); req.on('end', () => resolve(Number(headers[':status']))); });
    req.on('error', reject);
    req.end();
  });
}

/** the protocol a fresh TLS handshake that offers h2 and http/1.1 ends with */
function alpnOf(port: number, ca: string): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'a.test', ca, ALPNProtocols: ['h2', 'http/1.1'] }, () => { resolve(s.alpnProtocol ?? false); s.destroy(); });
    s.on('error', reject);
  });
}

/** a GET over prior-knowledge h2c on a fresh connection: its status, or the error's text */
async function h2cGet(url: string, urlPath: string): Promise<number | string> {
  const session = http2.connect(url);
  const failed = new Promise<string>((resolve) => session.once('error', (err) => resolve(err.message)));
  try {
    return await Promise.race([h2Get(session, urlPath), failed]);
  } catch (err) {
    return (err as Error).message;
  } finally {
    session.destroy();
  }
}

describe('hot reload of edge.http2.enabled and edge.http2.h2c', function () {
  this.timeout(60_000);
  const harness = useHarness('reload-http2', { consul: false });

  it('new connections get the reloaded ALPN and h2c choice; an open HTTP/2 session keeps serving', async () => {
    const h = harness();
    const dir = path.join(h.tmp, 'pki');
    const ca = makeRoot(dir, 'reload-h2-ca');
    const leaf = signLeaf(dir, ca, 'a', { uris: [], dns: ['a.test'] });
    const web = await h.startService('web', 'web-1');
    const [port, tlsPort, adminPort] = [await h.port(), await h.port(), await h.port()];
    const file = h.writeYaml('reload-h2.yaml', {
      consul: { address: 'http://127.0.0.1:9' }, mesh: { tls: 'disabled' },
      agent: { node: 'reload-h2', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${port}`, listen_tls: `127.0.0.1:${tlsPort}`, via_sidecars: false,
        tls: { certificates: [{ cert_file: leaf.certFile, key_file: leaf.keyFile, snis: ['a.test'] }] },
        kong: { _format_version: '3.0', services: [{ name: 'web', url: `http://127.0.0.1:${web.port}`, routes: [{ name: 'web', paths: ['/web'] }] }] },
      },
    });
    const edge = await h.startAgent('reload-h2', file, { adminPort, port });

    assert.equal(await alpnOf(tlsPort, ca.cert), 'h2', 'HTTP/2 on by default over TLS');
    assert.notEqual(await h2cGet(edge.url, '/web/a'), 200, 'no h2c on the plain listener by default');
    const open = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: ca.cert, servername: 'a.test' });
    open.on('error', () => {});
    try {
      assert.equal(await h2Get(open, '/web/before'), 200);

      await reloadAgent(edge, (doc) => { doc.edge.http2 = { enabled: false, h2c: true }; });
      assert.equal(await alpnOf(tlsPort, ca.cert), 'http/1.1', 'a new TLS connection is not offered h2');
      assert.equal(await h2cGet(edge.url, '/web/b'), 200, 'prior-knowledge h2c on the plain listener');
      assert.equal(await h2Get(open, '/web/after'), 200, 'the session opened before the reload still serves');

      await reloadAgent(edge, (doc) => { delete doc.edge.http2; });
      assert.equal(await alpnOf(tlsPort, ca.cert), 'h2');
      assert.notEqual(await h2cGet(edge.url, '/web/c'), 200);
  
    } finally {
      open.destroy();
    }
  });
});
