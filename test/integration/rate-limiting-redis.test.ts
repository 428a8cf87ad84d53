// The rate-limiting Redis store and plugin against a real redis-server: exact counting under
// concurrency from two independent clients (two edge agents), and what happens when Redis dies.
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import type { RedisSettings } from '../../agent/plugins/rate-limiting/config.js';
import { planHit } from '../../agent/plugins/rate-limiting/counters.js';
import { createRedisClient, openRedisClients } from '../../agent/plugins/rate-limiting/redis-clients.js';
import { RedisCounterStore } from '../../agent/plugins/rate-limiting/redis-store.js';
import { createRateLimiter } from '../../agent/plugins/rate-limiting/rate-limiting.js';
import type { RateLimiter } from '../../agent/plugins/rate-limiting/limiter.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { config, ctx, env, recordingLogger } from '../unit/agent/plugins/rate-limiting/fixtures.js';

const settings = (port: number, timeoutMs = 2000): RedisSettings => ({
  host: '127.0.0.1', port, timeoutMs, username: undefined, password: undefined, database: 0, ssl: false, sslVerify: false, serverName: undefined,
});

describe('rate-limiting with a real Redis', function () {
  this.timeout(30_000);
  let redis: RedisServer | undefined;
  const clients: Redis[] = [];
  const limiters: RateLimiter[] = [];

  const server = (): RedisServer => { if (!redis) throw new Error('redis not started'); return redis; };
  const client = (): Redis => { const c = createRedisClient(settings(server().port)); clients.push(c); return c; };
  const limiter = (raw: Record<string, unknown>, route: string, clusterSize = 1) => {
    const l = createRateLimiter(config({ policy: 'redis', redis: { host: '127.0.0.1', port: server().port, timeout: 1000 }, ...raw }), env({ route, service: 'svc', clusterSize, log: recordingLogger() }));
    limiters.push(l);
    return l;
  };

  before(async function () {
    this.timeout(320_000); // may install redis-server once
    redis = await startRedis();
  });

  after(async () => {
    for (const l of limiters) l.close();
    for (const c of clients) c.disconnect();
    await redis?.stop();
  });

  it('lets exactly 5 of 100 concurrent requests through 5/minute across two independent clients', async () => {
    const stores = [new RedisCounterStore(client()), new RedisCounterStore(client())];
    const now = Date.now();
    const plan = planHit([{ period: 'minute', limit: 5 }], 'ratelimit:it-route:it-svc:', 'shared-id', now, false);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % 2]!.hit(plan.request)));
    assert.equal(results.filter((r) => r.allowed).length, 5);
    assert.deepEqual(results.filter((r) => r.allowed).map((r) => r.counts[0]).sort(), [1, 2, 3, 4, 5]);
    const check = clients[0]!;
    // refused requests did not count
    assert.equal(await check.get(plan.request.keys[0]!), '5');
    const pttl = await check.pttl(plan.request.keys[0]!);
    assert.ok(pttl > 0 && pttl <= 61_000 + 1000, `expiry set on the first increment (pttl ${pttl})`);
  });

  it('increments every period only when all are under their limits, atomically', async () => {
    const store = new RedisCounterStore(client());
    const plan = planHit([{ period: 'second', limit: 50 }, { period: 'hour', limit: 7 }], 'ratelimit:it-multi:svc:', 'id', Date.now(), false);
    const results = await Promise.all(Array.from({ length: 40 }, () => store.hit(plan.request)));
    assert.equal(results.filter((r) => r.allowed).length, 7);
    assert.deepEqual(await clients[0]!.mget(...plan.request.keys), ['7', '7']);
  });

  it('applies the sliding estimate with the previous window kept in Redis', async () => {
    const store = new RedisCounterStore(client());
    const plan = planHit([{ period: 'hour', limit: 10 }], 'ratelimit:it-sliding:svc:', 'id', Date.now(), true);
    await clients[0]!.set(plan.request.previousKeys![0]!, '8', 'PX', 60_000);
    const weighed = 8 * plan.request.weights[0]!;
    const want = Array.from({ length: 10 }, (_, k) => k + weighed < 10).filter(Boolean).length;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.hit(plan.request)));
    assert.equal(results.filter((r) => r.allowed).length, want);
    assert.ok(results.every((r) => r.previous[0] === 8));
  });

  it('plugin instances with the same Redis share one client and count exactly', async () => {
    const before = openRedisClients();
    // hours, so that a window boundary cannot fall inside the test
    const a = limiter({ hour: 5, limit_by: 'ip' }, 'it-plugin');
    const b = limiter({ hour: 5, limit_by: 'ip' }, 'it-plugin');
    assert.equal(openRedisClients(), before + 1);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).access(ctx({ ip: '203.0.113.5' }))));
    const refused = answers.filter((x) => x?.status === 429);
    assert.equal(answers.filter((x) => x === undefined).length, 5);
    assert.equal(refused.length, 25);
    assert.ok(refused.every((x) => Number(x?.headers?.['Retry-After']) >= 1));
  });

  it('Redis hanging: the command timeout (redis.timeout) ends the wait and local counters answer', async () => {
    const hanging = limiter({ hour: 10, limit_by: 'ip', redis: { host: '127.0.0.1', port: server().port, timeout: 300 } }, 'it-hang');
    assert.equal(await hanging.access(ctx()), undefined, 'connected and counted in Redis');
    server().child.signal('SIGSTOP');
    try {
      const t0 = Date.now();
      const c = ctx();
      assert.equal(await hanging.access(c), undefined);
      const waited = Date.now() - t0;
      assert.ok(waited >= 250 && waited < 3000, `answered after the 300 ms command timeout (${waited} ms)`);
      // the local count starts from zero: it cannot know what Redis had
      assert.equal(c.clientHeaders.get('X-RateLimit-Remaining-Hour'), '9');
    } finally {
      server().child.signal('SIGCONT');
    }
  });

  it('Redis stopped: fault_tolerant counts locally (limits per agent), otherwise answers 500 — fast', async () => {
    const tolerant = limiter({ hour: 6, limit_by: 'ip' }, 'it-down-tolerant', 2);
    const strict = limiter({ hour: 6, limit_by: 'ip', fault_tolerant: false }, 'it-down-strict');
    // both connected and counting in Redis first
    assert.equal(await tolerant.access(ctx()), undefined);
    assert.equal(await strict.access(ctx()), undefined);
    await server().stop();

    const t0 = Date.now();
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) seen.push((await tolerant.access(ctx()))?.status);
    // 6 per hour over 2 agents = 3 locally
    assert.deepEqual(seen, [undefined, undefined, undefined, 429, 429]);
    const r = await strict.access(ctx());
    assert.deepEqual(r, { status: 500, body: { message: 'An unexpected error occurred' } });
    assert.ok(Date.now() - t0 < 5000, `a dead Redis fails fast (${Date.now() - t0} ms for 6 requests)`);
  });

  it('goes back to Redis once it answers again', async () => {
    const port = server().port;
    redis = await startRedis({ port });
    const l = limiter({ hour: 1000, limit_by: 'ip' }, 'it-recover');
    const check = client();
    await waitFor(async () => {
      const key = planHit([{ period: 'hour', limit: 1000 }], 'ratelimit:it-recover:svc:', '10.0.0.1', Date.now(), false).request.keys[0]!;
      await l.access(ctx());
      return (await check.get(key).catch(() => null)) !== null;
    }, { timeoutMs: 15_000, intervalMs: 200, what: 'the plugin to count in the restarted Redis' });
  });
});
