// Kong's proxy-cache plugin end to end: decK edges in front of a tiny upstream whose answers the
// test controls (Cache-Control, Vary, Set-Cookie, size, delay) and counts; the memory store of one
// edge, and a Redis store shared by two more edges.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import type { HttpResult } from '../support/http.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/** GET /any/path?cc=&vary=&cookie=1&ct=&size=&delay_ms= → JSON {n, path, lang, auth}; counts per URL. */
class ControlledUpstream {
  readonly counts = new Map<string, number>();
  readonly #server = http.createServer((req, res) => this.#answer(req, res));
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  served(url: string): number { return this.counts.get(url) ?? 0; }

  #answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const q = new URL(url, 'http://x').searchParams;
    const n = (this.counts.get(url) ?? 0) + 1;
    this.counts.set(url, n);
    const headers: Record<string, string> = { 'content-type': q.get('ct') ?? 'application/json' };
    if (q.has('cc')) headers['cache-control'] = q.get('cc')!;
    if (q.has('vary')) headers.vary = q.get('vary')!;
    if (q.has('cookie')) headers['set-cookie'] = `sid=${n}`;
    const pad = 'x'.repeat(Number(q.get('size') ?? 0));
    const body = JSON.stringify({ n, path: url, lang: req.headers['accept-language'] ?? null, auth: req.headers.authorization ?? null, pad });
    setTimeout(() => { res.writeHead(200, headers); res.end(req.method === 'HEAD' ? undefined : body); }, Number(q.get('delay_ms') ?? 0));
  }
}

const MEMORY_BOUND = 256 * 1024;

function deck(upstreamPort: number, redisPort: number): { memory: Record<string, unknown>; redis: Record<string, unknown> } {
  const service = (routes: Record<string, Record<string, unknown>>) => ({
    _format_version: '3.0',
    services: [{
      name: 'web', url: `http://127.0.0.1:${upstreamPort}`,
      routes: Object.entries(routes).map(([name, config]) => ({ name, paths: [`/${name}`], strip_path: false, plugins: [{ name: 'proxy-cache', config }] })),
    }],
  });
  return {
    memory: service({
      mem: { strategy: 'memory' },
      cc: { strategy: 'memory', cache_control: true },
      small: { strategy: 'memory', memory: { dictionary_name: 'small' }, memory_max_bytes: MEMORY_BOUND, max_object_bytes: 16 * 1024 },
    }),
    redis: service({ shared: { strategy: 'redis', redis: { host: '127.0.0.1', port: redisPort, timeout: 500 } } }),
  };
}

const status = (r: HttpResult) => r.headers['x-cache-status'];
const body = (r: HttpResult) => r.json<{ n: number; lang: string | null; auth: string | null }>();

describe('proxy-cache plugin end to end', function () {
  this.timeout(60_000);
  const harness = useHarness('proxy-cache', { consul: false });
  const upstream = new ControlledUpstream();
  let redis: RedisServer | undefined;
  let edge: AgentHandle;
  let shared: AgentHandle[];

  before(async function () {
    this.timeout(320_000); // may install redis-server once
    const h = harness();
    await upstream.start();
    redis = await startRedis();
    const docs = deck(upstream.port, redis.port);
    edge = await h.startDeck('deck-cache-memory', docs.memory);
    shared = [await h.startDeck('deck-cache-redis-a', docs.redis), await h.startDeck('deck-cache-redis-b', docs.redis)];
  });

  after(async () => {
    await upstream.stop();
    await redis?.stop();
  });

  const get = (agent: AgentHandle, path: string, headers: Record<string, string> = {}) => harness().http.get(`${agent.url}${path}`, { headers });

  it('Miss, then Hit with Age and the same X-Cache-Key, from one upstream request', async () => {
    const miss = await get(edge, '/mem/a?x=1');
    const hit = await get(edge, '/mem/a?x=1');
    assert.deepEqual([miss.status, status(miss), status(hit)], [200, 'Miss', 'Hit']);
    assert.equal(hit.headers['x-cache-key'], miss.headers['x-cache-key']);
    assert.match(String(hit.headers.age), /^\d+$/);
    assert.deepEqual([body(hit).n, upstream.served('/mem/a?x=1')], [1, 1]);
  });

  it('Vary: Accept-Language keeps de and en apart', async () => {
    const url = '/mem/v?vary=Accept-Language';
    const answers: HttpResult[] = [];
    for (const lang of ['de', 'en', 'de', 'en']) answers.push(await get(edge, url, { 'accept-language': lang }));
    assert.deepEqual(answers.map(status), ['Miss', 'Miss', 'Hit', 'Hit']);
    assert.deepEqual(answers.map((r) => body(r).lang), ['de', 'en', 'de', 'en']);
    assert.equal(upstream.served(url), 2);
  });

  const personal: [string, string, Record<string, string>][] = [
    ['Set-Cookie', '/mem/p1?cookie=1', {}],
    ['Cache-Control: private', '/mem/p2?cc=private', {}],
    ['Cache-Control: no-store', '/mem/p3?cc=no-store', {}],
    ['a request with Authorization', '/mem/p4?cc=max-age%3D60', { authorization: 'Bearer alice' }],
  ];
  for (const [what, url, headers] of personal) {
    it(`${what}: never served to another client`, async () => {
      const first = await get(edge, url, headers);
      const other = await get(edge, url, what.includes('Authorization') ? { authorization: 'Bearer bob' } : {});
      assert.equal(status(first), 'Bypass');
      assert.notEqual(status(other), 'Hit');
      assert.deepEqual([body(first).n, body(other).n], [1, 2]);
    });
  }

  it('HEAD never poisons GET', async () => {
    const head = await harness().http.request(`${edge.url}/mem/h`, { method: 'HEAD' });
    assert.deepEqual([head.status, head.text], [200, '']);
    const getAfter = await get(edge, '/mem/h');
    assert.equal(body(getAfter).n, 2, 'the GET went upstream: the HEAD stored no empty entry');
    const head2 = await harness().http.request(`${edge.url}/mem/h`, { method: 'HEAD' });
    const get2 = await get(edge, '/mem/h');
    assert.deepEqual([status(head2), status(get2), body(get2).n, upstream.served('/mem/h')], ['Hit', 'Hit', 2, 2]);
  });

  it('100 concurrent requests for one cold key → exactly 1 upstream request', async () => {
    const url = '/mem/cold?delay_ms=300';
    const all = await Promise.all(Array.from({ length: 100 }, () => get(edge, url)));
    assert.ok(all.every((r) => r.status === 200 && body(r).n === 1), JSON.stringify(all.map((r) => r.status)));
    assert.equal(upstream.served(url), 1);
    assert.equal(all.filter((r) => status(r) === 'Miss').length, 1);
  });

  it('stale-while-revalidate: the stale copy answers at once and one background refresh fetches a new one', async () => {
    const url = '/cc/swr?cc=max-age%3D1%2C%20stale-while-revalidate%3D30';
    await get(edge, url);
    await new Promise((r) => setTimeout(r, 2100));
    const stale = await get(edge, url);
    assert.deepEqual([status(stale), body(stale).n], ['Hit', 1]);
    await waitFor(() => upstream.served(url) === 2, { timeoutMs: 5000, intervalMs: 20, what: 'the background refresh' });
    await waitFor(async () => body(await get(edge, url)).n === 2, { timeoutMs: 5000, intervalMs: 50, what: 'the refreshed copy' });
    assert.equal(upstream.served(url), 2);
  });

  it('two edges share the Redis cache, and a purge on one empties it for both', async () => {
    const host = { host: 'api.shared.test' };
    const [a, b] = shared as [AgentHandle, AgentHandle];
    const miss = await get(a, '/shared/x', host);
    // the fill is written after the client got its answer (the tap adds no latency): wait for it
    const key = String(miss.headers['x-cache-key']);
    await waitFor(async () => (await harness().http.get(`http://127.0.0.1:${b.adminPort}/cache/${key}`)).status === 200, { timeoutMs: 3000, intervalMs: 10, what: 'the entry in Redis' });
    const hitB = await get(b, '/shared/x', host);
    assert.deepEqual([status(miss), status(hitB), body(hitB).n], ['Miss', 'Hit', 1]);
    assert.equal(hitB.headers['x-cache-key'], key);

    const purge = await harness().http.request(`http://127.0.0.1:${a.adminPort}/cache`, { method: 'DELETE' });
    assert.equal(purge.status, 204);
    const afterB = await get(b, '/shared/x', host);
    assert.deepEqual([status(afterB), body(afterB).n], ['Miss', 2]);

    // a purge dropped the URL's Vary spec too, so the new entry has a new variant key
    const key2 = String(afterB.headers['x-cache-key']);
    await waitFor(async () => (await harness().http.get(`http://127.0.0.1:${a.adminPort}/cache/${key2}`)).status === 200, { timeoutMs: 3000, intervalMs: 10, what: 'the new entry' });
    const one = await harness().http.request(`http://127.0.0.1:${b.adminPort}/cache/${key2}`, { method: 'DELETE' });
    assert.equal(one.status, 204);
    assert.equal(status(await get(a, '/shared/x', host)), 'Miss');
    const missing = await harness().http.request(`http://127.0.0.1:${a.adminPort}/cache/${'0'.repeat(64)}`, { method: 'DELETE' });
    assert.deepEqual([missing.status, missing.json()], [404, { message: 'Not found' }]);
  });

  it('the memory store never holds more than its byte bound while filled with 10x its size', async () => {
    const stats = async () => {
      const r = await harness().http.json<{ stores: { dictionary_name?: string; bytes: number; max_bytes: number; entries: number }[] }>(`http://127.0.0.1:${edge.adminPort}/cache`);
      return r.stores.find((s) => s.dictionary_name === 'small')!;
    };
    const size = 8 * 1024;
    const count = Math.ceil((10 * MEMORY_BOUND) / size);
    let peak = 0;
    for (let i = 0; i < count; i++) {
      const r = await get(edge, `/small/${i}?size=${size}`);
      assert.equal(status(r), 'Miss', `object ${i}`);
      if (i % 20 === 0 || i === count - 1) {
        const s = await stats();
        assert.equal(s.max_bytes, MEMORY_BOUND);
        assert.ok(s.bytes <= MEMORY_BOUND, `after ${i + 1} objects: ${s.bytes} bytes > ${MEMORY_BOUND}`);
        peak = Math.max(peak, s.bytes);
      }
    }
    assert.ok(peak > MEMORY_BOUND * 0.8, `it was filled (peak ${peak})`);
    assert.equal(status(await get(edge, `/small/0?size=${size}`)), 'Miss', 'the oldest object was evicted');
    assert.equal(status(await get(edge, `/small/${count - 1}?size=${size}`)), 'Hit', 'the newest is kept');
  });

  it('Redis down: requests bypass the cache and still succeed, fast', async () => {
    await redis!.stop();
    const t0 = Date.now();
    const r = await get(shared[0]!, '/shared/down', { host: 'api.shared.test' });
    assert.deepEqual([r.status, status(r)], [200, 'Bypass']);
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  });
});
