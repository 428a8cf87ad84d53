// The cache's admin endpoints, registered once per admin listener for all proxy-cache instances
// (several routes, a reload's old and new instances) and removed with the last of them:
//   DELETE /cache          every entry of every store in use (a Redis store: for every agent sharing it) → 204
//   DELETE /cache/<key>    the entry with that X-Cache-Key (or a URL's vary spec) → 204, or 404 JSON
//   GET    /cache          the stores in use, with their entry counts and bytes (memory)
//   GET    /cache/<key>    what is stored under that key (status, headers, age) → 200, or 404 JSON
// The same under Kong's Admin API path, /proxy-cache.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRoutes } from '../../admin/admin-routes.js';
import { json } from '../../admin/admin-server.js';
import { ageHeader } from './freshness.js';
import { CACHE_KEY_PATTERN } from './key.js';
import type { CacheStore } from './store.js';

const PREFIXES = ['/cache', '/proxy-cache'];
const NOT_FOUND = { message: 'Not found' };

interface Attachment {
  /** store → how many instances use it through this admin listener */
  readonly stores: Map<CacheStore, number>;
  readonly off: (() => void)[];
}

const attachments = new WeakMap<AdminRoutes, Attachment>();

async function answer(res: ServerResponse, work: () => Promise<[number, unknown?]>): Promise<void> {
  try {
    const [status, body] = await work();
    if (body === undefined) { res.writeHead(status, { 'content-length': '0' }); res.end(); } else json(res, status, body);
  } catch (err) {
    json(res, 503, { message: `cache store unavailable: ${(err as Error).message}` });
  }
}

function handlers(a: Attachment) {
  const stores = () => [...a.stores.keys()];
  return {
    purge: (_req: IncomingMessage, res: ServerResponse, rest: string) => answer(res, async () => {
      if (rest === '') {
        await Promise.all(stores().map((s) => s.purge()));
        return [204];
      }
      if (!CACHE_KEY_PATTERN.test(rest)) return [404, NOT_FOUND];
      const found = await Promise.all(stores().map((s) => s.delete(rest)));
      return found.some(Boolean) ? [204] : [404, NOT_FOUND];
    }),
    read: (_req: IncomingMessage, res: ServerResponse, rest: string) => answer(res, async () => {
      if (rest === '') return [200, { stores: await Promise.all(stores().map((s) => s.stats())) }];
      if (!CACHE_KEY_PATTERN.test(rest)) return [404, NOT_FOUND];
      const now = Date.now();
      for (const s of stores()) {
        const r = await s.getResponse(rest);
        if (r !== undefined) {
          return [200, { key: rest, status: r.status, headers: r.headers, body_bytes: r.body.length, age: Number(ageHeader(r, now)), fresh_for: r.freshForS }];
        }
      }
      return [404, NOT_FOUND];
    }),
  };
}

/** Makes `store` reachable through the admin endpoints; returns the function that detaches it. */
export function attachAdmin(admin: AdminRoutes, store: CacheStore): () => void {
  let a = attachments.get(admin);
  if (a === undefined) {
    const created: Attachment = { stores: new Map(), off: [] };
    const h = handlers(created);
    for (const prefix of PREFIXES) created.off.push(admin.register('DELETE', prefix, h.purge), admin.register('GET', prefix, h.read));
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
