// gRPC through a sidecar's local upstream port, with real grpc-js on both ends and real Consul:
// the app's client (insecure credentials: h2c with prior knowledge) → sidecar A's upstream port →
// sidecar B over mTLS h2 → the grpc-js server over h2c. Unary with metadata and trailers, server
// streaming and bidi, the server's status codes, and a client deadline that cancels the server's call.
import assert from 'node:assert/strict';
import { useHarness, waitFor } from '../support/harness.js';
import { bidiInTurn, echoClient, grpc, serverStream, startEchoServer, startGreeterSidecar, unary, type EchoClient, type EchoServer } from '../support/grpc-echo.js';

describe('gRPC through a sidecar\'s local upstream port (app → sidecar → mTLS h2 → sidecar → instance)', function () {
  this.timeout(120_000);
  const harness = useHarness('grpc-upstream-port');
  let server: EchoServer;
  let client: EchoClient;
  let target: string;
  const clients: EchoClient[] = [];

  before(async function () {
    const h = harness();
    server = await startEchoServer();
    await startGreeterSidecar(h, server);
    const caller = await h.startService('caller', 'caller-1');
    const [meshA, adminA, upstreamPort] = [await h.port(), await h.port(), await h.port()];
    await h.startAgent('sidecar caller-1', h.writeYaml('sidecar-caller.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'caller-1', admin: `127.0.0.1:${adminA}`, log_level: 'info' },
      sidecar: {
        listen: `127.0.0.1:${meshA}`,
        services: [{ name: 'caller', id: 'caller-1', port: caller.port, check: { http: `${caller.url}/health`, interval: '1s' } }],
        upstreams: [{ service: 'greeter', listen: `127.0.0.1:${upstreamPort}` }],
      },
    }), { adminPort: adminA, port: meshA });
    target = `127.0.0.1:${upstreamPort}`;
    client = echoClient('test.Echo', target);
    clients.push(client);
    // the upstream port serves once sidecar A's pool has greeter's sidecar
    await waitFor(async () => ((await unary(client, 'Unary', 'ready')).err === null ? true : undefined), { timeoutMs: 20_000, intervalMs: 200, what: 'a call through the upstream port to succeed' });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  it('unary: the answer, metadata both ways and the server\'s trailer; the server sees the caller\'s mesh identity', async () => {
    const md = new grpc.Metadata();
    md.set('x-caller', 'app');
    const r = await unary(client, 'Unary', 'hi', md);
    assert.equal(r.err, null);
    assert.equal(r.value?.toString(), 'echo:hi');
    assert.deepEqual(r.headers?.get('x-initial'), ['yes']);
    assert.deepEqual(r.trailers?.get('x-trailer'), ['kept']);
    assert.equal(server.lastMetadata()['x-caller'], 'app');
    assert.ok(String(server.lastMetadata()['x-forwarded-client-cert'] ?? '').includes('/svc/caller'), 'the call came over the mesh as caller');
  });

  it('server streaming and bidi streaming', async () => {
    assert.deepEqual(await serverStream(client, 4), ['m0', 'm1', 'm2', 'm3']);
    assert.deepEqual(await bidiInTurn(client, 3), ['re:x0', 're:x1', 're:x2']);
  });

  it('status codes: the server\'s INVALID_ARGUMENT with its message, UNIMPLEMENTED for a method it lacks', async () => {
    const bad = await unary(client, 'Unary', 'fail:no such thing');
    assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(bad.err?.details, 'no such thing');
    const other = echoClient('test.Missing', target);
    clients.push(other);
    const missing = await unary(other, 'Unary', 'x');
    assert.equal(missing.err?.code, grpc.status.UNIMPLEMENTED);
  });

  it('a client deadline: DEADLINE_EXCEEDED, and the cancel reaches the server through both sidecars', async () => {
    const before = server.cancelled();
    const r = await unary(client, 'Slow', 'x', new grpc.Metadata(), { deadline: Date.now() + 300 });
    assert.equal(r.err?.code, grpc.status.DEADLINE_EXCEEDED);
    await waitFor(() => server.cancelled() > before, { timeoutMs: 5000, what: 'the server to see the call cancelled' });
  });
});
