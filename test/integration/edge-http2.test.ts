// HTTP/2 at the edge with real clients (curl --http2, nghttp, curl --http2-prior-knowledge) and raw
// frames on a TLS socket for the floods: the same pipeline as HTTP/1.1 (routes, plugins, JSON errors,
// access log), :authority as Host, limits and extended CONNECT (a WebSocket over TLS) in SETTINGS,
// rapid reset and CONTINUATION floods closed with GOAWAY ENHANCE_YOUR_CALM while another client is
// unaffected, malformed frames leave the process serving.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeRoot, signLeaf, type Pem } from '../support/pki.js';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { connectRawH2, FLAG, frame, FRAME, getBlock, H2_ERROR, literal } from '../support/h2-frames.js';
import { H2WebSocket, h2Session } from '../support/h2-ws-client.js';

const run = promisify(execFile);

describe('edge HTTP/2: ALPN h2 and h2c through the one pipeline, limits, flood protection', function () {
  const harness = useHarness('edge-http2');
  let web: ServiceHandle;
  let edge: AgentHandle;
  let tlsPort: number;
  let ca: Pem;

  /** curl over TLS to a.test; returns the body and the HTTP version curl used */
  async function curlTls(args: readonly string[], urlPath: string): Promise<{ body: string; version: string; status: number }> {
    const { stdout } = await run('curl', ['-sS', '--cacert', ca.certFile, '--resolve', `a.test:${tlsPort}:127.0.0.1`, ...args,
      '-w', '\n%{http_version} %{http_code}', `https://a.test:${tlsPort}${urlPath}`], { timeout: 10_000 });
    const cut = stdout.lastIndexOf('\n');
    const [version, status] = stdout.slice(cut + 1).split(' ');
    return { body: stdout.slice(0, cut), version: version!, status: Number(status) };
  }

  before(async function () {
    const h = harness();
    const dir = path.join(h.tmp, 'pki');
    ca = makeRoot(dir, 'h2-ca');
    const leaf = signLeaf(dir, ca, 'a', { uris: [], dns: ['a.test'] });
    web = await h.startService('web', 'web-1');
    tlsPort = await h.port();
    const [port, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml('edge-h2.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge-h2', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${port}`, listen_tls: `127.0.0.1:${tlsPort}`, via_sidecars: false,
        tls: { certificates: [{ cert_file: leaf.certFile, key_file: leaf.keyFile, snis: ['a.test'] }] },
        http2: { h2c: true, max_concurrent_streams: 40, max_header_list_size: 8192, initial_window_size: 262144, rapid_reset_max: 50, rapid_reset_window: '10s' },
        kong: {
          _format_version: '3.0',
          services: [{
            name: 'web', url: `http://127.0.0.1:${web.port}`, routes: [
              { name: 'keyed', paths: ['/keyed'], plugins: [{ name: 'key-auth' }] },
              { name: 'open', paths: ['/web'] },
            ],
          }],
          consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
        },
      },
    });
    edge = await h.startAgent('edge-h2', file, { adminPort, port });
  });

  it('serves HTTP/2 by ALPN on the TLS port, with :authority as Host, and HTTP/1.1 on the same port (curl)', async function () {
    const h2 = await curlTls(['--http2'], '/web/x?q=1');
    assert.equal(h2.version, '2');
    const echo = JSON.parse(h2.body) as { path: string; headers: Record<string, string> };
    assert.equal(echo.path, '/x?q=1', 'the route strips its path, as over HTTP/1.1');
    assert.equal(echo.headers['x-forwarded-host'], `a.test:${tlsPort}`, ':authority is the Host the route and X-Forwarded-Host see');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.ok(!Object.keys(echo.headers).some((k) => k.startsWith(':')), 'no pseudo-header goes upstream');
    const h1 = await curlTls(['--http1.1'], '/web/y');
    assert.equal(h1.version, '1.1');
    assert.equal(h1.status, 200);
  });

  it('streams a 4 MiB HTTP/2 request body upstream as HTTP/1.1 (curl --http2 POST)', async function () {
    const file = path.join(harness().tmp, 'body.bin');
    writeFileSync(file, Buffer.alloc(4 << 20, 7));
    const posted = await curlTls(['--http2', '--data-binary', `@${file}`, '-H', 'content-type: application/octet-stream'], '/web/upload');
    assert.equal(posted.version, '2');
    const echo = JSON.parse(posted.body) as { method: string; bodyBytes: number };
    assert.deepEqual([echo.method, echo.bodyBytes], ['POST', 4 << 20]);
  });

  it('over HTTP/2, plugins run and errors are the JSON of the error table; one access-log line each', async function () {
    const noKey = await curlTls(['--http2'], '/keyed/a');
    assert.equal(noKey.status, 401);
    assert.equal(JSON.parse(noKey.body).message, 'No API key found in request');
    const withKey = await curlTls(['--http2', '-H', 'apikey: alice-key'], '/keyed/a');
    assert.equal(withKey.status, 200);
    const none = await curlTls(['--http2'], '/nowhere');
    assert.equal(none.status, 404);
    assert.equal(JSON.parse(none.body).code, 'MG_NO_ROUTE');
    await waitFor(() => edge.accessLog().filter((l) => l.path === '/keyed/a').length === 2, { timeoutMs: 3000, intervalMs: 20, what: 'access-log lines' });
    const keyed = edge.accessLog().filter((l) => l.path === '/keyed/a');
    assert.deepEqual(keyed.map((l) => [l.status, l.consumer]), [[401, undefined], [200, 'alice']]);
  });

  it('advertises the stream, header and window limits in SETTINGS, and multiplexes streams (nghttp)', async function () {
    const { stdout } = await run('nghttp', ['-nv', '--cert', '', `https://127.0.0.1:${tlsPort}/web/a`, `https://127.0.0.1:${tlsPort}/web/b`, `https://127.0.0.1:${tlsPort}/web/c`], { timeout: 10_000 }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    assert.match(stdout, /SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):40/);
    assert.match(stdout, /SETTINGS_MAX_HEADER_LIST_SIZE\(0x06\):8192/);
    assert.match(stdout, /SETTINGS_INITIAL_WINDOW_SIZE\(0x04\):262144/);
    assert.equal((stdout.match(/:status: 200/g) ?? []).length, 3, stdout.slice(-800));
  });

  it('advertises extended CONNECT (RFC 8441) on the TLS port and tunnels a WebSocket over it to a direct upstream', async function () {
    const { session, settings } = await h2Session(`https://127.0.0.1:${tlsPort}`, { ca: ca.cert, servername: 'a.test' });
    try {
      assert.equal(settings.enableConnectProtocol, true);
      const ws = await H2WebSocket.open(session, '/web/chat');
      assert.equal((await ws.roundTrip('over tls')).toString(), 'over tls');
      const seen = JSON.parse((await ws.roundTrip('headers')).toString()) as Record<string, string>;
      assert.equal(seen['x-forwarded-proto'], 'https');
      ws.close(1000);
      assert.equal((await ws.closedWithin(10_000)).code, 1000);
    } finally {
      session.destroy();
    }
  });

  it('accepts prior-knowledge h2c on the plain listener beside HTTP/1.1', async function () {
    const { stdout } = await run('curl', ['-sS', '--http2-prior-knowledge', '-w', '\n%{http_version}', `${edge.url}/web/c`], { timeout: 10_000 });
    assert.match(stdout, /\n2$/);
    assert.equal(JSON.parse(stdout.slice(0, stdout.lastIndexOf('\n'))).headers['x-forwarded-proto'], 'http');
    assert.equal((await harness().http.get(`${edge.url}/web/d`)).status, 200);
  });

  it('rapid reset: a connection cancelling streams past the limit gets GOAWAY ENHANCE_YOUR_CALM; another client is unaffected', async function () {
    const flood = await connectRawH2(tlsPort, 'a.test', ca.cert);
    const block = getBlock('a.test', '/web/rr');
    for (let i = 0, stream = 1; i < 500 && flood.goawayCode() === undefined && !flood.socket.destroyed; i++, stream += 2) {
      flood.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, stream, block), frame(FRAME.RST_STREAM, 0, stream, Buffer.from([0, 0, 0, H2_ERROR.CANCEL])));
      // pauses let the GOAWAY arrive before more writes would meet a closed socket (and its RST)
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.race([flood.closed, new Promise((r) => setTimeout(r, 5000))]);
    assert.equal(flood.goawayCode(), H2_ERROR.ENHANCE_YOUR_CALM);
    assert.ok(flood.socket.destroyed, 'the flooding connection is closed');
    assert.equal((await curlTls(['--http2'], '/web/after')).status, 200);
    assert.match(await edge.metrics(), /meshgate_edge_http2_goaway_total\{reason="rapid_reset"\} 1/);
  });

  it('CONTINUATION flood: a header block that never ends is closed with GOAWAY ENHANCE_YOUR_CALM; another client is unaffected', async function () {
    const flood = await connectRawH2(tlsPort, 'a.test', ca.cert);
    flood.send(frame(FRAME.HEADERS, 0, 1, getBlock('a.test', '/web/cont')));
    const filler = literal('x-filler', 'f'.repeat(1000));
    for (let i = 0; i < 2000 && !flood.socket.destroyed && flood.goawayCode() === undefined; i++) {
      flood.send(frame(FRAME.CONTINUATION, 0, 1, filler));
      if (i % 5 === 4) await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.race([flood.closed, new Promise((r) => setTimeout(r, 5000))]);
    assert.ok(flood.socket.destroyed, 'the flooding connection is closed');
    // nghttp2 stops the block after 8 CONTINUATION frames (Node alone would say INTERNAL_ERROR)
    assert.equal(flood.goawayCode(), H2_ERROR.ENHANCE_YOUR_CALM, 'GOAWAY ENHANCE_YOUR_CALM before the close');
    assert.equal((await curlTls(['--http2'], '/web/after-continuation')).status, 200);
    assert.match(await edge.metrics(), /meshgate_edge_http2_goaway_total\{reason="continuation_flood"\} 1/);
  });

  it('malformed frames (DATA on stream 0, a HEADERS block that is not HPACK) end that connection; the process keeps serving', async function () {
    for (const bad of [frame(FRAME.DATA, 0, 0, Buffer.from('x')), frame(FRAME.HEADERS, FLAG.END_HEADERS, 1, Buffer.from([0xff, 0xff, 0xff, 0xff]))]) {
      const conn = await connectRawH2(tlsPort, 'a.test', ca.cert);
      conn.send(bad);
      await waitFor(() => conn.goawayCode() !== undefined || conn.socket.destroyed, { timeoutMs: 5000, intervalMs: 20, what: 'GOAWAY or close' });
      conn.socket.destroy();
      assert.ok([H2_ERROR.PROTOCOL_ERROR, H2_ERROR.COMPRESSION_ERROR].includes(conn.goawayCode() as 1 | 9), `GOAWAY code ${conn.goawayCode()}`);
    }
    assert.ok(edge.child.alive());
    assert.equal((await curlTls(['--http2'], '/web/after-malformed')).status, 200);
  });

  // last: it ends the edge
  it('a drain (SIGTERM) sends GOAWAY and lets an HTTP/2 stream in flight finish; the process exits 0', async function () {
    const slow = curlTls(['--http2'], '/web/slow?delay_ms=2500');
    await new Promise((r) => setTimeout(r, 500));
    edge.child.signal('SIGTERM');
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.equal(answer.version, '2');
    const exit = await edge.child.exited;
    assert.equal(exit.code, 0, edge.child.output.tail(20));
  });
});
