// The cache's admin endpoints, registered once per admin listener for all proxy-cache instances
// (several routes, a reload's old and new instances) and removed with the last of them:
//   DELETE /cache          every entry of every store in use (a Redis store: for every agent sharing it) → 204
//   DELETE /cache/<key>    the entry with that X-Cache-Key (or a URL's vary spec) → 204, or 404 JSON
//   GET    /cache          the stores in use, with their entry counts and bytes (memory)
//   GET    /cache/<key>    what is stored under that key (status, headers, age) → 200, or 404 JSON
// The same under Kong's Admin API path, /proxy-cache.
import type { AdminReply, AdminRoutes, AdminSpread } from '../../admin/admin-routes.js';
import { ageHeader } from './freshness.js';
import { CACHE_KEY_PATTERN } from './key.js';
import type { CacheStore, StoreStats } from './store.js';

const PREFIXES = ['/cache', '/proxy-cache'];
const NOT_FOUND: AdminReply = { status: 404, body: { message: 'Not found' } };

/** with workers each holds its own memory stores: every one is asked */
const EVERY_FOUND: AdminSpread = { across: 'every', join: 'found' };
const readSpread = (rest: string): AdminSpread => (rest === '' ? { across: 'every', join: 'cache-stats' } : EVERY_FOUND);

interface Attachment {
  /** store → how many instances use it through this admin listener */
  readonly stores: Map<CacheStore, number>;
  readonly off: (() => void)[];
}

const attachments = new WeakMap<AdminRoutes, Attachment>();

async function answer(work: () => Promise<AdminReply>): Promise<AdminReply> {
  try {
    return await work();
  } catch (err) {
    return { status: 503, body: { message: `cache store unavailable: ${(err as Error).message}` } };
  }
}

function handlers(a: Attachment) {
  const stores = () => [...a.stores.keys()];
  return {
    purge: (_call: unknown, rest: string) => answer(async () => {
      if (rest === '') {
        await Promise.all(stores().map((s) => s.purge()));
        return { status: 204 };
      }
      if (!CACHE_KEY_PATTERN.test(rest)) return NOT_FOUND;
      const found = await Promise.all(stores().map((s) => s.delete(rest)));
      return found.some(Boolean) ? { status: 204 } : NOT_FOUND;
    }),
    read: (_call: unknown, rest: string) => answer(async () => {
      if (rest === '') return { status: 200, body: { stores: await Promise.all(stores().map((s) => s.stats())) } };
      if (!CACHE_KEY_PATTERN.test(rest)) return NOT_FOUND;
      const now = Date.now();
      for (const s of stores()) {
        const r = await s.getResponse(rest);
        if (r !== undefined) {
          return { status: 200, body: { key: rest, status: r.status, headers: r.headers, body_bytes: r.body.length, age: Number(ageHeader(r, now)), fresh_for: r.freshForS } };
        }
      }
      return NOT_FOUND;
    }),
  };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * GET /cache of every worker as one listing: the workers run one config, so their stores come in
 * the same order; a memory store's entries, bytes and bound are added up (each worker holds a
 * share of memory_max_bytes), a Redis store (one for all) is connected if every worker's client is.
 */
export function joinCacheStats(perWorker: readonly { readonly stores: readonly StoreStats[] }[]): { stores: StoreStats[] } {
  const [first, ...rest] = perWorker;
  if (first === undefined) return { stores: [] };
  return {
    stores: first.stores.map((s, i) => rest.reduce<StoreStats>((acc, w) => {
      const o = w.stores[i];
      if (o === undefined) return acc;
      if (acc.strategy === 'memory' && o.strategy === 'memory') {
        return { ...acc, entries: num(acc.entries) + num(o.entries), bytes: num(acc.bytes) + num(o.bytes), max_bytes: num(acc.max_bytes) + num(o.max_bytes) };
      }
      if (acc.strategy === 'redis' && o.strategy === 'redis') return { ...acc, connected: acc.connected === true && o.connected === true };
      return acc;
    }, s)),
  };
}

/** Makes `store` reachable through the admin endpoints; returns the function that detaches it. */
export function attachAdmin(admin: AdminRoutes, store: CacheStore): () => void {
  let a = attachments.get(admin);
  if (a === undefined) {
    const created: Attachment = { stores: new Map(), off: [] };
    const h = handlers(created);
    for (const prefix of PREFIXES) created.off.push(admin.register('DELETE', prefix, h.purge, EVERY_FOUND), admin.register('GET', prefix, h.read, readSpread));
    attachments.set(admin, created);
    a = created;
  }
  const att = a;
  att.stores.set(store, (att.stores.get(store) ?? 0) + 1);
  let detached = false;
  return () => {
    if (detached) return;
    detached = true;
    const n = (att.stores.get(store) ?? 1) - 1;
    if (n > 0) { att.stores.set(store, n); return; }
    att.stores.delete(store);
    if (att.stores.size > 0) return;
    for (const off of att.off) off();
    attachments.delete(admin);
  };
}
