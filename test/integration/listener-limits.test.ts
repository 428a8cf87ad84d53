// edge.limits through a real edge with raw client sockets: each limit shown by what the edge does
// where the default would do otherwise (header_timeout, request_timeout, body_timeout and max_connections have
// their own tests in resilience.test.ts and resource-bounds.test.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { useHarness, type AgentHandle } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

/** a raw client connection; `text` is everything received so far, `closed` resolves when the edge closes it */
function rawClient(port: number): { socket: net.Socket; text: () => string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => { text += d; });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, text: () => text, closed };
}

/** a 200 whose body (chunked or not) carries the upstream's "ok" */
const served = (text: string): boolean => /^HTTP\/1\.1 200 [\s\S]*?\r\n\r\n[\s\S]*ok/.test(text);

/** how many descriptors of the edge process refer to the socket listening on `port` */
function listeningHandles(pid: number, port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A').map((f) => f[9]));
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try { return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''); } catch { return false; }
  }).length;
}

describe('edge.limits end to end (raw sockets)', function () {
  this.timeout(60_000);
  const harness = useHarness('listener-limits', { consul: false });
  let upstream: http.Server;
  let upstreamPort = 0;
  let hangs = 0;
  before(async () => {
    // /hang is never answered (a request in flight for the drain test)
    upstream = http.createServer((req, res) => { req.resume(); if (req.url === '/hang') hangs++; else req.on('end', () => res.writeHead(200).end('ok')); });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  after(() => { upstream.closeAllConnections(); upstream.close(); });

  async function edgeWith(name: string, limits: Record<string, unknown>, agent: Record<string, unknown> = {}): Promise<AgentHandle> {
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml(`${name}.yaml`, {
      consul: { address: 'http://127.0.0.1:9' }, mesh: { tls: 'disabled' }, agent: { admin: `127.0.0.1:${adminPort}`, ...agent },
      edge: { listen: `127.0.0.1:${port}`, limits, kong: { _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${upstreamPort}`, read_timeout: 120_000, routes: [{ name: 'r', paths: ['/'] }] }] } },
    });
    return h.startAgent(name, file, { adminPort, port });
  }
  const get = (extra = '') => `GET /x HTTP/1.1\r\nHost: edge\r\n${extra}\r\n`;

  it('max_header_size: a request head over it is refused with 431; one under it is served', async () => {
    const edge = await edgeWith('max-header-size', { max_header_size: 2048 });
    const small = rawClient(edge.port);
    small.socket.write(get(`X-Pad: ${'a'.repeat(1000)}\r\n`));
    await waitFor(() => served(small.text()), { timeoutMs: 5000, what: 'the small request served' });
    assert.match(small.text(), /^HTTP\/1\.1 200/);
    small.socket.destroy();
    const big = rawClient(edge.port);
    big.socket.write(get(`X-Pad: ${'a'.repeat(3000)}\r\n`));
    await big.closed;
    assert.match(big.text(), /^HTTP\/1\.1 431/);
  });

  it('keepalive_timeout: an idle keep-alive connection is closed by the edge after it', async () => {
    const edge = await edgeWith('keepalive-timeout', { keepalive_timeout: '1s' });
    const c = rawClient(edge.port);
    c.socket.write(get());
    await waitFor(() => served(c.text()), { timeoutMs: 5000, what: 'the request served' });
    // the default is 60 s: closed within 15 s means the configured second applied
    await Promise.race([c.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the idle connection was not closed within 15 s')), 15_000).unref())]);
  });

  it('accepts_per_turn: the edge holds that many handles on its listening socket (1: only its own)', async () => {
    for (const n of [1, 3]) {
      const edge = await edgeWith(`accepts-per-turn-${n}`, { accepts_per_turn: n });
      assert.equal(listeningHandles(edge.child.pid!, edge.port), n);
    }
  });

  it('agent.drain_timeout: on SIGTERM a request still in flight is waited for that long only, then the agent exits', async () => {
    const edge = await edgeWith('drain-timeout', {}, { drain_timeout: '1s' });
    const before = hangs;
    const c = rawClient(edge.port);
    c.socket.write('GET /hang HTTP/1.1\r\nHost: edge\r\n\r\n');
    await waitFor(() => hangs === before + 1, { timeoutMs: 5000, what: 'the request in flight at the upstream' });
    edge.child.signal('SIGTERM');
    // the default drain is 10 s: an exit within 8 s (with the request still unanswered) is the configured second
    const exit = await Promise.race([edge.child.exited, new Promise<null>((r) => setTimeout(() => r(null), 8000).unref())]);
    assert.ok(exit !== null, 'still running 8 s after SIGTERM');
    c.socket.destroy();
  });
});
