// gRPC-Web at the edge (Kong's grpc-web plugin) with a real grpc-js server behind its sidecar and
// real Consul: a hand-built gRPC-Web client (the wire format, over HTTP/1.1 with undici and over
// h2c) → edge → the server's sidecar over mTLS h2 → the server over h2c. Unary and server streaming,
// trailers in the body's last frame, the server's error status, text mode both ways, meshgate's own
// answers trailers-only, grpc-timeout, pass_stripped_path, and CORS preflight with and without cors.
import assert from 'node:assert/strict';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { grpc, startEchoServer, startGreeterSidecar, type EchoServer } from '../support/grpc-echo.js';
import { webCall, webCallH2 } from '../support/grpc-web-client.js';

describe('gRPC-Web at the edge (grpc-web plugin → gRPC over the mesh)', function () {
  this.timeout(120_000);
  const harness = useHarness('grpc-web');
  let server: EchoServer;
  let edge: AgentHandle;
  let base: string;

  before(async function () {
    const h = harness();
    server = await startEchoServer();
    await startGreeterSidecar(h, server);
    const [port, adminPort] = [await h.port(), await h.port()];
    const edgeFile = h.writeYaml('edge-grpc-web.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${port}`, http2: { h2c: true },
        kong: {
          _format_version: '3.0',
          services: [
            {
              name: 'greeter', protocol: 'grpc', host: 'greeter', port: 80, routes: [
                { name: 'web-echo', paths: ['/test.Echo/'], strip_path: false, plugins: [{ name: 'grpc-web' }] },
                { name: 'web-prefixed', paths: ['/web'], plugins: [{ name: 'grpc-web' }] },
                { name: 'web-stripped', paths: ['/stripped'], plugins: [{ name: 'grpc-web', config: { pass_stripped_path: true, allow_origin_header: 'https://app.test' } }] },
                {
                  name: 'web-cors', paths: ['/cors'], plugins: [
                    { name: 'cors', config: { origins: ['https://app.test'] } },
                    { name: 'grpc-web', config: { pass_stripped_path: true } },
                  ],
                },
              ],
            },
            { name: 'nobody', protocol: 'grpc', host: 'nobody', port: 80, routes: [{ name: 'web-nobody', paths: ['/test.Nobody/'], strip_path: false, plugins: [{ name: 'grpc-web' }] }] },
          ],
        },
      },
    });
    edge = await h.startAgent('edge', edgeFile, { adminPort, port });
    base = edge.url;
    await h.waitForPool(edge, 'consul:greeter', ['greeter-1']);
  });

  after(async () => { await server?.stop(); });

  it('unary over HTTP/1.1: the message, then the trailers frame (grpc-status 0, the server\'s trailer); the client\'s content type and Access-Control-Allow-Origin', async () => {
    const r = await webCall(base, '/test.Echo/Unary', ['hi'], { headers: { 'x-caller': 'web' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/grpc-web+proto');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['x-initial'], 'yes');
    assert.deepEqual(r.messages.map(String), ['echo:hi']);
    assert.equal(r.trailers?.['grpc-status'], '0');
    assert.equal(r.trailers?.['x-trailer'], 'kept');
    assert.equal(server.lastMetadata()['x-caller'], 'web');
    assert.ok(String(server.lastMetadata()['x-forwarded-client-cert'] ?? '').includes('/svc/edge'), 'the call came over the mesh from the edge');
    const line = await waitFor(() => edge.accessLog().find((l) => l.route === 'web-echo' && l.path === '/test.Echo/Unary'), { timeoutMs: 5000, what: 'the access-log line' });
    assert.equal(line.grpc_status, 0);
  });

  it('server streaming: every message in order, then the trailers frame', async () => {
    const r = await webCall(base, '/test.Echo/ServerStream', ['4']);
    assert.equal(r.status, 200);
    assert.deepEqual(r.messages.map(String), ['m0', 'm1', 'm2', 'm3']);
    assert.equal(r.trailers?.['grpc-status'], '0');
  });

  it('the server\'s error status and message reach the client (grpc-js answers trailers-only: they stay in the head)', async () => {
    const r = await webCall(base, '/test.Echo/Unary', ['fail:bad café'], { contentType: 'application/grpc-web' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/grpc-web');
    assert.deepEqual(r.messages, []);
    assert.equal(r.headers['grpc-status'], String(grpc.status.INVALID_ARGUMENT));
    assert.equal(decodeURIComponent(String(r.headers['grpc-message'])), 'bad café');
    assert.equal(r.raw.length, 0, 'a trailers-only answer has an empty body');
  });

  it('text mode (application/grpc-web-text): base64 both ways; a client stream of separately padded messages arrives whole', async () => {
    const r = await webCall(base, '/test.Echo/Unary', ['text'], { contentType: 'application/grpc-web-text' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/grpc-web-text');
    assert.match(r.raw.toString('latin1'), /^[A-Za-z0-9+/]+=*$/, 'the body is base64');
    assert.deepEqual(r.messages.map(String), ['echo:text']);
    assert.equal(r.trailers?.['grpc-status'], '0');
    // "bb" and "ccc" frame to 7 and 8 bytes: each one's base64 ends in padding, mid-body for "bb"
    const joined = await webCall(base, '/test.Echo/ClientStream', ['a', 'bb', 'ccc'], { contentType: 'application/grpc-web-text+proto' });
    assert.deepEqual(joined.messages.map(String), ['a,bb,ccc']);
    const streamed = await webCall(base, '/test.Echo/ServerStream', ['3'], { contentType: 'application/grpc-web-text+proto' });
    assert.deepEqual(streamed.messages.map(String), ['m0', 'm1', 'm2']);
    assert.equal(streamed.trailers?.['grpc-status'], '0');
  });

  it('gRPC-Web over HTTP/2 (h2c) from the client as well, binary and text', async () => {
    const r = await webCallH2(edge.port, '/test.Echo/Unary', ['h2']);
    assert.equal(r.status, 200);
    assert.deepEqual(r.messages.map(String), ['echo:h2']);
    assert.equal(r.trailers?.['grpc-status'], '0');
    const t = await webCallH2(edge.port, '/test.Echo/ServerStream', ['2'], { contentType: 'application/grpc-web-text' });
    assert.deepEqual(t.messages.map(String), ['m0', 'm1']);
    assert.equal(t.trailers?.['grpc-status'], '0');
  });

  it('pass_stripped_path: without it the upstream gets the client\'s path (as in Kong), with it the stripped one', async () => {
    const kept = await webCall(base, '/web/test.Echo/Unary', ['x']);
    assert.equal(kept.trailers?.['grpc-status'] ?? kept.headers['grpc-status'], String(grpc.status.UNIMPLEMENTED), 'the server was asked for /web/test.Echo/Unary');
    const stripped = await webCall(base, '/stripped/test.Echo/Unary', ['y']);
    assert.deepEqual(stripped.messages.map(String), ['echo:y']);
    assert.equal(stripped.headers['access-control-allow-origin'], 'https://app.test');
  });

  it('no instance: a trailers-only answer, HTTP 200 with grpc-status 14 in the head and an empty body', async () => {
    const r = await webCall(base, '/test.Nobody/Unary', ['x']);
    assert.equal(r.status, 200);
    assert.equal(r.headers['grpc-status'], String(grpc.status.UNAVAILABLE));
    assert.match(String(r.headers['grpc-message']), /unavailable|peer/i);
    assert.equal(r.headers['content-type'], 'application/grpc-web+proto');
    assert.equal(r.raw.length, 0);
  });

  it('grpc-timeout is enforced: DEADLINE_EXCEEDED (4) and the upstream call cancelled', async () => {
    const before = server.cancelled();
    const r = await webCall(base, '/test.Echo/Slow', ['x'], { headers: { 'grpc-timeout': '300m' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['grpc-status'] ?? r.trailers?.['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED));
    await waitFor(() => server.cancelled() > before, { timeoutMs: 5000, what: 'the server to see the call cancelled' });
  });

  it('CORS preflight: the cors plugin answers it with its policy; without cors, grpc-web answers with Kong\'s fixed headers', async () => {
    const preflight = { origin: 'https://app.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-grpc-web' };
    const withCors = await webCall(base, '/cors/test.Echo/Unary', [], { method: 'OPTIONS', headers: preflight });
    assert.equal(withCors.status, 200);
    assert.equal(withCors.headers['access-control-allow-origin'], 'https://app.test');
    const call = await webCall(base, '/cors/test.Echo/Unary', ['c'], { headers: { origin: 'https://app.test' } });
    assert.deepEqual(call.messages.map(String), ['echo:c']);
    assert.equal(call.headers['vary'], 'Origin');
    // one Access-Control-Allow-Origin, the cors plugin's (it runs its header phase last, as in Kong)
    assert.equal(call.headers['access-control-allow-origin'], 'https://app.test');
    const own = await webCall(base, '/test.Echo/Unary', [], { method: 'OPTIONS', headers: preflight });
    assert.equal(own.status, 200);
    assert.equal(own.headers['access-control-allow-origin'], '*');
    assert.equal(own.headers['access-control-allow-methods'], 'POST');
    assert.equal(own.headers['access-control-allow-headers'], 'content-type,x-grpc-web,x-user-agent');
  });

  it('a content type it does not translate (application/grpc-web+json needs a .proto) is 400 with Kong\'s message, nothing sent upstream', async () => {
    const r = await webCall(base, '/test.Echo/Unary', ['{}'], { contentType: 'application/grpc-web+json' });
    assert.equal(r.status, 400);
    assert.match(r.raw.toString(), /transcoding requests require a \.proto file/);
  });
});
