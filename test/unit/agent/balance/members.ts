// Hand-built pool members for balancer tests (no undici dispatcher needed).
import { EndpointState } from '../../../../agent/pool/endpoint-state.js';
import type { PoolMember } from '../../../../agent/pool/service-pool.js';

export function member(key: string, weight = 1): PoolMember {
  const [host, port] = [key, 80];
  return { key, address: `${host}:${port}`, host, port, weight, instanceId: key, state: new EndpointState(key), dispatcher: undefined as any, dispatcherKey: `${host}:${port}` };
}

export function members(weights: readonly number[]): PoolMember[] {
  return weights.map((w, i) => member(String.fromCharCode(97 + i), w));
}

/** How often each member key was picked. */
export function tally(picks: readonly (PoolMember | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) {
    const k = p?.key ?? 'undefined';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
