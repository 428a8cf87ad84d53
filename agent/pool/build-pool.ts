// Endpoint specs (from Consul or static targets) → an immutable ServicePool bound to shared state.
import type { HashKey } from '../balance/hash-key.js';
import { createBalancer, measuresLatency, type BalancerName } from '../balance/index.js';
import type { EndpointSpec } from '../discovery/catalog-to-endpoints.js';
import { hostPortKey } from '../discovery/catalog-to-endpoints.js';
import type { PassiveHealth } from './endpoint-state.js';
import { EndpointRegistry, type ConnectionOptions } from './endpoint-registry.js';
import type { PoolMember, ServicePool } from './service-pool.js';

export interface PoolBuildInput {
  readonly name: string;
  readonly source: ServicePool['source'];
  readonly algorithm: BalancerName;
  readonly slots: number;
  readonly hashKey: HashKey | null;
  readonly health: PassiveHealth;
  readonly endpoints: readonly EndpointSpec[];
  readonly loaded: boolean;
  readonly connection: ConnectionOptions;
}

export function buildServicePool(input: PoolBuildInput, registry: EndpointRegistry): ServicePool {
  const members: PoolMember[] = input.endpoints.map((e) => Object.freeze({
    key: e.key, address: e.address, host: e.host, port: e.port, weight: e.weight, instanceId: e.instanceId,
    state: registry.state(e.key), dispatcher: registry.dispatcher(e.address, input.connection),
    dispatcherKey: EndpointRegistry.dispatcherKey(e.address, input.connection),
  }));
  return Object.freeze({
    name: input.name, source: input.source, members: Object.freeze(members), health: input.health,
    balancer: createBalancer(input.algorithm, members, { slots: input.slots }), hashKey: input.hashKey,
    measuresLatency: measuresLatency(input.algorithm), loaded: input.loaded, budget: registry.budget(input.name),
  });
}

export function staticEndpoints(targets: readonly { host: string; port: number; weight: number }[]): EndpointSpec[] {
  return targets.map((t) => {
    const address = hostPortKey(t.host, t.port);
    return { address, key: address, host: t.host, port: t.port, weight: t.weight, instanceId: address, node: '' };
  });
}
