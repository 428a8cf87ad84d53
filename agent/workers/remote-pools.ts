// A worker's pools: the primary's Consul watchers, sent as whole snapshots over IPC. The worker
// says which services its config needs (a reload may change them); the primary watches the
// union and answers with a snapshot at once and on every change.
import type { WatchStatus } from '../discovery/blocking-watcher.js';
import type { EndpointSpec } from '../discovery/catalog-to-endpoints.js';
import type { PoolSource } from '../discovery/pool-source.js';
import { watchName, type WatchKey } from '../discovery/service-discovery.js';
import type { WorkerLink } from './primary-link.js';
import type { MessageOf, ToWorker } from './protocol.js';

type Pool = { endpoints: readonly EndpointSpec[]; loaded: boolean };
const NONE: Pool = { endpoints: [], loaded: false };

export class RemotePools implements PoolSource {
  readonly #link: WorkerLink;
  #pools = new Map<string, Pool>();
  #wanted: readonly WatchKey[] = [];
  #onChange: (() => void) | null = null;
  #firstWaiters: (() => void)[] = [];
  /** live edge agents in the cluster, as the primary's peer watch counts them */
  clusterSize = 1;
  /** ms between the primary sending the last snapshot and this worker having it */
  lagMs = 0;

  constructor(link: WorkerLink, now: () => number = Date.now) {
    this.#link = link;
    link.on('pools', (m) => this.apply(m, now()));
  }

  /** The runtime's source (PoolSourceFactory): `onChange` rebuilds its table. */
  attach(onChange: () => void): this {
    this.#onChange = onChange;
    return this;
  }

  apply(m: MessageOf<ToWorker, 'pools'>, nowMs: number): void {
    this.#pools = new Map(m.pools.map(([name, endpoints, loaded]) => [name, { endpoints, loaded }]));
    this.clusterSize = m.clusterSize;
    this.lagMs = Math.max(0, nowMs - m.sentAt);
    if (this.#allLoaded()) { for (const w of this.#firstWaiters) w(); this.#firstWaiters = []; }
    this.#onChange?.();
  }

  setWanted(keys: readonly WatchKey[]): void {
    this.#wanted = [...keys];
    this.#link.send({ mg: 'want', keys: this.#wanted });
  }

  endpoints(k: WatchKey): Pool {
    return this.#pools.get(watchName(k)) ?? NONE;
  }

  async firstResults(timeoutMs: number): Promise<void> {
    if (this.#allLoaded()) return;
    await Promise.race([new Promise<void>((r) => this.#firstWaiters.push(r)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** the watchers are the primary's: its /status shows them */
  status(): WatchStatus[] { return []; }

  async stop(): Promise<void> { this.#onChange = null; }

  #allLoaded(): boolean {
    return this.#wanted.every((k) => this.#pools.get(watchName(k))?.loaded === true);
  }
}
