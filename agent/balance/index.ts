// Balancers by name. Adding one is a file and a line here; the config schema's `algorithm`
// enum is BALANCER_NAMES, so a name is accepted exactly when it has a balancer.
import type { PoolMember } from '../pool/service-pool.js';
import type { Balancer } from './balancer.js';
import { LeastConnectionsBalancer } from './least-connections.js';
import { LeastRequestBalancer } from './least-request.js';
import { RoundRobinBalancer } from './round-robin.js';

const FACTORIES = {
  'round-robin': (members: readonly PoolMember[]): Balancer => new RoundRobinBalancer(members),
  'least-connections': (): Balancer => new LeastConnectionsBalancer(),
  'least-request': (): Balancer => new LeastRequestBalancer(),
} as const;

export type BalancerName = keyof typeof FACTORIES;

export const BALANCER_NAMES = Object.keys(FACTORIES) as readonly BalancerName[];

export function createBalancer(name: BalancerName, members: readonly PoolMember[]): Balancer {
  return FACTORIES[name](members);
}
