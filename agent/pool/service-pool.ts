// An immutable pool: the members of one service at one moment plus the balancer that picks
// among them. A Consul change builds a new pool; members keep their EndpointState.
import type { Pool } from 'undici';
import type { Balancer } from '../balance/balancer.js';
import type { HashKey } from '../balance/hash-key.js';
import type { RetryBudget } from './retry-budget.js';
import type { EndpointState, Observation, PassiveHealth } from './endpoint-state.js';

export interface PoolMember {
  readonly key: string;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** instance behind the endpoint; a sidecar uses it to pick its local service */
  readonly instanceId: string;
  readonly state: EndpointState;
  readonly dispatcher: Pool;
  /** the registry key of `dispatcher` */
  readonly dispatcherKey: string;
}

export interface ServicePool {
  readonly name: string;
  readonly source: 'consul' | 'consul-mesh' | 'static';
  readonly members: readonly PoolMember[];
  readonly balancer: Balancer;
  /** the request's hash key for the balancer (consistent-hashing); null when it needs none */
  readonly hashKey: HashKey | null;
  /** the forwarder feeds each attempt's response time to the members (the latency balancer) */
  readonly measuresLatency: boolean;
  readonly health: PassiveHealth;
  /** false until discovery produced a first answer for this pool */
  readonly loaded: boolean;
  /** shared by every request to this pool (outlives swaps) */
  readonly budget: RetryBudget;
}

/** Picks a usable member not yet tried by this request (`hash`: its hashed key); undefined when there is none. */
export function pickMember(pool: ServicePool, tried: ReadonlySet<PoolMember> | null, now: number, hash = 0): PoolMember | undefined {
  // panic mode (Envoy): below healthchecks.threshold percent of available members (outlier
  // detection), ejections are ignored and every member takes traffic; with the default policy, or
  // a threshold of 0, only when none is available
  const panicPercent = pool.health.kind === 'outlier' ? pool.health.panicThresholdPercent : 0;
  const n = pool.members.length;
  if (n === 0) return undefined;
  if (panicPercent > 0 && (availableCount(pool, now) * 100) / n < panicPercent) {
    return pool.balancer.pick(pool.members, Number.POSITIVE_INFINITY, tried, hash);
  }
  const m = pool.balancer.pick(pool.members, now, tried, hash);
  if (m !== undefined) return m;
  // nothing picked: every available member was tried (no retry into ejected ones), or none is available
  if (availableCount(pool, now) > 0) return undefined;
  return pool.balancer.pick(pool.members, Number.POSITIVE_INFINITY, tried, hash);
}

function availableCount(pool: ServicePool, now: number): number {
  let available = 0;
  for (const m of pool.members) if (m.state.isAvailable(now)) available++;
  return available;
}

/** Feeds one attempt's outcome to the pool's passive-health policy; true when it ejected the member. */
export function observeMember(pool: ServicePool, member: PoolMember, obs: Observation, now: number): boolean {
  const h = pool.health;
  // (a lone or all-skipped pool still gets traffic: pickMember's panic mode, not a special case here)
  if (h.kind !== 'outlier') return obs !== 'success' && member.state.recordFailure(now, h);
  let ejected = 0;
  for (const m of pool.members) if (m.state.skippedUntil > now) ejected++;
  return member.state.observe(obs, now, h, ejected, pool.members.length);
}
