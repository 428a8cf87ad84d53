// What is kept of a response's headers, and the short-circuit that replays a stored response.
import { HOP_BY_HOP, MESH_ERROR, REQUEST_ID } from '../../../proto/headers.js';
import type { HeaderList, ShortCircuit } from '../plugin.js';
import type { CacheSettings } from './config.js';
import { ageHeader } from './freshness.js';
import type { StoredResponse } from './store.js';

export const X_CACHE_STATUS = 'X-Cache-Status';
export const X_CACHE_KEY = 'X-Cache-Key';
export type CacheStatus = 'Miss' | 'Hit' | 'Refresh' | 'Bypass';

/**
 * Never stored: hop-by-hop fields, framing (recomputed), Age and our own fields (recomputed per
 * answer), the request id and error code of the answer that filled the cache.
 */
const NOT_STORED = new Set([...HOP_BY_HOP, 'content-length', 'age', 'x-cache-status', 'x-cache-key', REQUEST_ID, MESH_ERROR, 'set-cookie']);

/**
 * The end-to-end headers worth replaying. `perRequest` are the fields other plugins add to every
 * answer (rate-limit counters, …): they are added again to the replayed answer, so not stored.
 */
export function storableHeaders(headers: HeaderList, perRequest: HeaderList): [string, string][] {
  const skip = new Set(perRequest.entries().map(([n]) => n.toLowerCase()));
  return headers.entries().filter(([n]) => {
    const lower = n.toLowerCase();
    return !NOT_STORED.has(lower) && !skip.has(lower);
  });
}

/** Any body can be replayed: short-circuit bodies are sent as bytes. */
export function replayable(_body: Buffer): boolean {
  return true;
}

export function cacheHeaders(s: CacheSettings, target: HeaderList, status: CacheStatus, key: string | null): void {
  if (s.sendStatus) target.set(X_CACHE_STATUS, status);
  if (s.sendKey && key !== null) target.set(X_CACHE_KEY, key);
}

/** The stored answer with Age, X-Cache-Status: Hit and X-Cache-Key. */
export function replay(s: CacheSettings, r: StoredResponse, key: string, nowMs: number): ShortCircuit {
  const headers: Record<string, string | string[]> = {};
  const names = new Map<string, string>();
  for (const [name, value] of r.headers) {
    const lower = name.toLowerCase();
    const first = names.get(lower);
    if (first === undefined) { names.set(lower, name); headers[name] = value; continue; }
    const cur = headers[first]!;
    headers[first] = Array.isArray(cur) ? [...cur, value] : [cur as string, value];
  }
  if (s.sendAge) headers.Age = ageHeader(r, nowMs);
  if (s.sendStatus) headers[X_CACHE_STATUS] = 'Hit';
  if (s.sendKey) headers[X_CACHE_KEY] = key;
  return { status: r.status, headers, body: r.body };
}
