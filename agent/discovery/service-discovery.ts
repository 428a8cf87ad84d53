// Watches every Consul service that the current config references, stores the latest translated
// endpoints, and signals (coalesced) when any of them changed. Up to DIRECT_WATCH_LIMIT services
// get a blocking query each; more share two blocking queries (shared-health-watch.ts), so an edge
// routing to 1,000 services keeps 2 queries open at Consul rather than 1,000.
import type { Logger } from 'pino';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { BlockingWatcher, type WatchStatus } from './blocking-watcher.js';
import { catalogToEndpoints, type ConsulHealthEntry, type EndpointSpec } from './catalog-to-endpoints.js';
import { PoolGuard, type PoolGuardPolicy } from './pool-guard.js';
import { SharedHealthWatch, type SharedMember } from './shared-health-watch.js';

/** more watched services than this share two blocking queries */
export const DIRECT_WATCH_LIMIT = 8;

/** The pool guard's wiring: its policy, local health, and where held counts go (a metric). */
export interface PoolGuardSetup {
  readonly policy: PoolGuardPolicy;
  /** true when the endpoint is failing here too (passive or active health), so it is not held */
  readonly failingLocally: (key: string) => boolean;
  readonly onHeld: (watch: string, kept: number) => void;
}

/** while holding, the guard looks again this often, so a held member that starts failing here goes */
const GUARD_RECHECK_MS = 1000;

export interface WatchKey {
  readonly service: string;
  /** watch the service's sidecars (/health/connect) rather than the instances */
  readonly mesh: boolean;
  /** another (WAN-joined) datacenter's instances; absent: the local datacenter */
  readonly dc?: string;
}

interface Watched {
  readonly watcher: BlockingWatcher | SharedMember;
  readonly shared: boolean;
  endpoints: readonly EndpointSpec[];
  /** an empty answer held back after an outage, applied only if it is still empty later */
  held: NodeJS.Timeout | undefined;
  /** the pool guard (null when not configured), Consul's latest answer and the guard's next look */
  guard: PoolGuard<EndpointSpec> | null;
  answer: readonly EndpointSpec[];
  recheck: NodeJS.Timeout | undefined;
}

/**
 * A Consul that comes back from an outage may have lost its state: its first answers are empty
 * until the registrars re-register (within seconds). An empty pool right after an outage replaces
 * a non-empty one only if it is still empty after this long.
 */
export const EMPTY_AFTER_OUTAGE_GRACE_MS = 15_000;

export function watchName(k: WatchKey): string {
  return `${k.mesh ? 'connect' : 'service'}/${k.service}${k.dc === undefined ? '' : `@${k.dc}`}`;
}

export class ServiceDiscovery {
  readonly #client: ConsulClient;
  readonly #log: Logger;
  readonly #onChange: () => void;
  readonly #watched = new Map<string, Watched>();
  readonly #waitMs: number;
  #guard: PoolGuardSetup | null;
  #shared: SharedHealthWatch | undefined;
  #scheduled = false;

  constructor(client: ConsulClient, log: Logger, onChange: () => void, waitMs = 300_000, guard: PoolGuardSetup | null = null) {
    this.#client = client;
    this.#log = log;
    this.#onChange = onChange;
    this.#waitMs = waitMs;
    this.#guard = guard;
  }

  /** Starts watchers for new keys and stops those no longer wanted. */
  setWanted(keys: readonly WatchKey[]): void {
    const wanted = new Map(keys.map((k) => [watchName(k), k]));
    // the shared watch covers the local datacenter; another datacenter's keys (failover, few) watch directly
    const shared = keys.filter((k) => k.dc === undefined).length > DIRECT_WATCH_LIMIT;
    const sharedFor = (k: WatchKey) => shared && k.dc === undefined;
    if (shared) this.#shared ??= new SharedHealthWatch(this.#client, this.#log, this.#waitMs);
    const carried = new Map<string, Watched>();
    for (const [name, w] of this.#watched) {
      const k = wanted.get(name);
      if (k !== undefined && w.shared === sharedFor(k)) continue;
      // a key that changes mode keeps its pool until its new watch answers
      if (wanted.has(name)) carried.set(name, w);
      clearTimeout(w.held); clearTimeout(w.recheck); void w.watcher.stop(); this.#watched.delete(name);
    }
    for (const [name, k] of wanted) {
      if (this.#watched.has(name)) continue;
      const entry = this.#watch(name, k, sharedFor(k));
      const old = carried.get(name);
      if (old) { entry.endpoints = old.endpoints; entry.answer = old.answer; }
      this.#watched.set(name, entry);
      entry.watcher.start();
    }
    if (!shared && this.#shared) { void this.#shared.stop(); this.#shared = undefined; }
  }

  /**
   * A reload's consul.pool_guard (null: off). Each watch keeps its guard's last-known-good members
   * under the new policy, and its pool is decided again at once: a hold the guard no longer allows
   * ends now.
   */
  setGuard(guard: PoolGuardSetup | null): void {
    const previous = this.#guard;
    this.#guard = guard;
    for (const [name, entry] of this.#watched) {
      if (guard === null) { entry.guard = null; previous?.onHeld(name, 0); }
      else if (entry.guard === null) entry.guard = new PoolGuard<EndpointSpec>(guard.policy);
      else entry.guard.setPolicy(guard.policy);
      if (entry.watcher.hasResult) this.#guarded(name, entry, true);
    }
  }

  #watch(name: string, k: WatchKey, shared: boolean): Watched {
    let recoveredAt = 0;
    const apply = (endpoints: readonly EndpointSpec[]) => {
      clearTimeout(entry.held);
      entry.held = undefined;
      entry.answer = endpoints;
      this.#guarded(name, entry);
    };
    const onChange = (body: unknown, afterError: boolean) => {
      const t = catalogToEndpoints((body ?? []) as ConsulHealthEntry[]);
      for (const s of t.skipped) this.#log.warn({ watch: name, skipped: s }, 'catalog entry skipped');
      if (afterError) recoveredAt = Date.now();
      const sinceRecovery = Date.now() - recoveredAt;
      if (t.endpoints.length === 0 && entry.endpoints.length > 0 && sinceRecovery < EMPTY_AFTER_OUTAGE_GRACE_MS) {
        this.#log.warn({ watch: name }, 'consul came back with no instances; keeping the last pool for a while');
        clearTimeout(entry.held);
        entry.held = setTimeout(() => apply(t.endpoints), EMPTY_AFTER_OUTAGE_GRACE_MS - sinceRecovery);
        entry.held.unref();
        return;
      }
      apply(t.endpoints);
    };
    const onError = (err: unknown, attempt: number) => {
      if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ watch: name, attempt, err: (err as Error).message }, 'consul watch failed; serving last known pool');
    };
    const entry: Watched = {
      endpoints: [],
      held: undefined,
      guard: this.#guard === null ? null : new PoolGuard<EndpointSpec>(this.#guard.policy),
      answer: [],
      recheck: undefined,
      shared,
      watcher: shared
        ? this.#shared!.add(name, k, onChange, onError)
        : new BlockingWatcher(this.#client, {
          name, path: `/health/${k.mesh ? 'connect' : 'service'}/${encodeURIComponent(k.service)}`,
          query: k.dc === undefined ? { passing: '1' } : { passing: '1', dc: k.dc }, waitMs: this.#waitMs, onChange, onError,
        }),
    };
    return entry;
  }

  endpoints(k: WatchKey): { endpoints: readonly EndpointSpec[]; loaded: boolean } {
    const w = this.#watched.get(watchName(k));
    return w ? { endpoints: w.endpoints, loaded: w.watcher.hasResult || w.endpoints.length > 0 } : { endpoints: [], loaded: false };
  }

  /** Resolves when every watcher has had a first answer, or after timeoutMs. */
  async firstResults(timeoutMs: number): Promise<void> {
    const all = Promise.all([...this.#watched.values()].map((w) => w.watcher.firstResult));
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  status(): WatchStatus[] {
    const now = Date.now();
    return [...this.#watched.values()].map((w) => w.watcher.status(now));
  }

  async stop(): Promise<void> {
    for (const w of this.#watched.values()) { clearTimeout(w.held); clearTimeout(w.recheck); }
    await Promise.all([...this.#watched.values()].map((w) => w.watcher.stop()));
    this.#watched.clear();
    await this.#shared?.stop();
    this.#shared = undefined;
  }

  /**
   * Consul's latest answer through the pool guard: a collapse keeps the vanished last-known-good
   * members (not failing here) until the hold ends; the guard looks again every second meanwhile.
   */
  #guarded(name: string, entry: Watched, recheck = false): void {
    clearTimeout(entry.recheck);
    entry.recheck = undefined;
    let endpoints = entry.answer;
    const g = this.#guard;
    if (entry.guard !== null && g !== null) {
      const wasHolding = entry.guard.holding;
      const d = entry.guard.decide(entry.answer, Date.now(), g.failingLocally);
      endpoints = d.members;
      g.onHeld(name, d.kept);
      if (d.kept > 0 && !wasHolding) {
        this.#log.warn({ watch: name, listed: entry.answer.length, kept: d.kept, hold_ms: g.policy.holdMs }, 'pool guard: Consul\'s answer collapsed; keeping the vanished members for a while');
      } else if (wasHolding && !entry.guard.holding) {
        this.#log.warn({ watch: name, listed: entry.answer.length }, 'pool guard: hold over; applying Consul\'s answer');
      }
      if (d.recheckAt !== null) {
        entry.recheck = setTimeout(() => this.#guarded(name, entry, true), Math.max(0, Math.min(GUARD_RECHECK_MS, d.recheckAt - Date.now())));
        entry.recheck.unref();
      }
    }
    if (recheck && sameKeys(entry.endpoints, endpoints)) return;
    entry.endpoints = endpoints;
    this.#log.info({ watch: name, endpoints: endpoints.map((e) => e.key) }, 'pool changed');
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // bursts of watcher answers coalesce into one rebuild
    setImmediate(() => { this.#scheduled = false; this.#onChange(); });
  }
}

function sameKeys(a: readonly EndpointSpec[], b: readonly EndpointSpec[]): boolean {
  return a.length === b.length && a.every((e, i) => e.key === b[i]!.key);
}
