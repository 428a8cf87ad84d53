import assert from 'node:assert/strict';
import type { RequestContext } from '../../../../../agent/plugins/context.js';
import type { ShortCircuit } from '../../../../../agent/plugins/plugin.js';
import type { RedisSettings } from '../../../../../agent/plugins/rate-limiting/config.js';
import type { CounterRequest, CounterResult } from '../../../../../agent/plugins/rate-limiting/counters.js';
import type { RateLimiter } from '../../../../../agent/plugins/rate-limiting/limiter.js';
import { LocalCounterStore } from '../../../../../agent/plugins/rate-limiting/local-store.js';
import { WarnThrottle, type SharedRedis } from '../../../../../agent/plugins/rate-limiting/redis-clients.js';
import { createRateLimiter, rateLimitingPlugin } from '../../../../../agent/plugins/rate-limiting/rate-limiting.js';
import { config, ctx, env, FakeClock, recordingLogger, utc } from './fixtures.js';

const T0 = utc('2024-05-17T10:11:30Z');

/** A Redis stand-in: answers from a local store, or fails while `down`. */
class FakeRedis implements SharedRedis {
  down = false;
  released = 0;
  calls = 0;
  readonly backing = new LocalCounterStore();
  readonly warn = new WarnThrottle(5000);
  readonly store = {
    hit: async (req: CounterRequest, nowMs: number): Promise<CounterResult> => {
      this.calls++;
      if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      return this.backing.hit(req, nowMs);
    },
  };
  shouldWarn(nowMs: number): boolean { return this.warn.shouldWarn(nowMs); }
  release(): void { this.released++; }
}

function setup(raw: Record<string, unknown>, opts: { clusterSize?: number } = {}) {
  const clock = new FakeClock(T0);
  const local = new LocalCounterStore();
  const redis = new FakeRedis();
  const settingsSeen: RedisSettings[] = [];
  const log = recordingLogger();
  const rl = createRateLimiter(config(raw), env({ route: 'r1', service: 's1', log, ...(opts.clusterSize ? { clusterSize: opts.clusterSize } : {}) }), {
    now: clock.now, localStore: local, acquireRedis: (s) => { settingsSeen.push(s); return redis; },
  });
  return { rl, clock, local, redis, log, settingsSeen };
}

async function run(rl: RateLimiter, c: RequestContext = ctx()): Promise<{ sc: ShortCircuit | undefined; ctx: RequestContext }> {
  return { sc: (await rl.access(c)) ?? undefined, ctx: c };
}
const header = (c: RequestContext, name: string) => c.clientHeaders.get(name);

describe('rate-limiting plugin instance', () => {
  it('is created by the factory with Kong’s name and priority', () => {
    const i = rateLimitingPlugin.create(config({ minute: 5 }), env());
    assert.equal(i.name, 'rate-limiting');
    assert.equal(i.priority, 910);
  });

  it('local policy: answers synchronously, sets the headers, refuses the 6th of 5/minute with 429', async () => {
    const { rl, local } = setup({ minute: 5 });
    const first = rl.access(ctx());
    assert.equal(first, undefined, 'no promise on the local path');
    for (let i = 2; i <= 5; i++) assert.equal((await run(rl)).sc, undefined);
    const { sc, ctx: c } = await run(rl);
    assert.deepEqual(sc, { status: 429, body: { message: 'API rate limit exceeded' }, headers: { 'Retry-After': '30' } });
    assert.equal(header(c, 'X-RateLimit-Limit-Minute'), '5');
    assert.equal(header(c, 'X-RateLimit-Remaining-Minute'), '0');
    assert.equal(header(c, 'RateLimit-Reset'), '30');
    assert.equal(local.count(`ratelimit:r1:s1:10.0.0.1:${utc('2024-05-17T10:11:00Z')}:minute`, T0), 5);
  });

  it('headers on an allowed request describe what is left', async () => {
    const { rl } = setup({ second: 2, minute: 10 });
    const { ctx: c } = await run(rl);
    assert.deepEqual(c.clientHeaders.entries(), [
      ['X-RateLimit-Limit-Second', '2'], ['X-RateLimit-Remaining-Second', '1'],
      ['X-RateLimit-Limit-Minute', '10'], ['X-RateLimit-Remaining-Minute', '9'],
      ['RateLimit-Limit', '2'], ['RateLimit-Remaining', '1'], ['RateLimit-Reset', '1'],
    ]);
  });

  it('uses error_code and error_message', async () => {
    const { rl } = setup({ minute: 1, error_code: 503, error_message: 'slow down' });
    await run(rl);
    const { sc } = await run(rl);
    assert.equal(sc?.status, 503);
    assert.deepEqual(sc?.body, { message: 'slow down' });
  });

  it('hide_client_headers: no headers, and (as Kong) no Retry-After', async () => {
    const { rl } = setup({ minute: 1, hide_client_headers: true });
    await run(rl);
    const { sc, ctx: c } = await run(rl);
    assert.deepEqual(sc, { status: 429, body: { message: 'API rate limit exceeded' } });
    assert.deepEqual(c.clientHeaders.entries(), []);
  });

  it('counts per identifier and starts over in the next window', async () => {
    const { rl, clock } = setup({ minute: 1, limit_by: 'ip' });
    assert.equal((await run(rl, ctx({ ip: '10.0.0.1' }))).sc, undefined);
    assert.equal((await run(rl, ctx({ ip: '10.0.0.2' }))).sc, undefined);
    assert.equal((await run(rl, ctx({ ip: '10.0.0.1' }))).sc?.status, 429);
    clock.advance(30_000);
    assert.equal((await run(rl, ctx({ ip: '10.0.0.1' }))).sc, undefined);
  });

  it('sliding windows carry the previous window over', async () => {
    const { rl, clock } = setup({ minute: 4, window_type: 'sliding' });
    for (let i = 0; i < 4; i++) assert.equal((await run(rl)).sc, undefined);
    clock.advance(45_000); // 15 s into the next minute: 4 × 0.75 = 3 used
    assert.equal((await run(rl)).sc, undefined);
    assert.equal((await run(rl)).sc?.status, 429);
  });

  it('redis policy: counts in Redis with the mapped settings and releases the client on close', async () => {
    const { rl, redis, local, settingsSeen } = setup({ minute: 2, policy: 'redis', redis_host: 'redis.internal', redis_port: 6380 });
    assert.equal(settingsSeen[0]?.host, 'redis.internal');
    assert.equal(settingsSeen[0]?.port, 6380);
    assert.equal((await run(rl)).sc, undefined);
    assert.equal((await run(rl)).sc, undefined);
    assert.equal((await run(rl)).sc?.status, 429);
    assert.equal(redis.calls, 3);
    assert.equal(local.size, 0, 'nothing counted locally');
    rl.close();
    assert.equal(redis.released, 1);
  });

  it('redis down, fault_tolerant: local counters with limits divided among the edge agents; warns at most every 5 s', async () => {
    const { rl, redis, clock, log } = setup({ minute: 5, policy: 'redis', redis: { host: 'r' } }, { clusterSize: 2 });
    redis.down = true;
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await run(rl));
    assert.deepEqual(got.map((g) => g.sc?.status ?? 200), [200, 200, 429, 429]);
    assert.equal(header(got[0]!.ctx, 'X-RateLimit-Limit-Minute'), '2');
    assert.equal(header(got[2]!.ctx, 'Retry-After'), undefined, 'Retry-After is on the short-circuit');
    assert.equal(got[2]!.sc?.headers?.['Retry-After'], '30');
    assert.equal(log.records.filter((r) => r.level === 'warn').length, 1);
    clock.advance(5000);
    await run(rl);
    assert.equal(log.records.filter((r) => r.level === 'warn').length, 2);
    // Redis back: its counters rule again
    redis.down = false;
    assert.equal((await run(rl)).sc, undefined);
  });

  it('redis down, not fault_tolerant: 500 with Kong’s message and no rate-limit headers', async () => {
    const { rl, redis, log } = setup({ minute: 5, policy: 'redis', redis: { host: 'r' }, fault_tolerant: false });
    redis.down = true;
    const { sc, ctx: c } = await run(rl);
    assert.deepEqual(sc, { status: 500, body: { message: 'An unexpected error occurred' } });
    assert.deepEqual(c.clientHeaders.entries(), []);
    assert.equal(log.records.filter((r) => r.level === 'error').length, 1);
  });

  it('logs that sync_rate is ignored for redis', () => {
    const { log } = setup({ minute: 5, policy: 'redis', redis: { host: 'r' }, sync_rate: 1 });
    assert.ok(log.records.some((r) => r.level === 'info' && r.msg.includes('sync_rate is ignored')));
  });
});
