import { pickOfTwo, type Balancer } from './balancer.js';
import type { EndpointState } from '../pool/endpoint-state.js';
import type { PoolMember } from '../pool/service-pool.js';

// Kong's `latency` algorithm (kong/runloop/balancer/latency.lua, after Finagle's peak EWMA): each
// member keeps an exponentially weighted moving average of its response times (connect + response,
// measured per attempt in upstream-exchange.ts) that decays with a 10 s time constant, also towards 0
// while the member gets no traffic, so a member that was slow is tried again later. Two members are
// drawn and the lower EWMA / weight wins. A member with no measurement yet starts at the average of
// the measured ones (Kong's slow start), so a new instance is not flooded before its first answer.

export const LATENCY_DECAY_MS = 10_000;

/** The member's EWMA at `now` with `sampleMs` folded in (0: just the decay since the last sample). */
export function decayedLatencyMs(s: EndpointState, now: number, sampleMs = 0): number {
  const w = Math.exp(-Math.max(0, now - s.latencyAt) / LATENCY_DECAY_MS);
  return s.latencyEwmaMs * w + sampleMs * (1 - w);
}

export function recordLatency(s: EndpointState, ms: number, now: number): void {
  s.latencyEwmaMs = decayedLatencyMs(s, now, ms);
  s.latencyAt = now;
}

export class LatencyBalancer implements Balancer {
  readonly #random: () => number;

  constructor(members: readonly PoolMember[], now: number = Date.now(), random: () => number = Math.random) {
    this.#random = random;
    const measured = members.filter((m) => m.state.latencyAt > 0);
    if (measured.length === 0 || measured.length === members.length) return;
    const avg = measured.reduce((sum, m) => sum + decayedLatencyMs(m.state, now), 0) / measured.length;
    for (const m of members) {
      if (m.state.latencyAt === 0) { m.state.latencyEwmaMs = avg; m.state.latencyAt = now; }
    }
  }

  pick(members: readonly PoolMember[], now: number, tried: ReadonlySet<PoolMember> | null): PoolMember | undefined {
    return pickOfTwo(members, now, tried, this.#random, score);
  }
}

function score(m: PoolMember, now: number): number {
  return decayedLatencyMs(m.state, now) / m.weight;
}
