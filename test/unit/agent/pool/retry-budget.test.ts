import assert from 'node:assert/strict';
import { RetryBudget } from '../../../../agent/pool/retry-budget.js';

/** withdraws until refused; returns how many were allowed */
function drain(b: RetryBudget, nowMs: number): number {
  let n = 0;
  while (b.tryWithdraw(nowMs)) n++;
  return n;
}

describe('RetryBudget', () => {
  it('allows minPerSecond × window retries with no traffic at all', () => {
    assert.equal(drain(new RetryBudget(0.2, 10, 10), 0), 100);
  });

  it('adds ratio of a retry per request', () => {
    const b = new RetryBudget(0.2, 0, 10);
    for (let i = 0; i < 50; i++) b.deposit(0);
    assert.equal(drain(b, 0), 10);
  });

  it('allows a burst of simultaneous retries (every client stalled at once)', () => {
    const b = new RetryBudget();
    for (let i = 0; i < 4; i++) b.deposit(1_000);
    assert.equal([0, 1, 2, 3].filter(() => b.tryWithdraw(1_000)).length, 4);
  });

  it('bounds a retry storm to ratio of the load plus the floor', () => {
    const b = new RetryBudget(0.2, 10, 10);
    let allowed = 0;
    // 1,000 requests per second, each failing and wanting a retry, for 30 s
    for (let s = 0; s < 30; s++) {
      for (let i = 0; i < 1000; i++) {
        b.deposit(s * 1000 + i);
        if (b.tryWithdraw(s * 1000 + i)) allowed++;
      }
    }
    // at most 20 % of 30,000 plus the floor of 10/s over the first window and the windows after
    assert.ok(allowed <= 30_000 * 0.2 + 10 * 30 + 100, `allowed ${allowed}`);
    assert.ok(allowed >= 30_000 * 0.2, `allowed ${allowed}`);
  });

  it('forgets deposits and withdrawals older than the window', () => {
    const b = new RetryBudget(0.2, 1, 10);
    assert.equal(drain(b, 0), 10);
    assert.equal(b.tryWithdraw(9_999), false);
    assert.equal(b.tryWithdraw(10_000), true); // second 0's withdrawals expired
    assert.equal(drain(b, 60_000), 10); // after a long idle gap, a full window again
  });
});
