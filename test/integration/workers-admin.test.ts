// The admin endpoints only workers can answer, on an edge with --workers 2 (real processes): the
// primary relays /debug/explain to one worker (rate-limit counts read from the primary, which
// counts for all), and the cache's endpoints to every worker, each holding its own memory store:
// a listing adds them up, a purge or a delete reaches every worker.
import assert from 'node:assert/strict';
import http from 'node:http';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';

const MEMORY_BOUND = 1 << 20;

/** One GET on a connection of its own, so successive ones are spread over the workers. */
function freshGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

interface Explained {
  route: { name: string } | null;
  plugins: { name: string; decision: string; windows?: { remaining: number | null }[]; would_hit?: boolean }[];
  pick: { endpoint: string | null };
}
interface CacheListing { stores: { strategy: string; entries: number; bytes: number; max_bytes: number }[] }

describe('workers: the admin endpoints workers answer, through the primary', function () {
  this.timeout(120_000);
  const harness = useHarness('workers-admin', { consul: false });
  let web: ServiceHandle;
  let edge: AgentHandle;
  const admin = (p: string) => `http://127.0.0.1:${edge.adminPort}${p}`;

  before(async function () {
    const h = harness();
    web = await h.startService('web', 'web-1');
    const [port, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml('edge-workers-admin.yml', {
      _format_version: '3.0',
      services: [{
        name: 'web', url: `http://127.0.0.1:${web.port}`, routes: [
          { name: 'limited', paths: ['/limited'], plugins: [{ name: 'rate-limiting', config: { hour: 50, policy: 'local' } }] },
          {
            name: 'cached', paths: ['/cached'],
            plugins: [{ name: 'proxy-cache', config: { strategy: 'memory', memory_max_bytes: MEMORY_BOUND, content_type: ['application/json', 'application/json; charset=utf-8'] } }],
          },
        ],
      }],
    });
    edge = await h.startAgent('edge-workers-admin', file, { adminPort, port, waitReady: false, args: ['--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, '--workers', '2'] });
    await h.waitReady(edge, 60_000);
  });

  const explain = async (url: string): Promise<Explained> => {
    const r = await harness().http.get(admin(`/debug/explain?url=${encodeURIComponent(url)}`));
    assert.equal(r.status, 200, r.text);
    return r.json<Explained>();
  };
  const servedBy = (path: string) => new Set(edge.accessLog().filter((l) => String(l.path).startsWith(path)).map((l) => l.pid as number));

  it('/debug/explain: a worker reports the route, the plugins and the pick; bad input is a 400 JSON error', async function () {
    for (let i = 0; i < 4; i++) {
      const r = await explain(`${edge.url}/limited/x`);
      assert.equal(r.route?.name, 'limited');
      assert.deepEqual(r.plugins.map((p) => p.name), ['rate-limiting']);
      assert.equal(r.pick.endpoint, `127.0.0.1:${web.port}`);
    }
    const bad = await harness().http.get(admin('/debug/explain?method=GET'));
    assert.equal(bad.status, 400);
    assert.equal(bad.json<{ code: string }>().code, 'MG_BAD_REQUEST');
    const write = await harness().http.request(admin('/debug/explain'), { method: 'POST' });
    assert.deepEqual([write.status, write.json()], [405, { message: 'Method not allowed' }]);
    const unknown = await harness().http.get(admin('/no/such/endpoint'));
    assert.deepEqual([unknown.status, unknown.json()], [404, { message: 'Not found' }]);
  });

  it('/debug/explain: what is left of a local rate limit is the whole agent\'s count, and explaining counts nothing', async function () {
    const remaining = async () => (await explain(`${edge.url}/limited/x`)).plugins[0]!.windows![0]!.remaining;
    assert.equal(await remaining(), 50);
    for (let i = 0; i < 10; i++) assert.equal((await freshGet(`${edge.url}/limited/x`)).status, 200);
    assert.equal(servedBy('/limited').size, 2, 'both workers counted requests');
    // asked of each worker in turn: both read the primary's one count
    assert.deepEqual([await remaining(), await remaining(), await remaining()], [40, 40, 40]);
  });

  it('the cache: the listing adds up every worker\'s store, a key is found in any, a delete and a purge reach every worker', async function () {
    const h = harness();
    const url = `${edge.url}/cached/item`;
    // fresh connections until both workers have answered it (each fills its own store)
    let key = '';
    await waitFor(async () => {
      const r = await freshGet(url);
      assert.equal(r.status, 200);
      key = String(r.headers['x-cache-key']);
      return servedBy('/cached/item').size === 2;
    }, { timeoutMs: 20_000, intervalMs: 10, what: 'both workers serving /cached/item' });
    const listing = () => h.http.json<CacheListing>(admin('/cache'));
    // a worker's store holds the response and the URL's vary spec: two entries each
    const both = await waitFor(async () => {
      const s = (await listing()).stores[0]!;
      return s.entries === 4 ? s : undefined;
    }, { timeoutMs: 5000, intervalMs: 20, what: 'both workers\' entries in the listing' });
    assert.equal(both.strategy, 'memory');
    assert.equal(both.max_bytes, MEMORY_BOUND, 'each worker holds a share: together the configured bound');
    assert.ok(both.bytes > 0);
    const one = await h.http.get(admin(`/proxy-cache/${key}`));
    assert.equal(one.status, 200, one.text);

    const deleted = await h.http.request(admin(`/cache/${key}`), { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    // found in neither worker now (a delete that reached one would leave the other's: the key names both copies)
    assert.equal((await h.http.get(admin(`/cache/${key}`))).status, 404);
    assert.equal((await h.http.request(admin(`/cache/${key}`), { method: 'DELETE' })).status, 404);
    assert.equal((await listing()).stores[0]!.entries, 2, 'the vary specs stay, one per worker');

    assert.equal((await h.http.request(admin('/cache'), { method: 'DELETE' })).status, 204);
    assert.equal((await listing()).stores[0]!.entries, 0, 'purged in every worker');
    assert.equal((await freshGet(url)).headers['x-cache-status'], 'Miss');
  });
});
