import assert from 'node:assert/strict';
import { MemoryCacheStore } from '../../../../../agent/plugins/proxy-cache/memory-store.js';
import { REFRESH_HEADER } from '../../../../../agent/plugins/proxy-cache/refresh.js';
import type { CacheStore } from '../../../../../agent/plugins/proxy-cache/store.js';
import { configIssues } from '../support/fake-request.js';
import { proxyCachePlugin } from '../../../../../agent/plugins/proxy-cache/proxy-cache.js';
import { ProxyCacheInstance } from '../../../../../agent/plugins/proxy-cache/cache-instance.js';
import { cacheStatus, clock, env, instance, json, request, settings, upstream } from './fixtures.js';

const text = (extra: [string, string][] = []): [string, string][] => [['Content-Type', 'text/plain; charset=utf-8'], ...extra];

describe('proxy-cache plugin', () => {
  it('Miss, then Hit with the stored status, headers, body, Age and the same X-Cache-Key', async () => {
    const c = clock();
    const p = instance({}, { now: c.now });
    const up = upstream((n) => ({ status: 404, headers: text([['ETag', '"v1"'], ['X-Request-Id', `up-${n}`], ['Connection', 'close']]), body: `not here ${n}` }));
    const miss = await request(p, up, { url: '/x?a=1', headers: [['Host', 'api']] });
    assert.equal(cacheStatus(miss), 'Miss');
    c.advance(7_500);
    const hit = await request(p, up, { url: '/x?a=1', headers: [['Host', 'api']] });
    assert.equal(up.calls, 1);
    assert.deepEqual([hit.fromCache, hit.status, hit.body, cacheStatus(hit)], [true, 404, 'not here 1', 'Hit']);
    assert.equal(hit.headers.get('x-cache-key'), miss.headers.get('x-cache-key'));
    assert.match(miss.headers.get('x-cache-key')!, /^[0-9a-f]{64}$/);
    assert.equal(hit.headers.get('age'), '7');
    assert.equal(hit.headers.get('etag'), '"v1"');
    assert.equal(hit.headers.get('x-request-id'), undefined, 'the filling request id is not replayed');
    assert.equal(hit.headers.get('connection'), undefined, 'hop-by-hop fields are not replayed');
  });

  it('headers other plugins add per request are not stored (they are added again on a hit)', async () => {
    const p = instance();
    // rate-limiting's access phase would have set this on the context
    const up = upstream((_n, ctx) => { ctx.clientHeaders.set('X-RateLimit-Remaining-Minute', '4'); return { headers: json(), body: '{}' }; });
    const miss = await request(p, up, { url: '/rl' });
    assert.equal(miss.headers.get('x-ratelimit-remaining-minute'), '4');
    const hit = await request(p, up, { url: '/rl' });
    assert.equal(cacheStatus(hit), 'Hit');
    assert.equal(hit.headers.get('x-ratelimit-remaining-minute'), undefined);
  });

  it('expires after cache_ttl: Refresh, then Hit on the new copy', async () => {
    const c = clock();
    const p = instance({ cache_ttl: 10 }, { now: c.now });
    const up = upstream((n) => ({ headers: json(), body: `{"n":${n}}` }));
    await request(p, up, { url: '/t' });
    c.advance(10_000);
    const refreshed = await request(p, up, { url: '/t' });
    assert.deepEqual([cacheStatus(refreshed), refreshed.body], ['Refresh', '{"n":2}']);
    const hit = await request(p, up, { url: '/t' });
    assert.deepEqual([cacheStatus(hit), hit.body], ['Hit', '{"n":2}']);
  });

  it('Vary from the upstream keeps variants apart; Vary: * is never served', async () => {
    const p = instance();
    const up = upstream((_n, ctx) => ({ headers: json([['Vary', 'Accept-Language']]), body: `{"lang":"${ctx.header('accept-language')}"}` }));
    const de = (await request(p, up, { url: '/v', headers: [['Accept-Language', 'de']] }));
    const en = (await request(p, up, { url: '/v', headers: [['Accept-Language', 'en']] }));
    const de2 = (await request(p, up, { url: '/v', headers: [['Accept-Language', 'de']] }));
    const en2 = (await request(p, up, { url: '/v', headers: [['Accept-Language', 'en']] }));
    assert.deepEqual([de, en, de2, en2].map(cacheStatus), ['Miss', 'Miss', 'Hit', 'Hit']);
    assert.deepEqual([de2.body, en2.body], ['{"lang":"de"}', '{"lang":"en"}']);
    assert.notEqual(de.headers.get('x-cache-key'), en.headers.get('x-cache-key'));

    const star = upstream({ headers: json([['Vary', '*']]), body: '{}' });
    await request(p, star, { url: '/star' });
    const again = await request(p, star, { url: '/star' });
    assert.deepEqual([cacheStatus(again), star.calls], ['Bypass', 2]);
  });

  const neverShared: [string, [string, string][]][] = [
    ['Set-Cookie', [['Set-Cookie', 'sid=alice']]],
    ['Cache-Control: private', [['Cache-Control', 'private']]],
    ['Cache-Control: no-store', [['Cache-Control', 'no-store']]],
  ];
  for (const [what, extra] of neverShared) {
    it(`a response with ${what} is never served to another client`, async () => {
      const p = instance();
      const up = upstream((n) => ({ headers: json(extra), body: `{"user":${n}}` }));
      const alice = await request(p, up, { url: '/me' });
      const bob = await request(p, up, { url: '/me' });
      assert.deepEqual([cacheStatus(alice), cacheStatus(bob), bob.body, up.calls], ['Bypass', 'Bypass', '{"user":2}', 2]);
    });
  }

  it('Authorization: not stored unless public; a public answer is shared', async () => {
    const p = instance();
    const personal = upstream((n) => ({ headers: json([['Cache-Control', 'max-age=60']]), body: `{"n":${n}}` }));
    const auth: [string, string][] = [['Authorization', 'Bearer alice']];
    const a = await request(p, personal, { url: '/acct', headers: auth });
    const anon = await request(p, personal, { url: '/acct' });
    assert.deepEqual([cacheStatus(a), cacheStatus(anon), anon.body], ['Bypass', 'Miss', '{"n":2}']);
    const withAuth = await request(p, personal, { url: '/acct', headers: auth });
    assert.equal(withAuth.fromCache, false, 'an entry that is not public never answers a request with Authorization');

    const pub = upstream({ headers: json([['Cache-Control', 'public, max-age=60']]), body: '{"public":true}' });
    const first = await request(p, pub, { url: '/pub', headers: auth });
    const other = await request(p, pub, { url: '/pub', headers: [['Authorization', 'Bearer bob']] });
    const none = await request(p, pub, { url: '/pub' });
    assert.deepEqual([cacheStatus(first), cacheStatus(other), cacheStatus(none), pub.calls], ['Miss', 'Hit', 'Hit', 1]);
  });

  it('HEAD never poisons GET: a HEAD miss stores nothing, a later HEAD is answered from GET’s entry', async () => {
    const p = instance();
    const up = upstream({ headers: json(), body: '{"full":"body"}' });
    const head = await request(p, up, { url: '/h', method: 'HEAD' });
    assert.equal(cacheStatus(head), 'Miss');
    const get = await request(p, up, { url: '/h' });
    assert.deepEqual([cacheStatus(get), get.body, up.calls], ['Miss', '{"full":"body"}', 2]);
    const head2 = await request(p, up, { url: '/h', method: 'HEAD' });
    const get2 = await request(p, up, { url: '/h' });
    assert.deepEqual([cacheStatus(head2), cacheStatus(get2), get2.body, up.calls], ['Hit', 'Hit', '{"full":"body"}', 2]);
  });

  it('methods not listed bypass; a successful unsafe request invalidates the URL', async () => {
    const p = instance();
    const up = upstream((n) => ({ headers: json(), body: `{"n":${n}}` }));
    await request(p, up, { url: '/doc' });
    assert.equal(cacheStatus(await request(p, up, { url: '/doc' })), 'Hit');
    const post = await request(p, up, { url: '/doc', method: 'POST' });
    assert.equal(cacheStatus(post), 'Bypass');
    const after = await request(p, up, { url: '/doc' });
    assert.deepEqual([cacheStatus(after), after.body], ['Miss', '{"n":3}']);
    const failed = upstream({ status: 500, headers: json(), body: '{}' });
    await request(p, failed, { url: '/doc', method: 'DELETE' });
    assert.equal(cacheStatus(await request(p, up, { url: '/doc' })), 'Hit', 'a failed unsafe request invalidates nothing');
  });

  it('does not store bodies above max_object_bytes; binary bodies are stored and replayed', async () => {
    const p = instance({ max_object_bytes: 2048 });
    const big = upstream({ headers: text(), body: 'x'.repeat(3000) });
    await request(p, big, { url: '/big' });
    assert.equal(cacheStatus(await request(p, big, { url: '/big' })), 'Miss');
    const binary = upstream({ headers: text(), body: Buffer.from([0xff, 0xfe, 0x00]) });
    await request(p, binary, { url: '/bin' });
    assert.equal((await request(p, binary, { url: '/bin' })).fromCache, true);
  });

  it('store failures bypass the cache instead of failing the request', async () => {
    const broken: CacheStore = {
      getResponse: () => Promise.reject(new Error('down')), getVary: () => Promise.reject(new Error('down')),
      put: () => Promise.reject(new Error('down')),
      delete: () => Promise.reject(new Error('down')), purge: () => Promise.reject(new Error('down')), stats: () => Promise.reject(new Error('down')),
    };
    const p = instance({}, { store: broken });
    const up = upstream({ headers: json(), body: '{}' });
    const r = await request(p, up, { url: '/x' });
    assert.deepEqual([r.status, cacheStatus(r)], [200, 'Bypass']);
    const post = await request(p, up, { url: '/x', method: 'POST' });
    assert.equal(post.status, 200);
  });

  it('a forged refresh header is dropped before the upstream and changes nothing', async () => {
    const p = instance();
    const up = upstream({ headers: json(), body: '{}' });
    await request(p, up, { url: '/f' });
    const r = await request(p, up, { url: '/f', headers: [[REFRESH_HEADER, 'guess']] });
    assert.equal(cacheStatus(r), 'Hit');
    const ctxSeen: string[] = [];
    const spy = upstream((_n, ctx) => { ctxSeen.push(String(ctx.upstreamHeaders.get(REFRESH_HEADER))); return { headers: json(), body: '{}' }; });
    await request(p, spy, { url: '/g', headers: [[REFRESH_HEADER, 'guess']] });
    assert.deepEqual(ctxSeen, ['undefined']);
  });

  it('uses one memory store per settings and releases it on close', async () => {
    const make = () => new ProxyCacheInstance(settings({ memory: { dictionary_name: 'close-test' } }), env());
    const a = make();
    const b = make();
    assert.equal(a.store, b.store);
    assert.ok(a.store instanceof MemoryCacheStore);
    a.close();
    b.close();
  });

  it('config: Kong defaults, and the extra rules', () => {
    const { config, issues } = configIssues(proxyCachePlugin, {});
    assert.deepEqual(issues, []);
    assert.deepEqual(
      [config.response_code, config.request_method, config.content_type, config.cache_ttl, config.strategy, config.cache_control, config.memory],
      [[200, 301, 404], ['GET', 'HEAD'], ['text/plain', 'application/json'], 300, 'memory', false, { dictionary_name: 'kong_db_cache' }],
    );
    assert.deepEqual([config.memory_max_bytes, config.max_object_bytes], [128 * 1024 * 1024, 1024 * 1024]);
    assert.deepEqual(configIssues(proxyCachePlugin, { strategy: 'redis' }).issues, ['redis.host: required when strategy is redis']);
    assert.deepEqual(configIssues(proxyCachePlugin, { content_type: ['json'] }).issues, ["content_type.0: 'json' is not a media type (type/subtype)"]);
    assert.deepEqual(configIssues(proxyCachePlugin, { memory_max_bytes: 4096, max_object_bytes: 8192 }).issues, ['max_object_bytes: cannot exceed memory_max_bytes']);
    assert.equal(configIssues(proxyCachePlugin, { request_method: ['DELETE'] }).issues.length, 1);
    assert.equal(configIssues(proxyCachePlugin, { nope: 1 }).issues.length, 1);
    assert.deepEqual(configIssues(proxyCachePlugin, { vary_headers: null, storage_ttl: null, redis: { host: null } }).issues, []);
  });
});
