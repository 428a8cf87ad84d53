import assert from 'node:assert/strict';
import { planHit } from '../../../../../agent/plugins/rate-limiting/counters.js';
import { LocalCounterStore } from '../../../../../agent/plugins/rate-limiting/local-store.js';
import type { Period } from '../../../../../agent/plugins/rate-limiting/windows.js';
import { utc } from './fixtures.js';

const T0 = utc('2024-05-17T10:11:00Z');
type Limits = { period: Period; limit: number }[];
const hit = (store: LocalCounterStore, limits: Limits, nowMs: number, id = 'id', sliding = false) =>
  store.hit(planHit(limits, 'ratelimit:r:s:', id, nowMs, sliding).request, nowMs);

describe('rate-limiting local store', () => {
  it('allows up to the limit and refuses without counting the refusal', () => {
    const store = new LocalCounterStore();
    const limits: Limits = [{ period: 'minute', limit: 3 }];
    const seen = [1, 2, 3, 4, 5].map((i) => hit(store, limits, T0 + i));
    assert.deepEqual(seen.map((r) => r.allowed), [true, true, true, false, false]);
    assert.deepEqual(seen.map((r) => r.counts[0]), [1, 2, 3, 3, 3]);
  });

  it('refuses when any period is full and then increments none', () => {
    const store = new LocalCounterStore();
    const limits: Limits = [{ period: 'second', limit: 2 }, { period: 'minute', limit: 3 }];
    assert.deepEqual(hit(store, limits, T0).counts, [1, 1]);
    assert.deepEqual(hit(store, limits, T0 + 1).counts, [2, 2]);
    assert.deepEqual(hit(store, limits, T0 + 2), { allowed: false, counts: [2, 2], previous: [0, 0] });
    assert.deepEqual(hit(store, limits, T0 + 1000), { allowed: true, counts: [1, 3], previous: [0, 0] });
    assert.deepEqual(hit(store, limits, T0 + 2000), { allowed: false, counts: [0, 3], previous: [0, 0] });
  });

  it('starts over in the next window and keeps identifiers apart', () => {
    const store = new LocalCounterStore();
    const limits: Limits = [{ period: 'minute', limit: 1 }];
    assert.equal(hit(store, limits, T0, 'a').allowed, true);
    assert.equal(hit(store, limits, T0 + 59_999, 'a').allowed, false);
    assert.equal(hit(store, limits, T0 + 59_999, 'b').allowed, true);
    assert.equal(hit(store, limits, T0 + 60_000, 'a').allowed, true);
  });

  it('enforces the sliding estimate with the previous window', () => {
    const store = new LocalCounterStore();
    const limits: Limits = [{ period: 'minute', limit: 10 }];
    for (let i = 0; i < 10; i++) assert.equal(hit(store, limits, T0 + 50_000 + i, 'id', true).allowed, true);
    // 15 s into the next minute the previous 10 weigh 10 × 0.75 = 7.5; a request is allowed while
    // the estimate is below the limit (Kong's `usage < limit`): 7.5, 8.5, 9.5 pass, 10.5 does not
    const next = T0 + 75_000;
    const got = [0, 1, 2, 3].map((i) => hit(store, limits, next + i, 'id', true));
    assert.deepEqual(got.map((r) => r.allowed), [true, true, true, false]);
    assert.deepEqual(got[3], { allowed: false, counts: [3], previous: [10] });
    // 45 s in: 3 + 10 × 0.25 = 5.5, so 5 more (5.5 … 9.5) pass
    const late = [0, 1, 2, 3, 4, 5].map((i) => hit(store, limits, T0 + 105_000 + i, 'id', true).allowed);
    assert.deepEqual(late, [true, true, true, true, true, false]);
  });

  it('forgets counters at their expiry and sweeps them out', () => {
    const store = new LocalCounterStore({ sweepIntervalMs: 1000 });
    const limits: Limits = [{ period: 'second', limit: 5 }];
    for (let i = 0; i < 10; i++) hit(store, limits, T0 + 10, `id${i}`);
    assert.equal(store.size, 10);
    // expired (window end + slack) but not yet swept
    assert.equal(store.count(`ratelimit:r:s:id0:${T0}:second`, T0 + 2001), 0);
    assert.equal(store.sweep(T0 + 2001), 10);
    assert.equal(store.size, 0);
  });

  it('sweeps by itself, at most once per interval', () => {
    const store = new LocalCounterStore({ sweepIntervalMs: 10_000 });
    const limits: Limits = [{ period: 'second', limit: 5 }];
    hit(store, limits, T0, 'old'); // first hit sweeps (nothing) and schedules the next sweep at T0+10s
    hit(store, limits, T0 + 5000, 'mid');
    assert.equal(store.size, 2, 'no sweep before the interval');
    hit(store, limits, T0 + 10_000, 'new');
    assert.equal(store.size, 1, 'expired windows swept');
  });

  it('stays under maxEntries by dropping the oldest counters', () => {
    const store = new LocalCounterStore({ maxEntries: 100 });
    const limits: Limits = [{ period: 'hour', limit: 5 }];
    for (let i = 0; i < 1000; i++) hit(store, limits, T0, `flood${i}`);
    assert.equal(store.size, 100);
    assert.equal(store.count(`ratelimit:r:s:flood999:${utc('2024-05-17T10:00:00Z')}:hour`, T0), 1);
    assert.equal(store.count(`ratelimit:r:s:flood0:${utc('2024-05-17T10:00:00Z')}:hour`, T0), 0);
  });
});
