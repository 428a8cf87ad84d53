// A hot reload applies edge.limits: real agent processes, raw client sockets, real signals. New
// connections and requests get the new limits; a connection open across the reload keeps working.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { GiveUp, useHarness, waitFor, type AgentHandle, type Harness } from '../support/harness.js';

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

/** how many descriptors of the process refer to the socket listening on `port` */
function listeningHandles(pid: number, port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)
    .map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A').map((f) => f[9]));
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try { return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''); } catch { return false; }
  }).length;
}

const served = (text: string): boolean => /^HTTP\/1\.1 200 [\s\S]*?\r\n\r\n[\s\S]*ok/.test(text);
const get = (extra = '') => `GET /x HTTP/1.1\r\nHost: edge\r\n${extra}\r\n`;
const bigHead = get(`X-Pad: ${'a'.repeat(3000)}\r\n`);

describe('hot reload of edge.limits', function () {
  this.timeout(60_000);
  const harness = useHarness('reload-limits', { consul: false });
  let upstream: http.Server;
  let upstreamPort = 0;
  before(async () => {
    upstream = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('ok')); });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  after(() => { upstream.closeAllConnections(); upstream.close(); });

  interface Edge { readonly agent: AgentHandle; reload(limits: Record<string, unknown>): Promise<void> }

  async function edgeWith(h: Harness, name: string, limits: Record<string, unknown>, args: readonly string[] = []): Promise<Edge> {
    const [port, adminPort] = [await h.port(), await h.port()];
    const config = (l: Record<string, unknown>) => ({
      consul: { address: 'http://127.0.0.1:9' }, mesh: { tls: 'disabled' }, agent: { admin: `127.0.0.1:${adminPort}` },
      edge: { listen: `127.0.0.1:${port}`, limits: l, kong: { _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${upstreamPort}`, routes: [{ name: 'r', paths: ['/'] }] }] } },
    });
    const file = h.writeYaml(`${name}.yaml`, config(limits));
    const agent = await h.startAgent(name, file, { adminPort, port, args });
    const reloads = () => agent.child.output.json().filter((l) => l.msg === 'config reloaded').length;
    return {
      agent,
      async reload(l) {
        const before = reloads();
        writeFileSync(file, stringify(config(l)));
        agent.child.signal('SIGHUP');
        await waitFor(() => reloads() > before, { timeoutMs: 15_000, what: `${name} to reload` });
      },
    };
  }

  it('max_header_size and keepalive_timeout act for new connections', async () => {
    const h = harness();
    const edge = await edgeWith(h, 'header-size', { max_header_size: 2048 });
    const big = rawClient(edge.agent.port);
    big.socket.write(bigHead);
    await big.closed;
    assert.match(big.text(), /^HTTP\/1\.1 431/, 'over max_header_size before the reload');

    await edge.reload({ max_header_size: 8192, keepalive_timeout: '1s' });
    const bigAfter = rawClient(edge.agent.port);
    bigAfter.socket.write(bigHead);
    await waitFor(() => served(bigAfter.text()) || /^HTTP\/1\.1 4/.test(bigAfter.text()), { timeoutMs: 5000, what: 'an answer to a 3 KB head' });
    assert.ok(served(bigAfter.text()), `a 3 KB head under the reloaded max_header_size: ${bigAfter.text().slice(0, 60)}`);
    // the reloaded keepalive_timeout (the default is 60 s) closes the idle connection
    await Promise.race([bigAfter.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the idle connection was not closed within 15 s')), 15_000).unref())]);
  });

  it('max_connections counts against the reloaded number; a connection open across the reload keeps working', async () => {
    const h = harness();
    // one accept handle, a long header_timeout: the connection that has sent nothing yet holds the one place
    const fixed = { header_timeout: '30s', accepts_per_turn: 1 };
    const edge = await edgeWith(h, 'connections', { ...fixed, max_connections: 1 });
    const port = edge.agent.port;
    const kept = rawClient(port);
    await new Promise((r) => kept.socket.once('connect', r));
    const refused = rawClient(port);
    refused.socket.write(get());
    let refusedClosed = false;
    void refused.closed.then(() => { refusedClosed = true; });
    await waitFor(() => refusedClosed || served(refused.text()), { timeoutMs: 5000, what: 'the second connection closed or served' });
    // refused: a 503 MG_TOO_MANY_CONNECTIONS, or closed unanswered by Node's own count on the one handle
    assert.ok(!served(refused.text()), `a second connection at max_connections 1 was served: ${refused.text().slice(0, 60)}`);

    await edge.reload({ ...fixed, max_connections: 10 });
    const more = rawClient(port);
    more.socket.write(get());
    await waitFor(() => served(more.text()), { timeoutMs: 5000, what: 'a connection past the old max_connections served' });
    kept.socket.write(get());
    await waitFor(() => served(kept.text()), { timeoutMs: 5000, what: 'the connection open across the reload served' });
    for (const c of [kept, more]) c.socket.destroy();
  });

  it('edge.http2: a new HTTP/2 session gets the reloaded SETTINGS; one open across the reload keeps working', async () => {
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const config = (streams: number) => ({
      consul: { address: 'http://127.0.0.1:9' }, mesh: { tls: 'disabled' }, agent: { admin: `127.0.0.1:${adminPort}` },
      edge: { listen: `127.0.0.1:${port}`, http2: { h2c: true, max_concurrent_streams: streams }, kong: { _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${upstreamPort}`, routes: [{ name: 'r', paths: ['/'] }] }] } },
    });
    const file = h.writeYaml('http2.yaml', config(10));
    const agent = await h.startAgent('http2', file, { adminPort, port });
    const session = async () => {
      const s = http2.connect(`http://127.0.0.1:${port}`);
      s.on('error', () => {});
      const settings = await new Promise<http2.Settings>((r) => s.once('remoteSettings', r));
      return { s, streams: settings.maxConcurrentStreams };
    };
    const get = (s: http2.ClientHttp2Session) => new Promise<number>((resolve, reject) => {
      const req = s.request({ ':path': '/x' });
      req.on('response', (hd) => { req.resume(); req.on('end', () => resolve(Number(hd[':status']))); });
      req.on('error', reject);
      req.end();
    });
    const before = await session();
    assert.equal(before.streams, 10);
    assert.equal(await get(before.s), 200);
    const reloads = () => agent.child.output.json().filter((l) => l.msg === 'config reloaded').length;
    writeFileSync(file, stringify(config(20)));
    agent.child.signal('SIGHUP');
    await waitFor(() => reloads() > 0, { timeoutMs: 15_000, what: 'the reload' });
    const after = await session();
    assert.equal(after.streams, 20);
    assert.equal(await get(after.s), 200);
    assert.equal(await get(before.s), 200, 'the session open across the reload');
    before.s.close();
    after.s.close();
    assert.doesNotMatch(await agent.metrics(), /meshgate_config_restart_required\{section="edge.http2[^"]*"\} 1/);
  });

  it('accepts_per_turn: the listening socket gets the reloaded number of handles', async () => {
    const h = harness();
    const edge = await edgeWith(h, 'accepts', { accepts_per_turn: 1 });
    assert.equal(listeningHandles(edge.agent.child.pid!, edge.agent.port), 1);
    await edge.reload({ accepts_per_turn: 3 });
    await waitFor(() => listeningHandles(edge.agent.child.pid!, edge.agent.port) === 3, { timeoutMs: 10_000, what: '3 handles on the listening socket' });
    await edge.reload({ accepts_per_turn: 2 });
    await waitFor(() => listeningHandles(edge.agent.child.pid!, edge.agent.port) === 2, { timeoutMs: 10_000, what: '2 handles on the listening socket' });
  });

  it('with workers: every worker takes the reloaded max_header_size', async () => {
    const h = harness();
    const edge = await edgeWith(h, 'workers', { max_header_size: 2048 }, ['--workers', '2']);
    const port = edge.agent.port;
    const answer = async () => {
      const c = rawClient(port);
      c.socket.write(bigHead);
      await waitFor(() => served(c.text()) || /^HTTP\/1\.1 4/.test(c.text()), { timeoutMs: 5000, what: 'an answer' });
      c.socket.destroy();
      return c.text();
    };
    assert.match(await answer(), /^HTTP\/1\.1 431/, 'over max_header_size before the reload');
    await edge.reload({ max_header_size: 8192 });
    const pids = new Set<unknown>();
    await waitFor(async () => {
      const text = await answer();
      if (!served(text)) throw new GiveUp(`refused after the reload: ${text.slice(0, 80)}`);
      for (const l of edge.agent.accessLog()) pids.add(l.pid);
      return pids.size === 2;
    }, { timeoutMs: 15_000, intervalMs: 10, what: 'big heads served by both workers' });
  });
});
