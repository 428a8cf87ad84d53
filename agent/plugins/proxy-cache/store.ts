// What a cache store keeps and the interface both strategies (memory, Redis) implement, plus the
// reference-counted registry that lets instances with the same settings share one store (and
// keeps it across config reloads: the new config acquires it before the old one releases it).

/** A stored response: what is replayed, and the timings that decide whether it still may be. */
export interface StoredResponse {
  readonly status: number;
  /** end-to-end headers as sent to the first client, minus the per-request ones */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** when it was stored (the storing agent's clock) */
  readonly storedAtMs: number;
  /** its age when it was stored (the upstream's Age, with cache_control) */
  readonly initialAgeS: number;
  /** freshness lifetime */
  readonly freshForS: number;
  readonly staleWhileRevalidateS: number;
  readonly staleIfErrorS: number;
  /** must-revalidate, proxy-revalidate or s-maxage: never served stale */
  readonly mustRevalidate: boolean;
  /** public, s-maxage or must-revalidate: may answer requests carrying Authorization (RFC 9111 §3.5) */
  readonly sharedWithAuth: boolean;
}

/** The upstream's Vary for one URL: which request headers pick the variant. */
export interface VarySpec {
  /** lower-case, sorted, unique */
  readonly headers: readonly string[];
  /** changes whenever the spec is replaced, so variants of an older spec become unreachable */
  readonly generation: string;
}

export interface StoreStats {
  readonly strategy: 'memory' | 'redis';
  readonly [field: string]: unknown;
}

export interface CacheStore {
  getResponse(key: string): Promise<StoredResponse | undefined>;
  getVary(baseKey: string): Promise<VarySpec | undefined>;
  /**
   * Stores a response under its variant key and its URL's Vary spec under the base key, together
   * (one round trip for Redis); false when refused (larger than max_object_bytes).
   */
  put(baseKey: string, spec: VarySpec, key: string, value: StoredResponse, ttlMs: number): Promise<boolean>;
  /** the response or vary spec stored under `key`; true when something was there */
  delete(key: string): Promise<boolean>;
  /** every entry of this store (for Redis: of every agent sharing it) */
  purge(): Promise<void>;
  stats(): Promise<StoreStats>;
}

/** Bytes a response is accounted for: body, headers and a fixed allowance for the record. */
export function responseSize(key: string, r: StoredResponse): number {
  let n = 256 + key.length + r.body.length;
  for (const [name, value] of r.headers) n += name.length + value.length + 4;
  return n;
}

export interface Lease<V> {
  readonly value: V;
  /** gives back this holder's share; the last one disposes of the value */
  release(): void;
}

export class SharedRegistry<V> {
  readonly #entries = new Map<string, { value: V; refs: number }>();

  constructor(readonly dispose: (value: V) => void) {}

  acquire(key: string, make: () => V): Lease<V> {
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = { value: make(), refs: 0 };
      this.#entries.set(key, e);
    }
    e.refs++;
    const entry = e;
    let released = false;
    return {
      value: entry.value,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.refs > 0) return;
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        this.dispose(entry.value);
      },
    };
  }

  get size(): number { return this.#entries.size; }
}
