// An immutable pool: the members of one service at one moment plus the balancer that picks
// among them. A Consul change builds a new pool; members keep their EndpointState.
import type { Pool } from 'undici';
import type { Balancer } from '../balance/balancer.js';
import type { EndpointState, PassiveHealth } from './endpoint-state.js';

export interface PoolMember {
  readonly key: string;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** instance behind the endpoint; a sidecar uses it to pick its local service */
  readonly instanceId: string;
  readonly state: EndpointState;
  readonly dispatcher: Pool;
  /** the registry key of `dispatcher` */
  readonly dispatcherKey: string;
}

export interface ServicePool {
  readonly name: string;
  readonly source: 'consul' | 'consul-mesh' | 'static';
  readonly members: readonly PoolMember[];
  readonly balancer: Balancer;
  readonly health: PassiveHealth;
  /** false until discovery produced a first answer for this pool */
  readonly loaded: boolean;
}

/** Picks a usable member not yet tried by this request; undefined when there is none. */
export function pickMember(pool: ServicePool, tried: ReadonlySet<PoolMember> | null, now: number): PoolMember | undefined {
  return pool.balancer.pick(pool.members, now, tried);
}
