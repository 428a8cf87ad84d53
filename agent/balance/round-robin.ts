import { eligible, type Balancer } from './balancer.js';
import type { PoolMember } from '../pool/service-pool.js';

const MAX_SCHEDULE = 4096;

/**
 * Smooth weighted round-robin (nginx's algorithm), precomputed at pool build time into a
 * schedule of member indices so a pick is an index increment.
 */
export function smoothSchedule(weights: readonly number[]): number[] {
  const g = weights.filter((w) => w > 0).reduce((a, b) => gcd(a, b), 0);
  if (g === 0) return [];
  let scaled = weights.map((w) => (w > 0 ? w / g : 0));
  const total = scaled.reduce((a, b) => a + b, 0);
  if (total > MAX_SCHEDULE) scaled = scaled.map((w) => (w > 0 ? Math.max(1, Math.round((w * MAX_SCHEDULE) / total)) : 0));
  const sum = scaled.reduce((a, b) => a + b, 0);
  const current = scaled.map(() => 0);
  const out: number[] = [];
  for (let n = 0; n < sum; n++) {
    let best = -1;
    for (let i = 0; i < scaled.length; i++) {
      if (scaled[i]! === 0) continue;
      current[i]! += scaled[i]!;
      if (best < 0 || current[i]! > current[best]!) best = i;
    }
    current[best]! -= sum;
    out.push(best);
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class RoundRobinBalancer implements Balancer {
  readonly #schedule: readonly number[];
  #cursor: number;

  constructor(members: readonly PoolMember[], start = Math.floor(Math.random() * 1024)) {
    this.#schedule = smoothSchedule(members.map((m) => m.weight));
    this.#cursor = start;
  }

  pick(members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null): PoolMember | undefined {
    const n = this.#schedule.length;
    for (let i = 0; i < n; i++) {
      const m = members[this.#schedule[this.#cursor++ % n]!]!;
      if (eligible(m, now, tried)) return m;
    }
    return undefined;
  }
}
