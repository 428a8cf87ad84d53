// Datacenter failover (consul.failover_datacenters), as pure functions: which datacenters to watch
// for a service, and which one's instances serve it. The local datacenter serves while it has a
// usable instance: passing in Consul and not failing here (ejected by passive health, down for the
// active prober), so every local instance dying at once fails over as soon as this agent has seen
// them fail, before Consul's failure detection catches up. A service is watched in another
// datacenter only while the local one has no usable instance, so a healthy agent keeps one
// blocking query per service; the local datacenter takes over again as soon as it has one.
import type { EndpointSpec } from './catalog-to-endpoints.js';
import type { WatchKey } from './service-discovery.js';

export interface WatchedEndpoints {
  readonly endpoints: readonly EndpointSpec[];
  readonly loaded: boolean;
}

export interface DatacenterChoice extends WatchedEndpoints {
  /** the datacenter serving; null: the local one */
  readonly datacenter: string | null;
}

export type Usable = (e: EndpointSpec) => boolean;
const ANY: Usable = () => true;

/** The local answer when it has a usable member (or no failover is configured), else the first datacenter in order that has members. */
export function chooseDatacenter(local: WatchedEndpoints, remote: (dc: string) => WatchedEndpoints, order: readonly string[], usable: Usable = ANY): DatacenterChoice {
  if (order.length === 0 || !local.loaded || local.endpoints.some(usable)) return { ...local, datacenter: null };
  for (const dc of order) {
    const r = remote(dc);
    if (r.endpoints.length > 0) return { endpoints: r.endpoints, loaded: true, datacenter: dc };
  }
  return { ...local, datacenter: null };
}

/** The watches for one service: the local one, plus every failover datacenter while the local one is loaded and has no usable member. */
export function watchKeysFor(local: WatchKey, localNow: WatchedEndpoints | undefined, order: readonly string[], usable: Usable = ANY): WatchKey[] {
  if (order.length === 0 || localNow === undefined || !localNow.loaded || localNow.endpoints.some(usable)) return [local];
  return [local, ...order.map((dc) => ({ ...local, dc }))];
}
