import { eligible, type Balancer } from './balancer.js';
import { HashRing } from './hash-ring.js';
import type { PoolMember } from '../pool/service-pool.js';

/**
 * Kong's consistent-hashing on a Maglev table (hash-ring.ts) of `slots` entries, built once per pool
 * change from the members' keys and weights. A pick is the table entry of the request's hash; an
 * owner that is down, ejected or already tried hands its keys to the entries after it, so the other
 * members' keys stay where they are.
 */
export class ConsistentHashingBalancer implements Balancer {
  readonly #ring: HashRing;

  constructor(members: readonly PoolMember[], slots: number) {
    this.#ring = new HashRing(members, slots);
  }

  pick(members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null, hash: number): PoolMember | undefined {
    const i = this.#ring.owner(hash, (o) => eligible(members[o]!, now, tried));
    return i < 0 ? undefined : members[i];
  }
}
