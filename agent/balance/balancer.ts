import type { PoolMember } from '../pool/service-pool.js';

/** A load-balancing strategy: one method. Members that are skipped, tried or weight 0 are not eligible. */
export interface Balancer {
  pick(members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null): PoolMember | undefined;
}

export function eligible(m: PoolMember, now: number, tried: ReadonlySet<PoolMember> | null): boolean {
  return m.weight > 0 && m.state.isAvailable(now) && (tried === null || !tried.has(m));
}
