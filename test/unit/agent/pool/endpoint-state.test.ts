import assert from 'node:assert/strict';
import { EndpointState } from '../../../../agent/pool/endpoint-state.js';

const T = 1_000_000;
const HEALTH = { maxFails: 3, failTimeoutMs: 10_000 };

describe('EndpointState', () => {
  it('starts available, with nothing in flight and no ejections', () => {
    const s = new EndpointState('10.0.0.1:80/a');
    assert.equal(s.key, '10.0.0.1:80/a');
    assert.ok(s.isAvailable(T));
    assert.equal(s.inflight, 0);
    assert.equal(s.ejections, 0);
    assert.equal(s.recentFailures, 0);
  });

  it('ejects on the max_fails-th failure within fail_timeout, for fail_timeout', () => {
    const s = new EndpointState('k');
    assert.equal(s.recordFailure(T, HEALTH), false);
    assert.equal(s.recordFailure(T + 1_000, HEALTH), false);
    assert.ok(s.isAvailable(T + 1_000));
    assert.equal(s.recordFailure(T + 2_000, HEALTH), true);
    assert.equal(s.ejections, 1);
    assert.equal(s.skippedUntil, T + 12_000);
    assert.equal(s.isAvailable(T + 2_000), false);
    assert.equal(s.isAvailable(T + 11_999), false);
  });

  it('recovers by itself once fail_timeout has passed', () => {
    const s = new EndpointState('k');
    for (const t of [T, T + 1, T + 2]) s.recordFailure(t, HEALTH);
    assert.equal(s.isAvailable(T + 2 + 9_999), false);
    assert.ok(s.isAvailable(T + 2 + 10_000));
    assert.ok(s.isAvailable(T + 60_000));
  });

  it('does not add up failures that are further apart than fail_timeout', () => {
    const s = new EndpointState('k');
    for (let i = 0; i < 10; i++) {
      assert.equal(s.recordFailure(T + i * 10_001, HEALTH), false, `failure ${i}`);
    }
    assert.equal(s.ejections, 0);
    assert.ok(s.isAvailable(T + 100_000));
  });

  it('starts a new window when the old one has expired', () => {
    const s = new EndpointState('k');
    s.recordFailure(T, HEALTH);
    s.recordFailure(T + 5_000, HEALTH);
    // third failure after the window: counts as the first of a new one
    assert.equal(s.recordFailure(T + 10_001, HEALTH), false);
    assert.equal(s.recentFailures, 1);
    assert.equal(s.recordFailure(T + 10_002, HEALTH), false);
    assert.equal(s.recordFailure(T + 10_003, HEALTH), true);
  });

  it('never ejects when max_fails is 0', () => {
    const s = new EndpointState('k');
    for (let i = 0; i < 100; i++) assert.equal(s.recordFailure(T + i, { maxFails: 0, failTimeoutMs: 10_000 }), false);
    assert.ok(s.isAvailable(T + 100));
    assert.equal(s.ejections, 0);
  });

  it('ejects on the first failure when max_fails is 1', () => {
    const s = new EndpointState('k');
    assert.equal(s.recordFailure(T, { maxFails: 1, failTimeoutMs: 500 }), true);
    assert.equal(s.isAvailable(T + 499), false);
    assert.ok(s.isAvailable(T + 500));
  });

  it('does not extend an ejection with failures that arrive while ejected', () => {
    const s = new EndpointState('k');
    for (const t of [T, T + 1, T + 2]) s.recordFailure(t, HEALTH);
    for (const t of [T + 3, T + 4, T + 5, T + 6]) assert.equal(s.recordFailure(t, HEALTH), false);
    assert.equal(s.skippedUntil, T + 10_002);
    assert.equal(s.ejections, 1);
  });

  it('counts every ejection', () => {
    const s = new EndpointState('k');
    let t = T;
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 3; i++) s.recordFailure(t++, HEALTH);
      assert.equal(s.ejections, round);
      t += 20_000; // well past the ejection and the window
      assert.ok(s.isAvailable(t));
    }
  });
});
