import { eligible, type Balancer } from './balancer.js';
import type { PoolMember } from '../pool/service-pool.js';

/**
 * Fewest in-flight requests relative to weight ((inflight + 1) / weight, Kong's formula).
 * Ties rotate so idle members share the load instead of the first one taking it all.
 */
export class LeastConnectionsBalancer implements Balancer {
  #offset = 0;

  pick(members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null): PoolMember | undefined {
    const n = members.length;
    if (n === 0) return undefined;
    const start = this.#offset++ % n;
    let best: PoolMember | undefined;
    let bestScore = Infinity;
    for (let i = 0; i < n; i++) {
      const m = members[(start + i) % n]!;
      if (!eligible(m, now, tried)) continue;
      const score = (m.state.inflight + 1) / m.weight;
      if (score < bestScore) { best = m; bestScore = score; }
    }
    return best;
  }
}
