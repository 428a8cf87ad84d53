// The edge runtime's side of consul.failover_datacenters: which watches each Consul pool needs,
// which datacenter serves it (failover.ts decides), a log line and the meshgate_pool_failover
// metric on each switch, and a re-look every second while a pool is failed over because its
// local members fail here (their ejection ends without any Consul change to signal it).
import type { Logger } from 'pino';
import { chooseDatacenter, watchKeysFor, type DatacenterChoice, type Usable, type WatchedEndpoints } from '../discovery/failover.js';
import type { WatchKey } from '../discovery/service-discovery.js';
import type { Metrics } from '../observe/metrics.js';

const RECHECK_MS = 1000;

export class DatacenterFailover {
  #order: readonly string[];
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #usable: Usable;
  readonly #relook: () => void;
  /** the datacenter serving each Consul pool, when it is not the local one */
  readonly #failedOver = new Map<string, string>();
  /** the local members of failed-over pools: their local health state (ejections) is kept though they are out of the table */
  readonly #localKeys = new Map<string, readonly string[]>();
  #timer: NodeJS.Timeout | null = null;
  #scheduled = false;

  constructor(order: readonly string[], metrics: Metrics, log: Logger, usable: Usable, relook: () => void) {
    this.#order = order;
    this.#metrics = metrics;
    this.#log = log;
    this.#usable = usable;
    this.#relook = relook;
  }

  /** a reload's consul.failover_datacenters; the caller rebuilds, so each pool is chosen again */
  setOrder(order: readonly string[]): void {
    this.#order = order;
  }

  get enabled(): boolean { return this.#order.length > 0; }

  keys(local: WatchKey, localNow: WatchedEndpoints | undefined): WatchKey[] {
    return watchKeysFor(local, localNow, this.#order, this.#usable);
  }

  choose(pool: string, service: string, local: WatchedEndpoints, remote: (dc: string) => WatchedEndpoints): DatacenterChoice {
    const choice = chooseDatacenter(local, remote, this.#order, this.#usable);
    const before = this.#failedOver.get(pool) ?? null;
    if (choice.datacenter !== before) {
      if (before !== null) this.#metrics.poolFailover.labels(pool, before).set(0);
      if (choice.datacenter === null) this.#failedOver.delete(pool);
      else { this.#failedOver.set(pool, choice.datacenter); this.#metrics.poolFailover.labels(pool, choice.datacenter).set(1); }
      this.#log.warn({ pool, service, datacenter: choice.datacenter ?? 'local', endpoints: choice.endpoints.length, local_listed: local.endpoints.length },
        choice.datacenter === null ? 'pool served by the local datacenter again' : 'no usable instance locally; pool served by another datacenter');
    }
    if (choice.datacenter === null) this.#localKeys.delete(pool);
    else this.#localKeys.set(pool, local.endpoints.map((e) => e.key));
    // failed over while Consul still lists local members (they fail here): look again when their ejection may have ended
    if (choice.datacenter !== null && local.endpoints.length > 0 && this.#timer === null) {
      this.#timer = setTimeout(() => { this.#timer = null; this.#relook(); }, RECHECK_MS);
      this.#timer.unref();
    }
    return choice;
  }

  /** endpoint keys whose local health must be kept while their pool is failed over */
  *heldKeys(): Iterable<string> {
    for (const keys of this.#localKeys.values()) yield* keys;
  }

  /** a local member failed here (ejected): look again soon, coalesced */
  memberFailed(): void {
    if (!this.enabled || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => { this.#scheduled = false; this.#relook(); });
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
