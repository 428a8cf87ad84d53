// agent.upstream_keepalive_timeout through real edges: how long an idle upstream connection stays
// open. The upstream counts its open connections and announces no Keep-Alive timeout of its own
// (keepAliveTimeout 0), so only the edge closes them. No timing assertions: a short setting closes
// the connection while a long one, started alongside, still holds its own.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useHarness } from '../support/harness.js';
import { MESHGATE_BIN } from '../support/repo.js';
import { waitFor } from '../support/wait.js';

interface CountingUpstream { readonly port: number; open(): number; close(): void }

async function countingUpstream(): Promise<CountingUpstream> {
  let open = 0;
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('ok')); });
  server.keepAliveTimeout = 0; // no server-side idle close and no Keep-Alive: timeout= hint
  server.on('connection', (s) => { open++; s.on('close', () => { open--; }); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, open: () => open, close: () => { server.closeAllConnections(); server.close(); } };
}

describe('agent.upstream_keepalive_timeout', function () {
  this.timeout(60_000);
  const harness = useHarness('upstream-keepalive');
  const ups: CountingUpstream[] = [];
  after(() => { for (const u of ups) u.close(); });

  it('agent.upstream_keepalive_timeout: an idle upstream connection is closed by the edge after it, and kept while it has not passed', async () => {
    const h = harness();
    const short = await countingUpstream();
    const long = await countingUpstream();
    ups.push(short, long);
    const kong = (port: number) => ({ _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:${port}`, routes: [{ name: 'r', paths: ['/'] }] }] });
    const [a, b] = await Promise.all([
      h.startEdge({ name: 'edge-1s', kong: kong(short.port), agent: { upstream_keepalive_timeout: '1s' } }),
      h.startEdge({ name: 'edge-10m', kong: kong(long.port), agent: { upstream_keepalive_timeout: '10m' } }),
    ]);
    for (const e of [a, b]) assert.equal((await h.http.get(`${e.url}/x`)).status, 200);
    assert.equal(short.open(), 1, 'the 1s edge holds one upstream connection after its request');
    assert.equal(long.open(), 1, 'the 10m edge holds one upstream connection after its request');
    await waitFor(() => short.open() === 0, { timeoutMs: 20_000, intervalMs: 100, what: 'the 1s edge to close its idle upstream connection' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(long.open(), 1, 'the 10m edge still holds its idle upstream connection');
    assert.equal((await h.http.get(`${b.url}/x`)).status, 200);
    assert.equal(long.open(), 1, 'and its next request reuses it');
  });

  it('agent.upstream_keepalive_timeout of 0s is refused, naming its path', async () => {
    const h = harness();
    const file = h.writeYaml('zero.yaml', { agent: { upstream_keepalive_timeout: '0s' }, edge: { kong: { _format_version: '3.0' } } });
    const child = h.spawn('zero', process.execPath, [MESHGATE_BIN, 'agent', '--config', file]);
    await waitFor(() => !child.alive(), { timeoutMs: 20_000, what: 'the agent to refuse its config' });
    assert.notEqual(child.exit?.code, 0);
    assert.match(child.output.tail(20), /agent\.upstream_keepalive_timeout/);
  });
});
