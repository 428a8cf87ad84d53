import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../../../../agent/plugins/circuit-breaker/breaker.js';

const settings = { threshold: 3, windowMs: 10_000, openMs: 5_000, halfOpenProbes: 1, successThreshold: 2 };

describe('CircuitBreaker', () => {
  it('opens after threshold failures within the window, and answers with the time left', () => {
    const b = new CircuitBreaker(settings);
    for (const t of [0, 1000, 2000]) { assert.deepEqual(b.admit(t), { allowed: true, probe: false }); b.record(false, false, t); }
    assert.equal(b.state, 'open');
    assert.deepEqual(b.admit(3000), { allowed: false, retryAfterS: 4 });
  });

  it('forgets failures older than the window', () => {
    const b = new CircuitBreaker(settings);
    b.record(false, false, 0);
    b.record(false, false, 1000);
    b.record(false, false, 11_500);
    assert.equal(b.state, 'closed');
  });

  it('half-opens after the timeout, lets only the allowed probes through, and closes after enough successes', () => {
    const b = new CircuitBreaker(settings);
    for (const t of [0, 1, 2]) b.record(false, false, t);
    const probe = b.admit(5_002);
    assert.deepEqual(probe, { allowed: true, probe: true });
    assert.equal(b.state, 'half-open');
    assert.equal(b.admit(5_003).allowed, false, 'a second concurrent probe');
    b.record(true, true, 5_010);
    assert.equal(b.state, 'half-open', 'one success of two');
    assert.equal(b.admit(5_020).allowed, true);
    b.record(true, true, 5_030);
    assert.equal(b.state, 'closed');
    assert.deepEqual(b.admit(5_040), { allowed: true, probe: false });
  });

  it('re-opens when a probe fails', () => {
    const b = new CircuitBreaker(settings);
    for (const t of [0, 1, 2]) b.record(false, false, t);
    b.admit(6000);
    b.record(false, true, 6001);
    assert.equal(b.state, 'open');
    assert.equal(b.admit(6002).allowed, false);
  });

  it('reports state changes', () => {
    const b = new CircuitBreaker({ ...settings, successThreshold: 1 });
    const seen: string[] = [];
    b.onChange = (s) => seen.push(s);
    for (const t of [0, 1, 2]) b.record(false, false, t);
    b.admit(5_100);
    b.record(true, true, 5_101);
    assert.deepEqual(seen, ['open', 'half-open', 'closed']);
  });
});

describe('circuit breaker following another worker', () => {
  const settings = { threshold: 2, windowMs: 1000, openMs: 5000, halfOpenProbes: 1, successThreshold: 1 };
  it('opens when another worker\'s breaker opened, and closes when it closed', () => {
    const b = new CircuitBreaker(settings);
    const seen: string[] = [];
    b.onChange = (s) => seen.push(s);
    b.follow('open', 100);
    assert.equal(b.state, 'open');
    assert.deepEqual(b.admit(200), { allowed: false, retryAfterS: 5 });
    b.follow('open', 300);
    b.follow('closed', 400);
    assert.equal(b.state, 'closed');
    assert.deepEqual(b.admit(500), { allowed: true, probe: false });
    assert.deepEqual(seen, ['open', 'closed'], 'a state it already has is no change');
  });
});
