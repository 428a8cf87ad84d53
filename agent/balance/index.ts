// Balancers by name. Adding one is a file and a line here.
import type { PoolMember } from '../pool/service-pool.js';
import type { Balancer } from './balancer.js';
import { LeastConnectionsBalancer } from './least-connections.js';
import { RoundRobinBalancer } from './round-robin.js';

export type BalancerName = 'round-robin' | 'least-connections';

const FACTORIES: Record<BalancerName, (members: readonly PoolMember[]) => Balancer> = {
  'round-robin': (members) => new RoundRobinBalancer(members),
  'least-connections': () => new LeastConnectionsBalancer(),
};

export function createBalancer(name: BalancerName, members: readonly PoolMember[]): Balancer {
  return FACTORIES[name](members);
}
