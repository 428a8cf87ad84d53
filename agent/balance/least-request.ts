import { pickOfTwo, type Balancer } from './balancer.js';
import type { PoolMember } from '../pool/service-pool.js';

/**
 * Power of two choices least-request (Envoy's default; a meshgate extension to Kong): two members
 * drawn at random, the one with fewer in-flight requests per weight wins. O(1) per pick and, unlike a
 * full least-connections scan, many agents do not all herd onto the same momentarily idle member.
 */
export class LeastRequestBalancer implements Balancer {
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  pick(members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null): PoolMember | undefined {
    return pickOfTwo(members, now, tried, this.#random, score);
  }
}

function score(m: PoolMember): number {
  return (m.state.inflight + 1) / m.weight;
}
