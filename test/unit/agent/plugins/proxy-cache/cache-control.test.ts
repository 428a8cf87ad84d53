import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { RequestContext } from '../../../../../agent/plugins/context.js';
import { LoopbackRefresher, REFRESH_HEADER, type BackgroundRefresher } from '../../../../../agent/plugins/proxy-cache/refresh.js';
import { fakeContext } from '../support/fake-request.js';
import { cacheStatus, clock, instance, json, request, upstream } from './fixtures.js';

function recordingRefresher() {
  const keys: string[] = [];
  const r: BackgroundRefresher & { keys: string[] } = { keys, refresh: (_ctx: RequestContext, key: string) => { keys.push(key); } };
  return r;
}

describe('proxy-cache with cache_control', () => {
  const cc = (extra: Record<string, unknown> = {}) => ({ cache_control: true, ...extra });

  it('takes the lifetime from max-age (not cache_ttl)', async () => {
    const c = clock();
    const p = instance(cc({ cache_ttl: 3600 }), { now: c.now });
    const up = upstream((n) => ({ headers: json([['Cache-Control', 'max-age=5']]), body: `{"n":${n}}` }));
    await request(p, up, { url: '/m' });
    c.advance(4_000);
    assert.equal(cacheStatus(await request(p, up, { url: '/m' })), 'Hit');
    c.advance(1_000);
    assert.equal(cacheStatus(await request(p, up, { url: '/m' })), 'Refresh');
  });

  it('request no-cache goes upstream (Refresh) and replaces the entry; no-store bypasses', async () => {
    const p = instance(cc());
    const up = upstream((n) => ({ headers: json([['Cache-Control', 'max-age=60']]), body: `{"n":${n}}` }));
    await request(p, up, { url: '/r' });
    const fresh = await request(p, up, { url: '/r', headers: [['Cache-Control', 'no-cache']] });
    assert.deepEqual([cacheStatus(fresh), fresh.body], ['Refresh', '{"n":2}']);
    assert.equal((await request(p, up, { url: '/r' })).body, '{"n":2}');
    const pragma = await request(p, up, { url: '/r', headers: [['Pragma', 'no-cache']] });
    assert.equal(cacheStatus(pragma), 'Refresh');
    const noStore = await request(p, up, { url: '/r', headers: [['Cache-Control', 'no-store']] });
    assert.equal(cacheStatus(noStore), 'Bypass');
  });

  it('request directives are ignored without cache_control (Kong)', async () => {
    const p = instance();
    const up = upstream({ headers: json(), body: '{}' });
    await request(p, up, { url: '/i' });
    assert.equal(cacheStatus(await request(p, up, { url: '/i', headers: [['Cache-Control', 'no-cache']] })), 'Hit');
  });

  it('only-if-cached: 504 on a miss, the entry on a hit', async () => {
    const p = instance(cc());
    const up = upstream({ headers: json([['Cache-Control', 'max-age=60']]), body: '{"x":1}' });
    const miss = await request(p, up, { url: '/o', headers: [['Cache-Control', 'only-if-cached']] });
    assert.deepEqual([miss.status, up.calls], [504, 0]);
    await request(p, up, { url: '/o' });
    const hit = await request(p, up, { url: '/o', headers: [['Cache-Control', 'only-if-cached']] });
    assert.deepEqual([hit.status, hit.body], [200, '{"x":1}']);
  });

  it('stale-while-revalidate: serves the stale copy and asks for one background refresh', async () => {
    const c = clock();
    const refresher = recordingRefresher();
    const p = instance(cc(), { now: c.now, refresher });
    const up = upstream((n) => ({ headers: json([['Cache-Control', 'max-age=10, stale-while-revalidate=30']]), body: `{"n":${n}}` }));
    const miss = await request(p, up, { url: '/swr' });
    c.advance(15_000);
    const stale = await request(p, up, { url: '/swr' });
    assert.deepEqual([cacheStatus(stale), stale.body, stale.headers.get('age'), up.calls], ['Hit', '{"n":1}', '15', 1]);
    assert.deepEqual(refresher.keys, [miss.headers.get('x-cache-key')]);
    c.advance(30_000);
    assert.equal(cacheStatus(await request(p, up, { url: '/swr' })), 'Refresh', 'past the window it is not served');
  });

  it('stale-if-error: after the upstream failed for a key, its stale copy answers (and a probe refresh is asked for)', async () => {
    const c = clock();
    const refresher = recordingRefresher();
    const p = instance(cc(), { now: c.now, refresher });
    let failing = false;
    const up = upstream((n) => (failing
      ? { status: 502, headers: json(), body: '{"message":"bad gateway"}' }
      : { headers: json([['Cache-Control', 'max-age=10, stale-if-error=60']]), body: `{"n":${n}}` }));
    await request(p, up, { url: '/sie' });
    c.advance(20_000);
    failing = true;
    const first = await request(p, up, { url: '/sie' });
    assert.deepEqual([first.status, cacheStatus(first)], [502, 'Bypass'], 'the failing answer itself reaches its client');
    const next = await request(p, up, { url: '/sie' });
    assert.deepEqual([next.status, next.body, cacheStatus(next)], [200, '{"n":1}', 'Hit']);
    assert.equal(refresher.keys.length, 1);
    failing = false;
    c.advance(60_000);
    assert.equal(cacheStatus(await request(p, up, { url: '/sie' })), 'Refresh', 'past stale-if-error it goes upstream');
  });

  it('must-revalidate is never served stale', async () => {
    const c = clock();
    const p = instance(cc(), { now: c.now, refresher: recordingRefresher() });
    const up = upstream({ headers: json([['Cache-Control', 'max-age=1, must-revalidate, stale-while-revalidate=60']]), body: '{}' });
    await request(p, up, { url: '/mr' });
    c.advance(2_000);
    assert.equal(cacheStatus(await request(p, up, { url: '/mr' })), 'Refresh');
  });
});

describe('proxy-cache background refresh through the own listener', () => {
  let server: http.Server;
  const seen: http.IncomingHttpHeaders[] = [];

  before(async () => {
    server = http.createServer((req, res) => { seen.push(req.headers); res.end('ok'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => { await new Promise<void>((r) => server.close(() => r())); });

  it('sends the request once per key with the secret header, which the plugin takes as a refresh', async () => {
    const port = (server.address() as AddressInfo).port;
    const ctx = fakeContext({ url: '/swr?a=1', clientIp: '203.0.113.7', headers: [['Host', 'api'], ['Accept-Language', 'de'], ['If-None-Match', '"x"'], ['X-Forwarded-For', '10.9.9.9']] });
    Object.assign(ctx.req.socket, { localAddress: '127.0.0.1', localPort: port });
    const r = new LoopbackRefresher(pino({ level: 'silent' }));
    r.refresh(ctx, 'k1');
    r.refresh(ctx, 'k1'); // in flight: not again
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    await new Promise((res) => setTimeout(res, 30));
    assert.equal(seen.length, 1);
    const got = seen[0]!;
    assert.deepEqual([got['accept-language'], got['if-none-match'], got.host], ['de', undefined, 'api']);
    assert.equal(got['x-forwarded-for'], '203.0.113.7', 'the client address the edge settled on, not the client\'s claim');
    const token = String(got[REFRESH_HEADER]);

    // the plugin: the token means "go upstream and store", even when a fresh entry exists
    const p = instance();
    const up = upstream((n) => ({ headers: json(), body: `{"n":${n}}` }));
    await request(p, up, { url: '/swr?a=1' });
    const refreshed = await request(p, up, { url: '/swr?a=1', headers: [[REFRESH_HEADER, token]] });
    assert.deepEqual([cacheStatus(refreshed), up.calls], ['Refresh', 2]);
    assert.equal(refreshed.ctx.upstreamHeaders.get(REFRESH_HEADER), undefined, 'the token never reaches the upstream');
    assert.equal((await request(p, up, { url: '/swr?a=1' })).body, '{"n":2}');
  });
});
