import type { PoolMember } from '../pool/service-pool.js';

/**
 * A load-balancing strategy: one method. Members that are skipped, tried or weight 0 are not eligible.
 * `hash` is the request's key hashed (consistent-hashing reads it; the others ignore it), computed once
 * per request in the forward phase by the pool's compiled key function.
 */
export interface Balancer {
  pick(members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null, hash: number): PoolMember | undefined;
}

/** What a pool's balancer is built from (once per pool change). */
export interface BalancerOptions {
  /** Kong's `slots`: the consistent-hash table size */
  readonly slots: number;
}

export function eligible(m: PoolMember, now: number, tried: ReadonlySet<PoolMember> | null): boolean {
  return m.weight > 0 && m.state.isAvailable(now) && (tried === null || !tried.has(m));
}

/** The first eligible member at or after `start` (wrapping), other than `not` (power-of-two-choices draws). */
export function firstEligibleFrom(
  members: readonly PoolMember[], start: number, now: number, tried: ReadonlySet<PoolMember> | null, not: PoolMember | null,
): PoolMember | undefined {
  const n = members.length;
  for (let i = 0; i < n; i++) {
    const m = members[(start + i) % n]!;
    if (m !== not && eligible(m, now, tried)) return m;
  }
  return undefined;
}

/**
 * Power of two choices: two eligible members drawn at random, the lower `cost` wins (Envoy's
 * least-request, Kong's latency). O(1) per pick; many agents do not herd onto one member.
 */
export function pickOfTwo(
  members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null, random: () => number, cost: (m: PoolMember, now: number) => number,
): PoolMember | undefined {
  const n = members.length;
  if (n === 0) return undefined;
  const a = firstEligibleFrom(members, Math.floor(random() * n), now, tried, null);
  if (a === undefined) return undefined;
  const b = firstEligibleFrom(members, Math.floor(random() * n), now, tried, a);
  if (b === undefined) return a;
  return cost(b, now) < cost(a, now) ? b : a;
}
