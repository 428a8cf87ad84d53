// Kong service, route and plugin-entry fields through a real edge: where a request goes and the
// path it arrives with, what `enabled: false` does, and plugin references by id.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeRoot, signLeaf, type Pem } from '../support/pki.js';
import type { AgentHandle, ServiceHandle } from '../support/harness.js';
import { useHarness } from '../support/harness.js';
import type { Echo } from '../support/http.js';

const U = (n: number): string => `7c0ffee0-0000-4000-8000-${String(n).padStart(12, '0')}`;
const addHeader = (header: string) => ({ name: 'request-transformer', config: { add: { headers: [`${header}:on`] } } });

describe('Kong services, routes and plugin entries end to end (decK, one edge)', function () {
  this.timeout(30_000);
  const harness = useHarness('kong-entities', { consul: false });
  let web: ServiceHandle;
  let edge: AgentHandle;

  before(async function () {
    const h = harness();
    web = await h.startService('web', 'web-1');
    edge = await h.startDeck('kong-entities', {
      _format_version: '3.0',
      services: [
        {
          name: 'by-url', id: U(1), url: `http://127.0.0.1:${web.port}/base`,
          routes: [
            { name: 'strip', id: U(2), paths: ['/strip'] },
            { name: 'keep', paths: ['/keep'], strip_path: false, methods: ['POST'] },
            { name: 'host', hosts: ['api.test'], paths: ['/h'] },
            { name: 'who', paths: ['/who'] },
          ],
        },
        { name: 'by-parts', protocol: 'http', host: '127.0.0.1', port: web.port, path: '/parts', routes: [{ name: 'parts', paths: ['/p'] }], plugins: [{ ...addHeader('x-disabled'), enabled: false }] },
        { name: 'off', enabled: false, url: `http://127.0.0.1:${web.port}/off`, routes: [{ name: 'off', paths: ['/off'] }] },
      ],
      consumers: [{ username: 'ann', id: U(3), keyauth_credentials: [{ key: 'ann-key' }] }],
      plugins: [
        { ...addHeader('x-by-ids'), service: U(1), route: { id: U(2) } },
        { name: 'key-auth', route: 'who' },
        { ...addHeader('x-consumer-plugin'), consumer: { id: U(3) }, route: { name: 'who' } },
      ],
    });
  });

  it('service url, or protocol, host, port and path; route paths, strip_path, methods and hosts: where each request goes and the path it arrives with', async () => {
    const h = harness();
    const rows: { method: 'GET' | 'POST'; path: string; host?: string; status: number; upstreamPath?: string }[] = [
      { method: 'GET', path: '/strip/x?q=1', status: 200, upstreamPath: '/base/x?q=1' },
      { method: 'POST', path: '/keep/x', status: 200, upstreamPath: '/base/keep/x' },
      { method: 'GET', path: '/keep/x', status: 404 },
      { method: 'GET', path: '/h/1', host: 'api.test', status: 200, upstreamPath: '/base/1' },
      { method: 'GET', path: '/h/1', host: 'other.test', status: 404 },
      { method: 'GET', path: '/p/y', status: 200, upstreamPath: '/parts/y' },
    ];
    for (const row of rows) {
      const headers: Record<string, string> = row.host === undefined ? {} : { host: row.host };
      const r = row.method === 'GET' ? await h.http.get(`${edge.url}${row.path}`, { headers }) : await h.http.post(`${edge.url}${row.path}`, 'x', { headers });
      assert.equal(r.status, row.status, `${row.method} ${row.path} ${row.host ?? ''}: ${r.status} ${r.text}`);
      if (row.upstreamPath !== undefined) {
        const echo = r.json<Echo>();
        assert.equal(echo.path, row.upstreamPath, `${row.method} ${row.path}`);
        assert.equal(echo.method, row.method);
      }
    }
  });

  it('enabled: false: a disabled service\'s routes answer 404 as if absent, and a disabled plugin does not run', async () => {
    const h = harness();
    const off = await h.http.get(`${edge.url}/off`);
    assert.equal(off.status, 404, off.text);
    assert.equal(off.json().message, 'no Route matched with those values');
    const parts = await h.http.get(`${edge.url}/p/y`);
    assert.equal(parts.status, 200, parts.text);
    assert.equal(parts.json<Echo>().headers['x-disabled'], undefined);
  });

  it('plugin entries name their service, route and consumer by id: each runs exactly where its references point', async () => {
    const h = harness();
    const strip = (await h.http.get(`${edge.url}/strip/x`)).json<Echo>();
    assert.equal(strip.headers['x-by-ids'], 'on', 'service and route by id');
    const keep = (await h.http.post(`${edge.url}/keep/x`, 'x')).json<Echo>();
    assert.equal(keep.headers['x-by-ids'], undefined, 'same service, another route');
    const asAnn = (await h.http.get(`${edge.url}/who`, { headers: { apikey: 'ann-key' } })).json<Echo>();
    assert.equal(asAnn.headers['x-consumer-id'], U(3));
    assert.equal(asAnn.headers['x-consumer-plugin'], 'on', 'consumer by id');
  });
});

describe('Kong upstreams and targets end to end', function () {
  this.timeout(30_000);
  const harness = useHarness('kong-upstreams', { consul: false });

  it('a service host naming an upstream sends its requests to the upstream\'s targets, each by its weight (0 takes none)', async () => {
    const h = harness();
    const [a, b, c] = [await h.startService('web', 'web-a'), await h.startService('web', 'web-b'), await h.startService('web', 'web-c')];
    const edge = await h.startDeck('weights', {
      _format_version: '3.0',
      upstreams: [{ name: 'web-pool', targets: [{ target: `127.0.0.1:${a.port}`, weight: 300 }, { target: `127.0.0.1:${b.port}` }, { target: `127.0.0.1:${c.port}`, weight: 0 }] }],
      services: [{ name: 'web', host: 'web-pool', routes: [{ paths: ['/'] }] }],
    });
    const counts: Record<string, number> = {};
    // the smooth weighted schedule of [300, 100] repeats every 4 picks: 8 requests are exactly 6 and 2
    for (let i = 0; i < 8; i++) {
      const r = await h.http.get(`${edge.url}/x`);
      assert.equal(r.status, 200, r.text);
      const instance = r.json<Echo>().instance;
      counts[instance] = (counts[instance] ?? 0) + 1;
    }
    assert.deepEqual(counts, { 'web-a': 6, 'web-b': 2 });
  });
});

describe('service protocol https: TLS to the upstream, certificate verified', function () {
  this.timeout(30_000);
  const harness = useHarness('kong-https-upstream', { consul: false });
  let dir: string;
  const servers: https.Server[] = [];

  /** an HTTPS upstream answering with what it saw; `tls` true proves the request came over TLS */
  async function tlsUpstream(leaf: Pem): Promise<{ port: number; seen: () => number }> {
    let seen = 0;
    const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      seen++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, tls: (req.socket as { encrypted?: boolean }).encrypted === true, host: req.headers.host }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return { port: (server.address() as AddressInfo).port, seen: () => seen };
  }

  before(function () { dir = mkdtempSync(path.join(os.tmpdir(), 'meshgate-https-upstream-')); });
  after(function () {
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    rmSync(dir, { recursive: true, force: true });
  });

  it('protocol https (or an https:// url): requests reach the upstream over TLS; a certificate the edge does not trust is 502, nothing sent', async () => {
    const h = harness();
    const trusted = makeRoot(dir, 'trusted-ca');
    const stranger = makeRoot(dir, 'stranger-ca');
    const good = await tlsUpstream(signLeaf(dir, trusted, 'good', { uris: [], ips: ['127.0.0.1'] }));
    const bad = await tlsUpstream(signLeaf(dir, stranger, 'bad', { uris: [], ips: ['127.0.0.1'] }));
    const edge = await h.startDeck('https-upstream', {
      _format_version: '3.0',
      services: [
        { name: 'by-url', url: `https://127.0.0.1:${good.port}/u`, routes: [{ paths: ['/url'] }] },
        { name: 'by-parts', protocol: 'https', host: '127.0.0.1', port: good.port, routes: [{ paths: ['/parts'] }] },
        { name: 'untrusted', url: `https://127.0.0.1:${bad.port}`, retries: 0, routes: [{ paths: ['/untrusted'] }] },
      ],
    }, [], { ...process.env, NODE_EXTRA_CA_CERTS: trusted.certFile });
    for (const [p, want] of [['/url/a', '/u/a'], ['/parts/b', '/b']] as const) {
      const r = await h.http.get(`${edge.url}${p}`);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.deepEqual(r.json(), { path: want, tls: true, host: `127.0.0.1:${good.port}` });
    }
    const refused = await h.http.get(`${edge.url}/untrusted`);
    assert.equal(refused.status, 502, refused.text);
    assert.equal(bad.seen(), 0);
  });
});
