import assert from 'node:assert/strict';
import { CounterKeyMemo, counterKey, EMPTY_UUID, EXPIRY_SLACK_MS, keyPrefix, planHit, scaleLimits, used } from '../../../../../agent/plugins/rate-limiting/counters.js';
import { utc } from './fixtures.js';

describe('rate-limiting counter keys and plans', () => {
  it('builds Kong’s key ratelimit:<route>:<service>:<identifier>:<period_start>:<period>', () => {
    assert.equal(counterKey(keyPrefix('r1', 's1'), '10.0.0.1', 1_700_000_000_000, 'minute'), 'ratelimit:r1:s1:10.0.0.1:1700000000000:minute');
    assert.equal(keyPrefix(undefined, undefined), `ratelimit:${EMPTY_UUID}:${EMPTY_UUID}:`);
  });

  it('plans one key per configured period for fixed windows', () => {
    const now = utc('2024-05-17T10:11:12.345Z');
    const plan = planHit([{ period: 'second', limit: 2 }, { period: 'month', limit: 50 }], 'ratelimit:r:s:', 'id', now, false);
    assert.deepEqual(plan.request, {
      keys: [`ratelimit:r:s:id:${utc('2024-05-17T10:11:12Z')}:second`, `ratelimit:r:s:id:${utc('2024-05-01T00:00:00Z')}:month`],
      previousKeys: null,
      limits: [2, 50],
      weights: [0, 0],
      expireAtMs: [utc('2024-05-17T10:11:13Z') + EXPIRY_SLACK_MS, utc('2024-06-01T00:00:00Z') + EXPIRY_SLACK_MS],
    });
    assert.deepEqual(plan.windows.map((w) => w.period), ['second', 'month']);
  });

  it('plans previous-window keys, weights and a longer expiry for sliding windows', () => {
    const now = utc('2024-05-17T10:11:15Z');
    const plan = planHit([{ period: 'minute', limit: 10 }], 'p:', 'id', now, true);
    assert.deepEqual(plan.request.previousKeys, [`p:id:${utc('2024-05-17T10:10:00Z')}:minute`]);
    assert.deepEqual(plan.request.weights, [0.75]);
    // a key is still needed as "previous" during the next window
    assert.deepEqual(plan.request.expireAtMs, [utc('2024-05-17T10:13:00Z') + EXPIRY_SLACK_MS]);
  });

  it('counts used requests with the sliding estimate', () => {
    const plan = planHit([{ period: 'minute', limit: 10 }], 'p:', 'id', utc('2024-05-17T10:11:30Z'), true);
    assert.equal(used(plan.request, { allowed: true, counts: [3], previous: [8] }, 0), 7);
  });

  it('divides limits among agents, at least 1 each', () => {
    const plan = planHit([{ period: 'second', limit: 1 }, { period: 'minute', limit: 5 }, { period: 'hour', limit: 100 }], 'p:', 'id', 0, false);
    assert.deepEqual(scaleLimits(plan.request, 2).limits, [1, 2, 50]);
    assert.deepEqual(scaleLimits(plan.request, 3).limits, [1, 1, 33]);
    assert.equal(scaleLimits(plan.request, 1), plan.request);
    assert.equal(scaleLimits(plan.request, 0), plan.request);
    assert.equal(scaleLimits(plan.request, Number.NaN), plan.request);
  });

  it('a key memo changes no key: the same keys as without it within a window, after it moves, for another identifier', () => {
    const limits = [{ period: 'second' as const, limit: 5 }, { period: 'minute' as const, limit: 50 }];
    const memo = new CounterKeyMemo();
    const t = utc('2024-03-01T10:00:00.100Z');
    const a = planHit(limits, 'p:', 'alice', t, false, memo).request.keys;
    assert.deepEqual(a, planHit(limits, 'p:', 'alice', t, false).request.keys);
    const b = planHit(limits, 'p:', 'alice', t + 500, false, memo).request.keys;
    assert.equal(b[0], a[0]);
    assert.equal(b[1], a[1]);
    const c = planHit(limits, 'p:', 'alice', t + 1000, false, memo).request.keys;
    assert.deepEqual(c, planHit(limits, 'p:', 'alice', t + 1000, false).request.keys);
    assert.notEqual(c[0], a[0]);
    assert.equal(c[1], a[1]);
    assert.deepEqual(planHit(limits, 'p:', 'bob', t, false, memo).request.keys, planHit(limits, 'p:', 'bob', t, false).request.keys);
  });

  it('a key memo stays bounded', () => {
    const memo = new CounterKeyMemo(3);
    for (let i = 0; i < 10; i++) { memo.key('p:', `id${i}`, 0, 1000, 'second'); assert.ok(memo.size <= 3); }
    assert.equal(memo.key('p:', 'id9', 0, 1000, 'second'), counterKey('p:', 'id9', 1000, 'second'));
    assert.equal(memo.key('p:', 'id0', 0, 2000, 'second'), counterKey('p:', 'id0', 2000, 'second'));
  });
});
