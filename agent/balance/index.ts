// Balancers by name. Adding one is a file, a line here and its name in proto/balancer-names.ts
// (the config schema's `algorithm` enum); the registry's type makes the two lists agree.
import { BALANCER_NAMES, type BalancerName } from '../../proto/balancer-names.js';
import type { PoolMember } from '../pool/service-pool.js';
import type { Balancer } from './balancer.js';
import { LeastConnectionsBalancer } from './least-connections.js';
import { LeastRequestBalancer } from './least-request.js';
import { RoundRobinBalancer } from './round-robin.js';

type Factory = (members: readonly PoolMember[]) => Balancer;

const FACTORIES = {
  'round-robin': (members: readonly PoolMember[]): Balancer => new RoundRobinBalancer(members),
  'least-connections': (): Balancer => new LeastConnectionsBalancer(),
  'least-request': (): Balancer => new LeastRequestBalancer(),
} satisfies Record<BalancerName, Factory>;

export { BALANCER_NAMES, type BalancerName };

export function createBalancer(name: BalancerName, members: readonly PoolMember[]): Balancer {
  return FACTORIES[name](members);
}
