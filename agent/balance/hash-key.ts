// The request key a consistent-hashing upstream hashes, compiled once per config from Kong's
// hash_on / hash_fallback fields into one function (kong/runloop/balancer/init.lua's
// get_value_to_hash): the hash_on source, then the fallback when the first is absent. Presence
// counts, not emptiness (an empty header or cookie is a key, as in Kong). With neither present
// the key is "", so such requests share one target, as in Kong. A hash_on cookie that the request
// lacks is created (a random UUID) and set on the response.
import { randomUUID } from 'node:crypto';
import type { KongUpstream } from '../../proto/config-schema.js';
import type { InboundRequest } from '../pipeline/transport.js';

/** What a request offers as a hash key (the pipeline's Hop). */
export interface HashSource {
  readonly req: InboundRequest;
  /** the client address after trusted_proxies (Kong's remote_addr) */
  readonly clientIp: string;
  /** the normalized request path, without the query (what routing saw) */
  readonly path: string;
  /** the raw query string, without "?" */
  readonly query: string;
  /** the route's named regex captures */
  readonly captures: Readonly<Record<string, string>>;
  /** the authenticated consumer's id, else the credential's (edge plugins) */
  readonly consumerId: string | undefined;
  /** a Set-Cookie value the response must carry (a hash cookie created for this request) */
  setCookie: string | null;
}

export type HashKey = (src: HashSource) => string;

type Source = (src: HashSource) => string | undefined;

type HashOn = NonNullable<KongUpstream['hash_on']>;

/** null unless the upstream is consistent-hashing with a hash_on other than none. */
export function compileHashKey(u: KongUpstream): HashKey | null {
  if (u.algorithm !== 'consistent-hashing' || (u.hash_on ?? 'none') === 'none') return null;
  const first = source(u, u.hash_on!, u.hash_on_header, u.hash_on_query_arg, u.hash_on_uri_capture);
  const fallback = (u.hash_fallback ?? 'none') === 'none'
    ? null : source(u, u.hash_fallback!, u.hash_fallback_header, u.hash_fallback_query_arg, u.hash_fallback_uri_capture);
  if (fallback === null) return (src) => first(src) ?? '';
  return (src) => first(src) ?? fallback(src) ?? '';
}

function source(u: KongUpstream, on: HashOn, header?: string, queryArg?: string, capture?: string): Source {
  switch (on) {
    case 'consumer': return (src) => src.consumerId;
    case 'ip': return (src) => src.clientIp;
    case 'path': return (src) => src.path;
    case 'header': {
      const name = header!.toLowerCase();
      return (src) => joined(src.req.headers[name]);
    }
    case 'cookie': return cookieSource(u.hash_on_cookie!, u.hash_on_cookie_path ?? '/');
    case 'query_arg': return (src) => queryArgValue(src.query, queryArg!);
    case 'uri_capture': return (src) => src.captures[capture!];
    case 'none': return () => undefined;
  }
}

function joined(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function cookieSource(name: string, path: string): Source {
  const prefix = `${name}=`;
  const attributes = `; Path=${path}; SameSite=Lax; HttpOnly`;
  return (src) => {
    const v = cookieValue(src.req.headers.cookie, prefix);
    if (v !== undefined) return v;
    const created = randomUUID();
    src.setCookie = prefix + created + attributes;
    return created;
  };
}

/** The value of the first cookie named by `prefix` ("name=") in a Cookie header. */
export function cookieValue(header: string | undefined, prefix: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const p = part.trim();
    if (p.startsWith(prefix)) return p.slice(prefix.length);
  }
  return undefined;
}

/** Kong's get_query_arg: a repeated argument's values sorted and joined with ",". */
export function queryArgValue(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  const values = new URLSearchParams(query).getAll(name);
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values.sort().join(',');
}
