// gRPC end to end with a real grpc-js client and server: client → edge (h2c, or TLS with ALPN h2)
// → the server's sidecar over mTLS with ALPN h2 → the server over h2c, with real Consul. Unary and
// streaming calls, metadata and trailers both ways, the server's own error statuses, meshgate's
// answers as gRPC statuses (14 no instance, 16 missing key), grpc-timeout enforced at the edge
// (DEADLINE_EXCEEDED, upstream reset), client cancel reaching the server, HTTP/1.1 beside it.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import path from 'node:path';
import { makeRoot, signLeaf, type Pem } from '../support/pki.js';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { bidiInTurn, echoClient, grpc, serverStream, startEchoServer, startGreeterSidecar, unary, type EchoClient, type EchoServer } from '../support/grpc-echo.js';

describe('gRPC end to end (edge → sidecar over mTLS h2 → instance over h2c)', function () {
  this.timeout(120_000);
  const harness = useHarness('grpc');
  let server: EchoServer;
  let web: ServiceHandle;
  let edge: AgentHandle;
  let tlsPort: number;
  let ca: Pem;
  let plain: EchoClient;
  const clients: EchoClient[] = [];

  before(async function () {
    const h = harness();
    server = await startEchoServer();
    await startGreeterSidecar(h, server);
    web = await h.startService('web', 'web-1');
    await h.startSidecar({ service: web });

    const dir = path.join(h.tmp, 'pki');
    ca = makeRoot(dir, 'grpc-ca');
    const leaf = signLeaf(dir, ca, 'grpc', { uris: [], dns: ['grpc.test'] });
    tlsPort = await h.port();
    const [port, adminPort] = [await h.port(), await h.port()];
    const edgeFile = h.writeYaml('edge-grpc.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${port}`, listen_tls: `127.0.0.1:${tlsPort}`, http2: { h2c: true },
        tls: { certificates: [{ cert_file: leaf.certFile, key_file: leaf.keyFile, snis: ['grpc.test'] }] },
        kong: {
          _format_version: '3.0',
          services: [
            { name: 'greeter', protocol: 'grpc', host: 'greeter', port: 80, routes: [{ name: 'echo', protocols: ['grpc', 'grpcs'], paths: ['/test.Echo/'] }] },
            { name: 'keyed', protocol: 'grpc', host: 'greeter', port: 80, routes: [{ name: 'keyed', protocols: ['grpc'], paths: ['/test.Keyed/'], plugins: [{ name: 'key-auth' }] }] },
            { name: 'nobody', protocol: 'grpc', host: 'nobody', port: 80, routes: [{ name: 'nobody', protocols: ['grpc'], paths: ['/test.Nobody/'] }] },
            { name: 'web', url: 'http://web', routes: [{ name: 'web', paths: ['/web'] }] },
          ],
          consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
        },
      },
    });
    edge = await h.startAgent('edge', edgeFile, { adminPort, port });
    await h.waitForPool(edge, 'consul:greeter', ['greeter-1']);
    await h.waitForPool(edge, 'consul:web', ['web-1']);
    plain = echoClient('test.Echo', `127.0.0.1:${port}`);
    clients.push(plain);
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  it('unary over h2c: the answer, metadata both ways and the server\'s custom trailer', async () => {
    const md = new grpc.Metadata();
    md.set('x-caller', 'test');
    const r = await unary(plain, 'Unary', 'hi', md);
    assert.equal(r.err, null);
    assert.equal(r.value?.toString(), 'echo:hi');
    assert.deepEqual(r.headers?.get('x-initial'), ['yes']);
    assert.deepEqual(r.trailers?.get('x-trailer'), ['kept']);
    const seen = server.lastMetadata();
    assert.equal(seen['x-caller'], 'test');
    assert.ok(String(seen['x-forwarded-client-cert'] ?? '').includes('/svc/edge'), 'the call came over the mesh from the edge');
  });

  it('the server\'s own error status and message reach the client', async () => {
    const r = await unary(plain, 'Unary', 'fail:bad café');
    assert.equal(r.err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(r.err?.details, 'bad café');
  });

  it('server streaming, client streaming and bidi streaming', async () => {
    assert.deepEqual(await serverStream(plain, 5), ['m0', 'm1', 'm2', 'm3', 'm4']);
    const joined = await new Promise<string>((resolve, reject) => {
      const call = plain.ClientStream((err: Error | null, v: Buffer) => (err ? reject(err) : resolve(v.toString())));
      for (const m of ['a', 'b', 'c']) call.write(Buffer.from(m));
      call.end();
    });
    assert.equal(joined, 'a,b,c');
    // bidi: each answer arrives before the next message is sent
    assert.deepEqual(await bidiInTurn(plain, 3), ['re:x0', 're:x1', 're:x2']);
  });

  it('grpcs: the same route over TLS with ALPN h2', async () => {
    const c = echoClient('test.Echo', `127.0.0.1:${tlsPort}`, { ca: ca.cert, servername: 'grpc.test' });
    clients.push(c);
    const r = await unary(c, 'Unary', 'secure');
    assert.equal(r.err, null);
    assert.equal(r.value?.toString(), 'echo:secure');
  });

  it('no instance: UNAVAILABLE (14) as a trailers-only answer with HTTP status 200', async () => {
    const c = echoClient('test.Nobody', `127.0.0.1:${edge.port}`);
    clients.push(c);
    const r = await unary(c, 'Unary', 'x');
    assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
    assert.match(r.err?.details ?? '', /unavailable|peer/i);
    const raw = await rawCall(edge.port, '/test.Nobody/Unary', {});
    assert.deepEqual([raw.status, raw.grpcStatus, raw.endedWithHeaders], [200, '14', true]);
  });

  it('key-auth applies: UNAUTHENTICATED (16) without a key, OK with one', async () => {
    const c = echoClient('test.Keyed', `127.0.0.1:${edge.port}`);
    clients.push(c);
    const none = await unary(c, 'Unary', 'x');
    assert.equal(none.err?.code, grpc.status.UNAUTHENTICATED);
    assert.equal(none.err?.details, 'No API key found in request');
    const md = new grpc.Metadata();
    md.set('apikey', 'alice-key');
    const ok = await unary(c, 'Unary', 'x', md);
    assert.equal(ok.err, null);
  });

  it('grpc-timeout is enforced at the edge: DEADLINE_EXCEEDED (4) and the upstream stream reset', async () => {
    const before = server.cancelled();
    // a raw client with no deadline of its own: only meshgate can end this call
    const raw = await rawCall(edge.port, '/test.Echo/Slow', { 'grpc-timeout': '300m' });
    assert.deepEqual([raw.status, raw.grpcStatus], [200, '4']);
    await waitFor(() => server.cancelled() > before, { timeoutMs: 5000, what: 'the server to see the call cancelled' });
    const line = await waitFor(() => edge.accessLog().find((l) => l.path === '/test.Echo/Slow'), { timeoutMs: 5000, what: 'the access-log line' });
    assert.equal(line.grpc_status, 4);
    assert.equal(line.error, 'MG_UPSTREAM_TIMEOUT');
  });

  it('a client cancel reaches the server (RST_STREAM through both hops)', async () => {
    const before = server.cancelled();
    const call = plain.Slow(Buffer.from('x'), (err: grpc.ServiceError | null) => { assert.equal(err?.code, grpc.status.CANCELLED); });
    setTimeout(() => call.cancel(), 300);
    await waitFor(() => server.cancelled() > before, { timeoutMs: 5000, what: 'the server to see the cancel' });
  });

  it('the access log has grpc_status; HTTP/1.1 traffic on the same edge and mesh listeners still works', async () => {
    await unary(plain, 'Unary', 'logged');
    const line = await waitFor(() => edge.accessLog().find((l) => l.route === 'echo' && l.grpc_status === 0), { timeoutMs: 5000, what: 'an OK gRPC line' });
    assert.equal(line.status, 200);
    const { res, echo } = await harness().echo(`${edge.url}/web/x`);
    assert.equal(res.status, 200);
    assert.equal(echo?.path, '/x');
  });
});

/** One gRPC request with node:http2 and no client deadline; what came back. */
function rawCall(port: number, path: string, extra: Record<string, string>): Promise<{ status: number; grpcStatus: string | undefined; endedWithHeaders: boolean }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const frame = Buffer.alloc(5 + 1); frame.writeUInt32BE(1, 1); frame[5] = 0x78;
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
    let status = 0;
    let grpcStatus: string | undefined;
    let endedWithHeaders = false;
    req.on('response', (h, flags) => {
      status = Number(h[':status']);
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      endedWithHeaders = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    req.on('trailers', (t) => { grpcStatus ??= t['grpc-status'] as string | undefined; });
    req.on('data', () => {});
    req.on('close', () => { session.close(); resolve({ status, grpcStatus, endedWithHeaders }); });
    req.end(frame);
  });
}
