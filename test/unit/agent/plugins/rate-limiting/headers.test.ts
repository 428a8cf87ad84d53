import assert from 'node:assert/strict';
import { planHit, type CounterResult } from '../../../../../agent/plugins/rate-limiting/counters.js';
import { mostRestrictive, periodHeaderNames, rateLimitHeaders } from '../../../../../agent/plugins/rate-limiting/headers.js';
import type { Period } from '../../../../../agent/plugins/rate-limiting/windows.js';
import { utc } from './fixtures.js';

const NOW = utc('2024-05-17T10:11:45.250Z');

function headersFor(limits: { period: Period; limit: number }[], res: CounterResult, sliding = false, nowMs = NOW) {
  const plan = planHit(limits, 'p:', 'id', nowMs, sliding);
  const names = periodHeaderNames(limits.map((l) => l.period));
  const out = rateLimitHeaders(names, plan, res, nowMs);
  return { headers: Object.fromEntries(out.headers), resetS: out.resetS, most: plan.windows[mostRestrictive(plan, res)]!.period };
}

describe('rate-limiting headers', () => {
  it('names every period the way Kong capitalises it', () => {
    assert.deepEqual(periodHeaderNames(['second', 'minute', 'hour', 'day', 'month', 'year']).map((n) => [n.limit, n.remaining]), [
      ['X-RateLimit-Limit-Second', 'X-RateLimit-Remaining-Second'],
      ['X-RateLimit-Limit-Minute', 'X-RateLimit-Remaining-Minute'],
      ['X-RateLimit-Limit-Hour', 'X-RateLimit-Remaining-Hour'],
      ['X-RateLimit-Limit-Day', 'X-RateLimit-Remaining-Day'],
      ['X-RateLimit-Limit-Month', 'X-RateLimit-Remaining-Month'],
      ['X-RateLimit-Limit-Year', 'X-RateLimit-Remaining-Year'],
    ]);
  });

  it('counts the current request in Remaining when it is allowed', () => {
    const got = headersFor([{ period: 'minute', limit: 5 }], { allowed: true, counts: [1], previous: [0] });
    assert.deepEqual(got.headers, {
      'X-RateLimit-Limit-Minute': '5', 'X-RateLimit-Remaining-Minute': '4',
      'RateLimit-Limit': '5', 'RateLimit-Remaining': '4', 'RateLimit-Reset': '15',
    });
  });

  it('shows 0 left and the reset of the full window on a refusal', () => {
    const got = headersFor([{ period: 'second', limit: 10 }, { period: 'hour', limit: 20 }], { allowed: false, counts: [3, 20], previous: [0, 0] });
    assert.equal(got.headers['X-RateLimit-Remaining-Second'], '7');
    assert.equal(got.headers['X-RateLimit-Remaining-Hour'], '0');
    assert.equal(got.most, 'hour');
    assert.equal(got.headers['RateLimit-Limit'], '20');
    assert.equal(got.headers['RateLimit-Remaining'], '0');
    assert.equal(got.resetS, 48 * 60 + 15);
    assert.equal(got.headers['RateLimit-Reset'], String(got.resetS));
  });

  const ROWS: readonly [string, { period: Period; limit: number }[], number[], Period][] = [
    ['the period with fewest left', [{ period: 'second', limit: 5 }, { period: 'minute', limit: 100 }], [1, 98], 'minute'],
    ['the shorter one when it has fewer left', [{ period: 'second', limit: 5 }, { period: 'minute', limit: 100 }], [5, 50], 'second'],
    ['the longer window on a tie', [{ period: 'second', limit: 5 }, { period: 'minute', limit: 10 }, { period: 'hour', limit: 20 }], [2, 7, 17], 'hour'],
    ['the longer of the tied ones only', [{ period: 'second', limit: 5 }, { period: 'minute', limit: 10 }, { period: 'hour', limit: 20 }], [2, 7, 10], 'minute'],
    ['the longer window when both are exhausted', [{ period: 'minute', limit: 5 }, { period: 'day', limit: 5 }], [5, 5], 'day'],
  ];
  for (const [what, limits, counts, want] of ROWS) {
    it(`RateLimit-* describe ${what}`, () => {
      assert.equal(headersFor(limits, { allowed: true, counts, previous: counts.map(() => 0) }).most, want);
    });
  }

  it('rounds a sliding estimate down in Remaining', () => {
    // 45.25 s into the minute: weight 0.2458…; 2 + 10 × 0.2458 = 4.46 → 5 left of 10
    const got = headersFor([{ period: 'minute', limit: 10 }], { allowed: true, counts: [2], previous: [10] }, true);
    assert.equal(got.headers['X-RateLimit-Remaining-Minute'], '5');
  });

  it('never shows a negative Remaining', () => {
    const got = headersFor([{ period: 'minute', limit: 3 }], { allowed: false, counts: [9], previous: [0] });
    assert.equal(got.headers['X-RateLimit-Remaining-Minute'], '0');
  });
});
