// A hot reload applies edge.listen: the new address is bound, the old listener stops accepting and
// drains, and a request in flight on it is answered. With workers the sockets are the primary's:
// a changed address is named as needing a restart. Real agent processes, real sockets and signals.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { useHarness, waitFor, type Harness } from '../support/harness.js';
import { reloadAgent } from '../support/reload.js';

const refuses = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(false); });
  s.once('error', () => resolve(true));
});

describe('hot reload of edge.listen', function () {
  this.timeout(60_000);
  const harness = useHarness('reload-listen', { consul: false });
  let upstream: http.Server;
  let upstreamPort = 0;
  /** /hold is answered when release() is called */
  const held: http.ServerResponse[] = [];
  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/hold') held.push(res); else res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  after(() => { upstream.closeAllConnections(); upstream.close(); });

  async function edgeOn(h: Harness, name: string, port: number, args: readonly string[] = []) {
    const adminPort = await h.port();
    const file = h.writeYaml(`${name}.yaml`, {
      consul: { address: 'http://127.0.0.1:9' }, mesh: { tls: 'disabled' }, agent: { admin: `127.0.0.1:${adminPort}`, drain_timeout: '10s' },
      edge: { listen: `127.0.0.1:${port}`, kong: { _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${upstreamPort}`, routes: [{ name: 'r', paths: ['/'] }] }] } },
    });
    return h.startAgent(name, file, { adminPort, port, args });
  }

  it('one process: the new address serves, a request in flight on the old one is answered, then the old one closes', async () => {
    const h = harness();
    const [portA, portB] = [await h.port(), await h.port()];
    const edge = await edgeOn(h, 'listen', portA);
    const inFlight = h.http.get(`http://127.0.0.1:${portA}/hold`, { timeoutMs: 30_000 });
    await waitFor(() => held.length === 1, { what: 'the request in flight at the upstream' });

    await reloadAgent(edge, (doc) => { doc.edge.listen = `127.0.0.1:${portB}`; });
    const res = await h.http.get(`http://127.0.0.1:${portB}/x`);
    assert.equal(res.status, 200, res.text);
    held.shift()!.writeHead(200).end('late');
    const late = await inFlight;
    assert.equal(late.status, 200);
    assert.equal(late.text, 'late');
    await waitFor(() => refuses(portA), { timeoutMs: 15_000, what: 'the old address to stop accepting' });
    assert.doesNotMatch(await edge.metrics(), /meshgate_config_restart_required\{section="edge.listen"\} 1/);
  });

  it('one process: an address that cannot be bound rejects the reload; the old one keeps serving', async () => {
    const h = harness();
    const [portA, busyPort] = [await h.port(), await h.port()];
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(busyPort, '127.0.0.1', r));
    try {
      const edge = await edgeOn(h, 'listen-busy', portA);
      await assert.rejects(reloadAgent(edge, (doc) => { doc.edge.listen = `127.0.0.1:${busyPort}`; }), /edge\.listen: cannot listen/);
      assert.equal((await h.http.get(`http://127.0.0.1:${portA}/x`)).status, 200);
    } finally {
      busy.close();
    }
  });

  it('with workers: a changed address is named as needing a restart and the old one keeps serving', async () => {
    const h = harness();
    const [portA, portB] = [await h.port(), await h.port()];
    const edge = await edgeOn(h, 'listen-workers', portA, ['--workers', '2']);
    await reloadAgent(edge, (doc) => { doc.edge.listen = `127.0.0.1:${portB}`; });
    assert.match(await edge.metrics(), /meshgate_config_restart_required\{section="edge.listen"\} 1/);
    assert.equal((await h.http.get(`http://127.0.0.1:${portA}/x`)).status, 200);
  });
});
