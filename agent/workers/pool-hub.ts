// The primary's one set of Consul watchers for all its workers: it watches the union of the
// services the workers' configs need and sends every worker the whole snapshot, at once when a
// worker says what it needs and again on every change (coalesced by ServiceDiscovery).
import type { Logger } from 'pino';
import type { ConsulClient } from '../../registrar/consul-client.js';
import type { PoolGuardPolicy } from '../discovery/pool-guard.js';
import { ServiceDiscovery, watchName, type WatchKey } from '../discovery/service-discovery.js';
import type { Metrics } from '../observe/metrics.js';
import type { ToWorker, WirePool } from './protocol.js';

/** Every key any worker wants, once (by watch name), in a stable order. */
export function unionOfWants(wants: Iterable<readonly WatchKey[]>): WatchKey[] {
  const byName = new Map<string, WatchKey>();
  for (const keys of wants) for (const k of keys) byName.set(watchName(k), { service: k.service, mesh: k.mesh, ...(k.dc === undefined ? {} : { dc: k.dc }) });
  return [...byName.keys()].sort().map((n) => byName.get(n)!);
}

export class PoolHub {
  readonly discovery: ServiceDiscovery;
  readonly #wants = new Map<number, readonly WatchKey[]>();
  readonly #broadcast: (m: ToWorker) => void;
  readonly #clusterSize: () => number;
  readonly #metrics: Metrics;
  #keys: WatchKey[] = [];

  constructor(consul: ConsulClient, log: Logger, metrics: Metrics, guard: PoolGuardPolicy | undefined, broadcast: (m: ToWorker) => void, clusterSize: () => number) {
    this.#broadcast = broadcast;
    this.#clusterSize = clusterSize;
    this.#metrics = metrics;
    this.discovery = new ServiceDiscovery(consul, log, () => this.#broadcast(this.snapshot()), undefined, this.#guardSetup(guard));
  }

  /** a reload's consul.pool_guard (undefined: off), for every worker's pools */
  setGuard(guard: PoolGuardPolicy | undefined): void {
    this.discovery.setGuard(this.#guardSetup(guard));
  }

  #guardSetup(guard: PoolGuardPolicy | undefined) {
    return guard === undefined ? null : {
      // passive health lives in the workers; the primary holds a collapsed answer's members for the whole hold
      policy: guard, failingLocally: () => false, onHeld: (watch: string, kept: number) => this.#metrics.poolGuardHeld.labels(watch).set(kept),
    };
  }

  /** A worker's config needs these services; every worker gets the snapshot. */
  want(worker: number, keys: readonly WatchKey[]): void {
    this.#wants.set(worker, keys);
    this.#keys = unionOfWants(this.#wants.values());
    this.discovery.setWanted(this.#keys);
    this.#broadcast(this.snapshot());
  }

  /** A worker that exited: its wants go (a replacement says its own). */
  forget(worker: number): void {
    if (!this.#wants.delete(worker)) return;
    this.#keys = unionOfWants(this.#wants.values());
    this.discovery.setWanted(this.#keys);
  }

  snapshot(): ToWorker {
    const pools: WirePool[] = this.#keys.map((k) => {
      const { endpoints, loaded } = this.discovery.endpoints(k);
      return [watchName(k), endpoints, loaded];
    });
    return { mg: 'pools', sentAt: Date.now(), pools, clusterSize: this.#clusterSize() };
  }

  async stop(): Promise<void> { await this.discovery.stop(); }
}
