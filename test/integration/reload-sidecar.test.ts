// A hot reload applies sidecar.upstreams and sidecar.services: real Consul, real sidecars and
// services, real signals. An added upstream gets its local port and its Proxy.Upstreams entry in
// Consul; a removed one is drained and closed; an unchanged one keeps its listener and its open
// connections. A changed service is served and registered as changed. A changed sidecar.listen /
// advertise re-binds the mesh listener and re-registers it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { consulServiceKong, useHarness, waitFor } from '../support/harness.js';
import { reloadAgent } from '../support/reload.js';

/** a raw keep-alive connection: `text` is everything received so far */
function rawClient(port: number): { socket: net.Socket; text: () => string } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => { text += d; });
  socket.on('error', () => {});
  return { socket, text: () => text };
}

const refuses = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); resolve(false); });
  s.once('error', () => resolve(true));
});

describe('hot reload of sidecar.upstreams', function () {
  this.timeout(90_000);
  const harness = useHarness('reload-sidecar');

  it('adds, keeps and removes local upstream ports, and updates the registration', async () => {
    const h = harness();
    const orders = await h.startService('orders', 'orders-1');
    await h.startSidecar({ service: orders });
    const users = await h.startService('users', 'users-1');
    await h.startSidecar({ service: users });
    const web = await h.startService('web', 'web-1');
    const [meshPort, adminPort, ordersPort, usersPort] = [await h.port(), await h.port(), await h.port(), await h.port()];
    const file = h.writeYaml('sidecar-web-1.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'web-1', admin: `127.0.0.1:${adminPort}`, drain_timeout: '2s' },
      sidecar: {
        listen: `127.0.0.1:${meshPort}`,
        services: [{ name: 'web', id: 'web-1', address: '127.0.0.1', port: web.port, check: { http: `${web.url}/health`, interval: '1s' } }],
        upstreams: [{ service: 'orders', listen: `127.0.0.1:${ordersPort}` }],
      },
    });
    const sidecar = await h.startAgent('sidecar web-1', file, { adminPort, port: meshPort });
    const upstreamsInConsul = async () => {
      const s = await h.consulGet<{ Proxy?: { Upstreams?: { DestinationName: string; LocalBindPort: number }[] } }>('/agent/service/web-1-sidecar-proxy');
      return (s.Proxy?.Upstreams ?? []).map((u) => `${u.DestinationName}:${u.LocalBindPort}`).sort().join(',');
    };
    assert.equal(await upstreamsInConsul(), `orders:${ordersPort}`);

    const kept = rawClient(ordersPort);
    const ask = async (c: ReturnType<typeof rawClient>, instance: string, n: number) => {
      c.socket.write('GET /x HTTP/1.1\r\nHost: orders\r\n\r\n');
      await waitFor(() => c.text().split(`"instance":"${instance}"`).length - 1 >= n, { timeoutMs: 10_000, what: `answer ${n} from ${instance}` });
    };
    await ask(kept, 'orders-1', 1);

    await reloadAgent(sidecar, (doc) => { doc.sidecar.upstreams = [{ service: 'orders', listen: `127.0.0.1:${ordersPort}` }, { service: 'users', listen: `127.0.0.1:${usersPort}` }]; });
    const added = rawClient(usersPort);
    await ask(added, 'users-1', 1);
    await ask(kept, 'orders-1', 2);
    assert.ok(!kept.socket.destroyed, 'the connection to the unchanged upstream stayed open');
    await waitFor(async () => (await upstreamsInConsul()) === `orders:${ordersPort},users:${usersPort}`, { what: 'both upstreams in the registration' });

    await reloadAgent(sidecar, (doc) => { doc.sidecar.upstreams = [{ service: 'users', listen: `127.0.0.1:${usersPort}` }]; });
    await waitFor(() => refuses(ordersPort), { timeoutMs: 10_000, what: 'the removed upstream port to close' });
    await ask(added, 'users-1', 2);
    await waitFor(async () => (await upstreamsInConsul()) === `users:${usersPort}`, { what: 'only users in the registration' });
    kept.socket.destroy();
    added.socket.destroy();
  });

  it('services: a changed port and tags apply to the next requests and the registration; a new service name is refused', async () => {
    const h = harness();
    const api1 = await h.startService('api', 'api-1');
    const sidecar = await h.startSidecar({ service: api1 });
    const edge = await h.startEdge({ kong: consulServiceKong('api', '/api') });
    await h.waitForPool(edge, 'consul:api', ['api-1']);
    assert.equal((await h.echo(`${edge.url}/api`)).echo?.instance, 'api-1');

    // the same service id (api-1), now served by another local process, with a tag
    const api2 = await h.startService('api', 'api-2');
    await reloadAgent(sidecar, (doc) => {
      Object.assign(doc.sidecar.services[0], { port: api2.port, tags: ['v2'], check: { http: `${api2.url}/health`, interval: '1s' } });
    });
    await waitFor(async () => (await h.echo(`${edge.url}/api`)).echo?.instance === 'api-2', { timeoutMs: 10_000, what: 'requests to reach the reloaded port' });
    await waitFor(async () => (await h.catalogService('api')).some((e) => e.ServiceID === 'api-1' && e.ServicePort === api2.port),
      { what: 'the registration with the new port' });
    const tags = (await h.consulGet<{ Tags: string[] }>('/agent/service/api-1')).Tags;
    assert.deepEqual(tags, ['v2']);

    await assert.rejects(reloadAgent(sidecar, (doc) => { doc.sidecar.services.push({ name: 'brand-new', port: api1.port }); }), /sidecar\.services\[1\]\.name/);
    assert.equal((await h.echo(`${edge.url}/api`)).echo?.instance, 'api-2', 'the rejected reload changed nothing');
  });

  it('listen and advertise: the mesh listener is re-bound and re-registered; the old port drains; a port in use is refused', async () => {
    const h = harness();
    const mv = await h.startService('mv', 'mv-1');
    const sidecar = await h.startSidecar({ service: mv });
    const edge = await h.startEdge({ kong: consulServiceKong('mv', '/mv'), name: 'edge-mv' });
    await h.waitForPool(edge, 'consul:mv', ['mv-1']);
    const oldPort = sidecar.port;
    const newPort = await h.port();
    const proxyPort = async () => (await h.catalogService('mv-sidecar-proxy')).find((e) => e.ServiceID === 'mv-1-sidecar-proxy');

    await reloadAgent(sidecar, (doc) => { doc.sidecar.listen = `127.0.0.1:${newPort}`; doc.sidecar.advertise = '127.0.0.2'; });
    await waitFor(async () => { const e = await proxyPort(); return e?.ServicePort === newPort && e.ServiceAddress === '127.0.0.2'; },
      { timeoutMs: 10_000, what: 'the sidecar proxy registered at 127.0.0.2:new port' });
    await waitFor(() => refuses(oldPort), { timeoutMs: 15_000, what: 'the old mesh port to close after its drain' });
    // the listener is bound to 127.0.0.1 only: advertised there again, the edge reaches it on the new port
    await reloadAgent(sidecar, (doc) => { doc.sidecar.advertise = '127.0.0.1'; });
    await waitFor(async () => (await h.echo(`${edge.url}/mv`)).echo?.instance === 'mv-1', { timeoutMs: 10_000, what: 'the edge to reach mv-1 on the new port' });
    assert.equal((await proxyPort())?.ServicePort, newPort);

    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const busyPort = (busy.address() as net.AddressInfo).port;
    try {
      await assert.rejects(reloadAgent(sidecar, (doc) => { doc.sidecar.listen = `127.0.0.1:${busyPort}`; }), /sidecar\.listen/);
    } finally { busy.close(); }
    assert.equal((await h.echo(`${edge.url}/mv`)).echo?.instance, 'mv-1', 'the rejected reload changed nothing');
    assert.equal((await proxyPort())?.ServicePort, newPort);
  });
});
