// Balancers by name. Adding one is a file, a line here and its name in proto/balancer-names.ts
// (the config schema's `algorithm` enum); the registry's type makes the two lists agree.
import { BALANCER_NAMES, type BalancerName } from '../../proto/balancer-names.js';
import type { PoolMember } from '../pool/service-pool.js';
import type { Balancer, BalancerOptions } from './balancer.js';
import { ConsistentHashingBalancer } from './consistent-hashing.js';
import { LatencyBalancer } from './latency.js';
import { LeastConnectionsBalancer } from './least-connections.js';
import { LeastRequestBalancer } from './least-request.js';
import { RoundRobinBalancer } from './round-robin.js';

type Factory = (members: readonly PoolMember[], options: BalancerOptions) => Balancer;

const FACTORIES = {
  'round-robin': (members) => new RoundRobinBalancer(members),
  'least-connections': () => new LeastConnectionsBalancer(),
  'consistent-hashing': (members, o) => new ConsistentHashingBalancer(members, o.slots),
  latency: (members) => new LatencyBalancer(members),
  'least-request': () => new LeastRequestBalancer(),
} satisfies Record<BalancerName, Factory>;

export { BALANCER_NAMES, type BalancerName };

/** Algorithms that read the response times the forwarder measures. */
export function measuresLatency(name: BalancerName): boolean {
  return name === 'latency';
}

export function createBalancer(name: BalancerName, members: readonly PoolMember[], options: BalancerOptions): Balancer {
  return FACTORIES[name](members, options);
}
