// Where a runtime's Consul pools come from: its own watchers (ServiceDiscovery), or with workers
// the primary's, sent over IPC (agent/workers/remote-pools.ts). Same shape either way.
import type { WatchStatus } from './blocking-watcher.js';
import type { EndpointSpec } from './catalog-to-endpoints.js';
import type { WatchKey } from './service-discovery.js';

export interface PoolSource {
  /** the services the current config needs */
  setWanted(keys: readonly WatchKey[]): void;
  endpoints(k: WatchKey): { endpoints: readonly EndpointSpec[]; loaded: boolean };
  /** resolves when every wanted watch has had a first answer, or after timeoutMs */
  firstResults(timeoutMs: number): Promise<void>;
  status(): WatchStatus[];
  stop(): Promise<void>;
}

/** Makes the source of one runtime; `onChange` is called (coalesced) when any pool changed. */
export type PoolSourceFactory = (onChange: () => void) => PoolSource;
