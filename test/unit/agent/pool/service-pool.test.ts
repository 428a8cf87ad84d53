// pickMember's panic mode (Envoy's): when too few members are available, ejections are ignored —
// with the default (fail-window) policy only when none is available, with outlier detection below
// healthchecks.threshold percent.
import assert from 'node:assert/strict';
import type { Pool } from 'undici';
import { createBalancer } from '../../../../agent/balance/index.js';
import { EndpointState, type OutlierHealth, type PassiveHealth } from '../../../../agent/pool/endpoint-state.js';
import { RetryBudget } from '../../../../agent/pool/retry-budget.js';
import { pickMember, type PoolMember, type ServicePool } from '../../../../agent/pool/service-pool.js';

const NOW = 1_000_000;

function pool(n: number, ejected: number, health: PassiveHealth): ServicePool {
  const members: PoolMember[] = Array.from({ length: n }, (_, i) => {
    const state = new EndpointState(`m${i}`);
    if (i < ejected) state.skippedUntil = NOW + 30_000;
    return { key: `m${i}`, address: `10.0.0.${i}:80`, host: `10.0.0.${i}`, port: 80, weight: 100, instanceId: `m${i}`, state, dispatcher: {} as Pool, dispatcherKey: `m${i}` };
  });
  return {
    name: 'p', source: 'static', members, balancer: createBalancer('round-robin', members, { slots: 10_000 }), hashKey: null,
    measuresLatency: false, health, loaded: true, budget: new RetryBudget(),
  };
}

const WINDOW: PassiveHealth = { maxFails: 3, failTimeoutMs: 10_000 };
const outlier = (panicThresholdPercent: number): OutlierHealth => ({
  kind: 'outlier', unhealthyStatuses: new Set([500]), healthyStatuses: new Set([200]), tcpOnly: false, httpFailures: 5, tcpFailures: 5, timeouts: 5, successes: 0,
  baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 100, panicThresholdPercent,
});

/** the members picked over `times` picks, as a sorted set */
function picks(p: ServicePool, times = 20): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < times; i++) {
    const m = pickMember(p, null, NOW);
    seen.add(m?.key ?? 'none');
  }
  return [...seen].sort();
}

describe('pickMember: panic mode', () => {
  const CASES: readonly [string, number, number, PassiveHealth, string[]][] = [
    ['nothing ejected', 4, 0, WINDOW, ['m0', 'm1', 'm2', 'm3']],
    ['some ejected, fail-window policy: only the others', 4, 3, WINDOW, ['m3']],
    ['all ejected, fail-window policy: panic, all of them', 4, 4, WINDOW, ['m0', 'm1', 'm2', 'm3']],
    ['outlier, 25 % available, threshold 50 %: panic, all of them', 4, 3, outlier(50), ['m0', 'm1', 'm2', 'm3']],
    ['outlier, 50 % available, threshold 50 %: only the available', 4, 2, outlier(50), ['m2', 'm3']],
    ['outlier, threshold 0 (off), 1 of 4 available: only it', 4, 3, outlier(0), ['m3']],
    ['outlier, threshold 0 (off), none available: panic, all of them', 4, 4, outlier(0), ['m0', 'm1', 'm2', 'm3']],
    ['an empty pool: none', 0, 0, WINDOW, ['none']],
  ];
  for (const [what, n, ejected, health, want] of CASES) it(what, () => assert.deepEqual(picks(pool(n, ejected, health)), want));

  it('never picks a member this request already tried, even in panic', () => {
    const p = pool(2, 2, WINDOW);
    const tried = new Set([p.members[0]!]);
    for (let i = 0; i < 10; i++) assert.equal(pickMember(p, tried, NOW)?.key, 'm1');
    assert.equal(pickMember(p, new Set(p.members), NOW), undefined);
  });
});
