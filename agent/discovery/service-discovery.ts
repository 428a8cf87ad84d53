// Keeps one blocking watcher per Consul service that the current config references, stores the
// latest translated endpoints, and signals (coalesced) when any of them changed.
import type { Logger } from 'pino';
import type { ConsulClient } from './consul-client.js';
import { BlockingWatcher, type WatchStatus } from './blocking-watcher.js';
import { catalogToEndpoints, type ConsulHealthEntry, type EndpointSpec } from './catalog-to-endpoints.js';

export interface WatchKey {
  readonly service: string;
  /** watch the service's sidecars (/health/connect) rather than the instances */
  readonly mesh: boolean;
}

interface Watched {
  readonly watcher: BlockingWatcher;
  endpoints: readonly EndpointSpec[];
}

export function watchName(k: WatchKey): string {
  return `${k.mesh ? 'connect' : 'service'}/${k.service}`;
}

export class ServiceDiscovery {
  readonly #client: ConsulClient;
  readonly #log: Logger;
  readonly #onChange: () => void;
  readonly #watched = new Map<string, Watched>();
  readonly #waitMs: number;
  #scheduled = false;

  constructor(client: ConsulClient, log: Logger, onChange: () => void, waitMs = 300_000) {
    this.#client = client;
    this.#log = log;
    this.#onChange = onChange;
    this.#waitMs = waitMs;
  }

  /** Starts watchers for new keys and stops those no longer wanted. */
  setWanted(keys: readonly WatchKey[]): void {
    const wanted = new Map(keys.map((k) => [watchName(k), k]));
    for (const [name, w] of this.#watched) {
      if (!wanted.has(name)) { void w.watcher.stop(); this.#watched.delete(name); }
    }
    for (const [name, k] of wanted) {
      if (this.#watched.has(name)) continue;
      const entry: Watched = {
        endpoints: [],
        watcher: new BlockingWatcher(this.#client, {
          name, path: `/health/${k.mesh ? 'connect' : 'service'}/${encodeURIComponent(k.service)}`,
          query: { passing: '1' }, waitMs: this.#waitMs,
          onChange: (body) => {
            const t = catalogToEndpoints((body ?? []) as ConsulHealthEntry[]);
            for (const s of t.skipped) this.#log.warn({ watch: name, skipped: s }, 'catalog entry skipped');
            entry.endpoints = t.endpoints;
            this.#log.info({ watch: name, endpoints: t.endpoints.map((e) => e.key) }, 'pool changed');
            this.#schedule();
          },
          onError: (err, attempt) => {
            if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ watch: name, attempt, err: (err as Error).message }, 'consul watch failed; serving last known pool');
          },
        }),
      };
      this.#watched.set(name, entry);
      entry.watcher.start();
    }
  }

  endpoints(k: WatchKey): { endpoints: readonly EndpointSpec[]; loaded: boolean } {
    const w = this.#watched.get(watchName(k));
    return w ? { endpoints: w.endpoints, loaded: w.watcher.hasResult } : { endpoints: [], loaded: false };
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
    await Promise.all([...this.#watched.values()].map((w) => w.watcher.stop()));
    this.#watched.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // bursts of watcher answers coalesce into one rebuild
    setImmediate(() => { this.#scheduled = false; this.#onChange(); });
  }
}
