// WebSocket through edge → sidecar (mTLS) → service with a real client (`ws`) and the sample
// service's echo: messages both ways, a big message under backpressure, close codes, the route's
// plugins on the handshake (key-auth, jwt, rate limiting), intentions, a declined upgrade relayed,
// the idle timeout, one access-log line per tunnel, metrics, and a drain that ends tunnels at its deadline.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sleep, useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { rawRequest, type Echo } from '../support/http.js';
import { createIntention, deleteIntention } from '../support/mesh.js';
import { chatKong as kong } from '../support/chat-kong.js';
import { WsClient } from '../support/ws-client.js';

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe('WebSocket through edge → sidecar → service', function () {
  const harness = useHarness('websocket');
  let chat: ServiceHandle;
  let sidecar: AgentHandle;
  let edge: AgentHandle;
  let ws: string;

  before(async function () {
    const h = harness();
    chat = await h.startService('chat', 'chat-1');
    sidecar = await h.startSidecar({ service: chat });
    edge = await h.startEdge({ kong: kong() });
    await h.waitForPool(edge, 'consul:chat', ['chat-1']);
    ws = `ws://127.0.0.1:${edge.port}`;
  });

  it('echoes text and binary messages both ways, with X-Forwarded-* and no hop-by-hop headers upstream', async function () {
    const c = await WsClient.open(`${ws}/ws`, { 'x-custom': 'kept' });
    try {
      assert.equal((await c.roundTrip('hello')).toString(), 'hello');
      const bin = Buffer.from([0, 1, 2, 250, 255]);
      assert.deepEqual(await c.roundTrip(bin), bin);
      const seen = JSON.parse((await c.roundTrip('headers')).toString()) as Record<string, string>;
      assert.equal(seen['x-custom'], 'kept');
      assert.equal(seen['x-forwarded-proto'], 'http');
      assert.ok((seen['x-forwarded-for'] ?? '').includes('127.0.0.1'), JSON.stringify(seen));
      assert.match(seen['upgrade'] ?? '', /websocket/i);
      assert.match(seen['connection'] ?? '', /upgrade/i);
      assert.ok(seen['sec-websocket-key'], 'the handshake key reaches the service');
      assert.ok(!('x-meshgate-destination' in seen), 'the mesh header stops at the sidecar');
      assert.equal(seen['x-forwarded-client-cert']?.startsWith('URI=spiffe://'), true, `the sidecar passes the verified peer: ${JSON.stringify(seen)}`);
    } finally {
      c.ws.close(1000);
    }
  });

  it('carries a 16 MiB message each way intact (backpressure through two hops)', async function () {
    const c = await WsClient.open(`${ws}/ws`);
    try {
      const big = Buffer.alloc(16 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
      const back = await c.roundTrip(big, 60_000);
      assert.equal(back.length, big.length);
      assert.equal(sha(back), sha(big));
    } finally {
      c.ws.close(1000);
    }
  });

  it('propagates close codes both ways (client 4001, server 4003 "bye")', async function () {
    const a = await WsClient.open(`${ws}/ws`);
    a.ws.close(4001, 'client done');
    assert.deepEqual(await a.closedWithin(10_000), { code: 4001, reason: 'client done' });
    const b = await WsClient.open(`${ws}/ws`);
    b.ws.send('close:4003');
    assert.deepEqual(await b.closedWithin(10_000), { code: 4003, reason: 'bye' });
  });

  it('writes one access-log line per tunnel at its close (status 101, bytes each way) and counts tunnels in /metrics', async function () {
    const c = await WsClient.open(`${ws}/ws?log=1`);
    await c.roundTrip('x'.repeat(1000));
    c.ws.close(1000);
    await c.closedWithin(10_000);
    const edgeLine = await waitFor(() => edge.accessLog().find((l) => l.path === '/ws?log=1'), { what: 'the edge line of the tunnel' });
    assert.equal(edgeLine.status, 101);
    assert.equal(edgeLine.route, 'ws');
    assert.ok((edgeLine.bytes_in as number) > 1000 && (edgeLine.bytes as number) > 1000, JSON.stringify(edgeLine));
    assert.equal(edge.accessLog().filter((l) => l.path === '/ws?log=1').length, 1, 'one line per tunnel');
    const sideLine = await waitFor(() => sidecar.accessLog().find((l) => l.path === '/ws?log=1'), { what: 'the sidecar line of the tunnel' });
    assert.equal(sideLine.status, 101);
    assert.match(String(sideLine.source), /^spiffe:\/\//);
    const m = await edge.metrics();
    assert.match(m, /meshgate_tunnels_total\{role="edge"\} [1-9]/);
    assert.match(m, /meshgate_tunnel_bytes_total\{role="edge",direction="in"\} [1-9]/);
    assert.match(await sidecar.metrics(), /meshgate_tunnels_total\{role="sidecar"\} [1-9]/);
  });

  it('applies key-auth, jwt and rate limiting to the handshake: refusals are JSON and reach nothing upstream', async function () {
    const servedBefore = await chat.served();
    const noKey = await WsClient.refused(`${ws}/keyed`);
    assert.equal(noKey.status, 401);
    assert.match(String(noKey.headers['content-type']), /application\/json/);
    assert.equal(JSON.parse(noKey.body).message, 'No API key found in request');
    const badKey = await WsClient.refused(`${ws}/keyed`, { apikey: 'wrong' });
    assert.equal(badKey.status, 401);
    const noJwt = await WsClient.refused(`${ws}/jwtd`);
    assert.equal(noJwt.status, 401);
    assert.equal(JSON.parse(noJwt.body).message, 'Unauthorized');
    for (let i = 0; i < 2; i++) {
      const ok = await WsClient.open(`${ws}/limited`);
      ok.ws.close(1000);
      await ok.closedWithin(10_000);
    }
    const limited = await WsClient.refused(`${ws}/limited`);
    assert.equal(limited.status, 429);
    assert.equal(JSON.parse(limited.body).message, 'API rate limit exceeded');
    assert.equal(await chat.served(), servedBefore + 2, 'only the two allowed handshakes reached the service');
    const keyed = await WsClient.open(`${ws}/keyed`, { apikey: 'alice-key' });
    const seen = JSON.parse((await keyed.roundTrip('headers')).toString()) as Record<string, string>;
    assert.equal(seen['x-consumer-username'], 'alice');
    keyed.ws.close(1000);
  });

  it('relays a declined upgrade (403 from the service) as a normal response', async function () {
    const r = await WsClient.refused(`${ws}/ws/refuse`);
    assert.equal(r.status, 403);
    const body = JSON.parse(r.body) as { message: string; instance: string };
    assert.equal(body.message, 'upgrade refused');
    assert.equal(body.instance, 'chat-1');
  });

  it('answers an h2c upgrade offer over HTTP/1.1 (no tunnel)', async function () {
    const r = await rawRequest(`http://127.0.0.1:${edge.port}/ws/plain`, {
      headers: [['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA']],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json<Echo>().path, '/ws/plain');
  });

  it('keeps a tunnel with traffic open and closes one idle for the service read_timeout (1.5 s)', async function () {
    const busy = await WsClient.open(`${ws}/idle`);
    const idle = await WsClient.open(`${ws}/idle?quiet=1`);
    for (let i = 0; i < 8; i++) { await busy.roundTrip(`tick ${i}`); await sleep(300); }
    assert.equal(busy.ws.readyState, busy.ws.OPEN, 'a tunnel carrying messages is not idle');
    const closed = await idle.closedWithin(15_000);
    assert.equal(closed.code, 1006, 'the proxy closes the connection without a close frame, as nginx does');
    const line = await waitFor(() => edge.accessLog().find((l) => l.path === '/idle?quiet=1'), { what: 'the idle tunnel line' });
    assert.equal(line.error, 'MG_TUNNEL_IDLE');
    busy.ws.close(1000);
  });

  it('refuses the handshake by intention at the sidecar (403 MG_INTENTION_DENIED, JSON)', async function () {
    const h = harness();
    const id = await createIntention(h, '*', 'chat', 'deny');
    try {
      const r = await waitFor(async () => {
        try { const c = await WsClient.open(`${ws}/ws`); c.ws.terminate(); return undefined; } catch (err) { return (err as { refusal?: { status: number; body: string } }).refusal; }
      }, { timeoutMs: 15_000, intervalMs: 200, what: 'the deny intention to apply' });
      assert.equal(r.status, 403);
      assert.equal(JSON.parse(r.body).code, 'MG_INTENTION_DENIED');
    } finally {
      await deleteIntention(h, id);
    }
  });

  it('on SIGTERM keeps open tunnels working through the drain and ends them at drain_timeout', async function () {
    const h = harness();
    const draining = await h.startEdge({ kong: kong(), name: 'edge-drain', agent: { drain_timeout: '4s' } });
    await h.waitForPool(draining, 'consul:chat', ['chat-1']);
    const c = await WsClient.open(`ws://127.0.0.1:${draining.port}/ws`);
    assert.equal((await c.roundTrip('before')).toString(), 'before');
    draining.child.signal('SIGTERM');
    // past the drain's grace and its idle-connection sweep: a tunnel is not an idle connection
    await sleep(2000);
    assert.equal((await c.roundTrip('during')).toString(), 'during');
    const closed = await c.closedWithin(20_000);
    assert.equal(closed.code, 1006);
    await waitFor(() => !draining.child.alive(), { timeoutMs: 20_000, what: 'the drained edge to exit' });
  });
});
