// Cache keys. Kong's is sha256(consumer:route | method | uri | params | headers); ours also
// covers the Host, the path sent upstream, and — in a second step — the request headers the
// UPSTREAM named in Vary (RFC 9111 §4.1). The first step (the base key) is known before the
// request is proxied; it finds the URL's stored Vary spec, which turns it into the variant key
// under which the response itself is stored. Components are hashed as a JSON array, so no
// separator inside a value can make two requests collide.
import { createHash } from 'node:crypto';
import type { RequestContext } from '../context.js';
import type { CacheSettings } from './config.js';
import type { VarySpec } from './store.js';

export interface KeyRequest {
  readonly route: string;
  readonly consumer: string | undefined;
  readonly method: string;
  readonly host: string;
  /** normalized request path (what routing saw) */
  readonly path: string;
  /** path sent upstream (after strip_path, service path, transformations) */
  readonly upstreamPath: string;
  /** query sent upstream */
  readonly query: URLSearchParams;
  /** a request header by lower-case name, repeats joined */
  header(name: string): string | undefined;
}

/** What the key is made of; the query is parsed here, since touching ctx.queryParams re-encodes what goes upstream. */
export function keyRequest(ctx: RequestContext): KeyRequest {
  return {
    route: ctx.route.routeId ?? ctx.route.name, consumer: ctx.consumer?.id, method: ctx.method, host: ctx.host,
    path: ctx.path, upstreamPath: ctx.upstreamPath, query: new URLSearchParams(ctx.query), header: (h) => ctx.header(h),
  };
}

/**
 * sha256 of the JSON of the parts. The same few keys come back on every hit, so digests are
 * remembered by their input (bounded): a hit then costs a JSON.stringify and a Map lookup.
 */
const digests = new Map<string, string>();
const sha256 = (parts: unknown): string => {
  const text = JSON.stringify(parts);
  let d = digests.get(text);
  if (d === undefined) {
    d = createHash('sha256').update(text).digest('hex');
    if (digests.size >= 10_000) digests.clear();
    if (text.length <= 2048) digests.set(text, d);
  }
  return d;
};

/** HEAD is answered from GET's entries, so both share GET's key. */
export function keyMethod(method: string): string {
  return method === 'HEAD' ? 'GET' : method;
}

/** Header values compare after trimming and folding whitespace runs (RFC 9111 §4.1). */
export function normalizeValue(v: string | undefined): string | null {
  return v === undefined ? null : v.trim().replace(/\s+/g, ' ');
}

/** Kong's params component: the chosen parameters by name, each with its values sorted. */
export function queryComponent(query: URLSearchParams, only: readonly string[] | null): [string, string[]][] {
  const names = only ?? [...new Set(query.keys())].sort();
  const out: [string, string[]][] = [];
  for (const name of names) {
    const values = query.getAll(name);
    if (values.length > 0) out.push([name, values.sort()]);
  }
  return out;
}

export function baseKey(s: CacheSettings, r: KeyRequest, method = r.method): string {
  const fold = (p: string) => (s.ignoreUriCase ? p.toLowerCase() : p);
  return sha256([
    r.consumer ?? 'default', r.route, keyMethod(method), r.host.toLowerCase(), fold(r.path), fold(r.upstreamPath),
    queryComponent(r.query, s.varyQueryParams), s.varyHeaders.map((h) => [h, normalizeValue(r.header(h))]),
  ]);
}

/** The response is stored under this key: the base key plus the values of the Vary headers. */
export function variantKey(base: string, spec: VarySpec, header: (name: string) => string | undefined): string {
  return sha256([base, spec.generation, spec.headers.map((h) => [h, normalizeValue(header(h))])]);
}

/** The response's Vary fields as a sorted list of lower-case names, or "*" (never served from cache). */
export function parseVary(values: readonly string[]): string[] | '*' {
  const names = new Set<string>();
  for (const v of values) {
    for (const token of v.split(',')) {
      const t = token.trim().toLowerCase();
      if (t === '*') return '*';
      if (t !== '') names.add(t);
    }
  }
  return [...names].sort();
}

export function sameHeaders(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A URL's Vary spec. Its generation follows from the header list alone, so the processes of an
 * agent (workers, each with its own memory store) and the agents sharing a Redis store name a
 * variant alike: X-Cache-Key is the same whichever of them answered, and a DELETE of it reaches
 * every copy. A changed list still gives every variant a new key.
 */
export function newVarySpec(headers: readonly string[]): VarySpec {
  return { headers, generation: sha256(['vary', headers]).slice(0, 12) };
}

export const CACHE_KEY_PATTERN = /^[0-9a-f]{64}$/;
