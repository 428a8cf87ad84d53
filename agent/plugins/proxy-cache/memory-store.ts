// The memory strategy: one LRU per agent process, bounded in bytes (with N workers, each holds
// 1/N of the bound, so the agent as a whole stays within memory_max_bytes).
//
// Why lru-cache and not node-cache (named on the design card): node-cache can only bound the
// number of keys (maxKeys) and then refuses new ones instead of evicting, has no notion of an
// entry's size, and clones every value on get and set by default. A response cache must be
// bounded in bytes, keep what is used and drop what is not: lru-cache (isaacs) gives exactly that
// with `maxSize` + `sizeCalculation` (LRU eviction until the new entry fits, so the accounted
// size never passes the bound), `maxEntrySize` (an entry that could never fit is refused rather
// than flushing everything else), and per-entry TTLs, without copying values.
import { LRUCache } from 'lru-cache';
import { responseSize, SharedRegistry, type CacheStore, type Lease, type StoreStats, type StoredResponse, type VarySpec } from './store.js';

type Entry = StoredResponse | VarySpec;

const RESPONSE = 'r:';
const VARY = 'v:';

function isResponse(e: Entry): e is StoredResponse {
  return (e as StoredResponse).body !== undefined;
}

export interface MemoryStoreOptions {
  readonly dictionaryName: string;
  readonly maxBytes: number;
  readonly maxObjectBytes: number;
}

export class MemoryCacheStore implements CacheStore {
  readonly #lru: LRUCache<string, Entry>;
  readonly #opts: MemoryStoreOptions;

  constructor(opts: MemoryStoreOptions) {
    this.#opts = opts;
    this.#lru = new LRUCache<string, Entry>({
      maxSize: opts.maxBytes,
      maxEntrySize: Math.min(opts.maxObjectBytes, opts.maxBytes),
      sizeCalculation: (value, key) => (isResponse(value) ? responseSize(key, value) : 64 + key.length + value.headers.join(',').length),
    });
  }

  /** bytes accounted for right now; never above maxBytes */
  get bytes(): number { return this.#lru.calculatedSize; }
  get entries(): number { return this.#lru.size; }

  async getResponse(key: string): Promise<StoredResponse | undefined> {
    const e = this.#lru.get(RESPONSE + key);
    return e !== undefined && isResponse(e) ? e : undefined;
  }

  async getVary(baseKey: string): Promise<VarySpec | undefined> {
    const e = this.#lru.get(VARY + baseKey);
    return e !== undefined && !isResponse(e) ? e : undefined;
  }

  async put(baseKey: string, spec: VarySpec, key: string, value: StoredResponse, ttlMs: number): Promise<boolean> {
    if (responseSize(RESPONSE + key, value) > this.#opts.maxObjectBytes) return false;
    const ttl = Math.max(1, ttlMs);
    this.#lru.set(VARY + baseKey, spec, { ttl });
    this.#lru.set(RESPONSE + key, value, { ttl });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const a = this.#lru.delete(RESPONSE + key);
    const b = this.#lru.delete(VARY + key);
    return a || b;
  }

  async purge(): Promise<void> {
    this.#lru.clear();
  }

  async stats(): Promise<StoreStats> {
    return {
      strategy: 'memory', dictionary_name: this.#opts.dictionaryName, entries: this.entries, bytes: this.bytes,
      max_bytes: this.#opts.maxBytes, max_object_bytes: this.#opts.maxObjectBytes,
    };
  }
}

const shared = new SharedRegistry<MemoryCacheStore>((store) => { void store.purge(); });

/** processes serving this agent: each holds 1/N of memory_max_bytes, so the bound is the agent's */
let processesSharingTheBound = 1;

/** Set once by a worker at start, before any config is compiled. */
export function shareMemoryBound(processes: number): void { processesSharingTheBound = Math.max(1, processes); }

/** The process-wide store for these settings (Kong's shared dict of that name). */
export function acquireMemoryStore(opts: MemoryStoreOptions): Lease<MemoryCacheStore> {
  const maxBytes = Math.max(1, Math.floor(opts.maxBytes / processesSharingTheBound));
  const own = { ...opts, maxBytes, maxObjectBytes: Math.min(opts.maxObjectBytes, maxBytes) };
  return shared.acquire(JSON.stringify([opts.dictionaryName, opts.maxBytes, opts.maxObjectBytes]), () => new MemoryCacheStore(own));
}
