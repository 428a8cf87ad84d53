// WebSocket over HTTP/2 (RFC 8441 extended CONNECT) through edge → sidecar (mTLS) → service, with
// Node's http2 client speaking WebSocket frames on the stream (test/support/h2-ws-client.ts) over
// prior-knowledge h2c: SETTINGS_ENABLE_CONNECT_PROTOCOL advertised, messages both ways, a big message
// under flow control, close codes both ways, a client reset, the route's plugins on the handshake,
// a declined upgrade relayed, other CONNECTs refused with 501, the idle timeout, the access-log
// line and the tunnel metrics.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http2 from 'node:http2';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { chatKong } from '../support/chat-kong.js';
import { H2WebSocket, h2Session } from '../support/h2-ws-client.js';

// the extended CONNECT is routed as the GET handshake it stands for
const kong = (): Record<string, unknown> => chatKong([{ name: 'get-only', paths: ['/getonly'], methods: ['GET'], strip_path: false }]);

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe('WebSocket over HTTP/2 (RFC 8441) through edge → sidecar → service', function () {
  const harness = useHarness('websocket-h2');
  let chat: ServiceHandle;
  let sidecar: AgentHandle;
  let edge: AgentHandle;
  let session: http2.ClientHttp2Session;
  let settings: http2.Settings;

  before(async function () {
    const h = harness();
    chat = await h.startService('chat', 'chat-1');
    sidecar = await h.startSidecar({ service: chat });
    edge = await h.startEdge({ kong: kong(), http2: { h2c: true } });
    await h.waitForPool(edge, 'consul:chat', ['chat-1']);
    ({ session, settings } = await h2Session(`http://127.0.0.1:${edge.port}`));
  });

  after(function () {
    session?.destroy();
  });

  it('advertises extended CONNECT and tunnels a WebSocket: :status 200, messages both ways, the HTTP/1.1 handshake upstream', async function () {
    assert.equal(settings.enableConnectProtocol, true, 'SETTINGS_ENABLE_CONNECT_PROTOCOL');
    const ws = await H2WebSocket.open(session, '/ws', { 'x-custom': 'kept' });
    try {
      assert.equal(ws.headers[':status'], 200);
      assert.equal(ws.headers['x-instance'], 'chat-1', "the service's 101 headers are relayed");
      assert.equal(ws.headers['sec-websocket-accept'], undefined, 'HTTP/2 has no Sec-WebSocket-Accept (RFC 8441 §5)');
      assert.equal((await ws.roundTrip('hello')).toString(), 'hello');
      const bin = Buffer.from([0, 1, 2, 250, 255]);
      assert.deepEqual(await ws.roundTrip(bin), bin);
      const seen = JSON.parse((await ws.roundTrip('headers')).toString()) as Record<string, string>;
      assert.equal(seen['x-custom'], 'kept');
      assert.match(seen['upgrade'] ?? '', /websocket/i);
      assert.match(seen['connection'] ?? '', /upgrade/i);
      assert.equal(seen['sec-websocket-version'], '13');
      assert.match(seen['sec-websocket-key'] ?? '', /^[A-Za-z0-9+/]{22}==$/, 'the edge makes the key HTTP/2 does not carry');
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.ok(!Object.keys(seen).some((k) => k.startsWith(':')), 'no pseudo-header goes upstream');
      assert.equal(seen['x-forwarded-client-cert']?.startsWith('URI=spiffe://'), true, 'through the sidecar over mTLS');
    } finally {
      ws.close(1000);
    }
  });

  it('routes the handshake as GET (a GET-only route takes it)', async function () {
    const ws = await H2WebSocket.open(session, '/getonly');
    assert.equal((await ws.roundTrip('ping')).toString(), 'ping');
    ws.close(1000);
    await ws.closedWithin(10_000);
    const line = await waitFor(() => sidecar.accessLog().find((l) => l.path === '/getonly'), { what: 'the sidecar line' });
    assert.equal(line.method, 'GET');
  });

  it('carries a 16 MiB message each way intact (HTTP/2 flow control, backpressure through two hops)', async function () {
    const ws = await H2WebSocket.open(session, '/ws');
    try {
      const big = Buffer.alloc(16 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
      const back = await ws.roundTrip(big, 60_000);
      assert.equal(back.length, big.length);
      assert.equal(sha(back), sha(big));
    } finally {
      ws.close(1000);
    }
  });

  it('propagates close codes both ways and ends the stream (client 4001, server 4003 "bye")', async function () {
    const a = await H2WebSocket.open(session, '/ws');
    a.close(4001, 'client done');
    assert.deepEqual(await a.closedWithin(10_000), { code: 4001, reason: 'client done', ended: true, rstCode: 0 });
    const b = await H2WebSocket.open(session, '/ws');
    b.send('close:4003');
    const closed = await b.closedWithin(10_000);
    assert.deepEqual([closed.code, closed.reason, closed.ended], [4003, 'bye', true]);
  });

  it('writes one access-log line at the close (status 200, bytes each way) and counts the tunnel in /metrics', async function () {
    const before = Number((await edge.metrics()).match(/meshgate_tunnels_total\{role="edge"\} (\d+)/)?.[1] ?? 0);
    const ws = await H2WebSocket.open(session, '/ws?log=h2');
    await ws.roundTrip('x'.repeat(1000));
    ws.close(1000);
    await ws.closedWithin(10_000);
    const line = await waitFor(() => edge.accessLog().find((l) => l.path === '/ws?log=h2'), { what: 'the edge line of the tunnel' });
    assert.equal(line.status, 200);
    assert.equal(line.route, 'ws');
    assert.equal(line.method, 'GET');
    assert.ok((line.bytes_in as number) > 1000 && (line.bytes as number) > 1000, JSON.stringify(line));
    assert.equal(edge.accessLog().filter((l) => l.path === '/ws?log=h2').length, 1, 'one line per tunnel');
    const m = await edge.metrics();
    assert.equal(Number(m.match(/meshgate_tunnels_total\{role="edge"\} (\d+)/)?.[1]), before + 1);
    assert.match(m, /meshgate_tunnel_bytes_total\{role="edge",direction="in"\} [1-9]/);
  });

  it('a client reset (RST_STREAM CANCEL) ends the tunnel toward the service; the session keeps serving', async function () {
    const ws = await H2WebSocket.open(session, '/ws?reset=1');
    await ws.roundTrip('before reset');
    ws.stream.close(http2.constants.NGHTTP2_CANCEL);
    await waitFor(() => edge.accessLog().find((l) => l.path === '/ws?reset=1'), { timeoutMs: 15_000, what: 'the edge line of the reset tunnel' });
    await waitFor(() => sidecar.accessLog().find((l) => l.path === '/ws?reset=1'), { timeoutMs: 25_000, what: 'the sidecar line: its tunnel closed too' });
    const again = await H2WebSocket.open(session, '/ws');
    assert.equal((await again.roundTrip('after')).toString(), 'after');
    again.close(1000);
  });

  it('applies key-auth, jwt and rate limiting to the handshake: JSON refusals over HTTP/2, nothing upstream', async function () {
    const servedBefore = await chat.served();
    const noKey = await H2WebSocket.refused(session, '/keyed');
    assert.equal(noKey.status, 401);
    assert.match(String(noKey.headers['content-type']), /application\/json/);
    assert.equal(JSON.parse(noKey.body).message, 'No API key found in request');
    assert.equal((await H2WebSocket.refused(session, '/keyed', { apikey: 'wrong' })).status, 401);
    const noJwt = await H2WebSocket.refused(session, '/jwtd');
    assert.equal(noJwt.status, 401);
    assert.equal(JSON.parse(noJwt.body).message, 'Unauthorized');
    for (let i = 0; i < 2; i++) {
      const ok = await H2WebSocket.open(session, '/limited');
      ok.close(1000);
      await ok.closedWithin(10_000);
    }
    const limited = await H2WebSocket.refused(session, '/limited');
    assert.equal(limited.status, 429);
    assert.equal(JSON.parse(limited.body).message, 'API rate limit exceeded');
    assert.equal(await chat.served(), servedBefore + 2, 'only the two allowed handshakes reached the service');
    const keyed = await H2WebSocket.open(session, '/keyed', { apikey: 'alice-key' });
    const seen = JSON.parse((await keyed.roundTrip('headers')).toString()) as Record<string, string>;
    assert.equal(seen['x-consumer-username'], 'alice');
    keyed.close(1000);
  });

  it("relays a declined upgrade (the service's 403) as a normal HTTP/2 response", async function () {
    const r = await H2WebSocket.refused(session, '/ws/refuse');
    assert.equal(r.status, 403);
    const body = JSON.parse(r.body) as { message: string; instance: string };
    assert.deepEqual([body.message, body.instance], ['upgrade refused', 'chat-1']);
  });

  it('answers a CONNECT for another protocol, or without one, with 501 MG_UNSUPPORTED_PROTOCOL in JSON', async function () {
    const servedBefore = await chat.served();
    const other = await H2WebSocket.refused(session, '/ws', {}, 'connect-udp');
    assert.equal(other.status, 501);
    assert.equal(JSON.parse(other.body).code, 'MG_UNSUPPORTED_PROTOCOL');
    const plain = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const s = session.request({ ':method': 'CONNECT', ':authority': 'chat.example:443' });
      let body = '';
      let status = 0;
      s.once('response', (h) => { status = Number(h[':status']); });
      s.on('data', (d: Buffer) => { body += d.toString(); });
      s.once('end', () => resolve({ status, body }));
      s.once('error', reject);
    });
    assert.equal(plain.status, 501);
    assert.equal(JSON.parse(plain.body).code, 'MG_UNSUPPORTED_PROTOCOL');
    assert.equal(await chat.served(), servedBefore, 'nothing reached the service');
  });

  it('resets a tunnel idle for the service read_timeout (1.5 s) with RST_STREAM CANCEL and logs MG_TUNNEL_IDLE', async function () {
    const ws = await H2WebSocket.open(session, '/idle?quiet=h2');
    const closed = await ws.closedWithin(15_000);
    assert.equal(closed.rstCode, http2.constants.NGHTTP2_CANCEL);
    const line = await waitFor(() => edge.accessLog().find((l) => l.path === '/idle?quiet=h2'), { what: 'the idle tunnel line' });
    assert.equal(line.error, 'MG_TUNNEL_IDLE');
  });
});
