// Kong-ordered route matching over a list compiled once per config. Entries are sorted so the
// first match wins: more match categories first, plain hosts before wildcards, longer prefixes
// first, then config order.
import type { KongRoute } from '../../proto/config-schema.js';
import { KONG_ROUTE_DEFAULTS } from '../../proto/defaults.js';

export interface RouteRule {
  readonly name: string;
  readonly serviceName: string;
  readonly stripPath: boolean;
  readonly preserveHost: boolean;
}

interface Wildcard {
  /** "*.example.com" → suffix ".example.com"; "example.*" → prefix "example." */
  readonly suffix: string | null;
  readonly prefix: string | null;
  /** ":8080" when the pattern names a port, else null (any port) */
  readonly port: string | null;
}

interface HostMatcher {
  readonly exact: ReadonlySet<string>;
  readonly wildcards: readonly Wildcard[];
}

export interface RouteEntry<R extends RouteRule = RouteRule> {
  readonly rule: R;
  /** matched path prefix; "" when the route has no paths */
  readonly prefix: string;
  readonly methods: ReadonlySet<string> | null;
  readonly hosts: HostMatcher | null;
}

export interface RouteMatch<R extends RouteRule = RouteRule> {
  readonly rule: R;
  readonly prefix: string;
}

function compileHosts(hosts: readonly string[] | undefined): HostMatcher | null {
  if (!hosts?.length) return null;
  const exact = new Set<string>();
  const wildcards: Wildcard[] = [];
  for (const h of hosts.map((x) => x.toLowerCase())) {
    const m = /^(.*?)(:\d+)?$/.exec(h)!;
    const name = m[1]!;
    const port = m[2] ?? null;
    if (name.startsWith('*.')) wildcards.push({ suffix: name.slice(1), prefix: null, port });
    else if (name.endsWith('.*')) wildcards.push({ suffix: null, prefix: name.slice(0, -1), port });
    else exact.add(h);
  }
  return { exact, wildcards };
}

function hostMatches(m: HostMatcher, host: string): boolean {
  if (m.exact.has(host)) return true;
  const colon = host.startsWith('[') ? host.indexOf(']:') + 1 : host.lastIndexOf(':');
  const bare = colon > 0 ? host.slice(0, colon) : host;
  const port = colon > 0 ? host.slice(colon) : '';
  if (bare !== host && m.exact.has(bare)) return true;
  for (const w of m.wildcards) {
    if (w.port !== null && w.port !== port) continue;
    if (w.suffix !== null ? bare.endsWith(w.suffix) && bare.length > w.suffix.length : bare.startsWith(w.prefix!) && bare.length > w.prefix!.length) return true;
  }
  return false;
}

/** A prefix matches only at a segment boundary: "/users" matches "/users" and "/users/1", not "/usersX". */
export function prefixMatches(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith('/') || path.charCodeAt(prefix.length) === 47;
}

export function compileRouteEntries<R extends RouteRule>(routes: readonly { route: KongRoute; rule: R }[]): RouteEntry<R>[] {
  const entries: (RouteEntry<R> & { score: number[] })[] = [];
  routes.forEach(({ route, rule }, order) => {
    const methods = route.methods?.length ? new Set(route.methods) : null;
    const hosts = compileHosts(route.hosts);
    const categories = (methods ? 1 : 0) + (hosts ? 1 : 0) + (route.paths?.length ? 1 : 0);
    const plainHosts = hosts && hosts.wildcards.length === 0 ? 1 : 0;
    for (const prefix of route.paths?.length ? route.paths : ['']) {
      entries.push({ rule, prefix, methods, hosts, score: [categories, plainHosts, prefix.length, -order] });
    }
  });
  entries.sort((a, b) => {
    for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return b.score[i]! - a.score[i]!;
    return 0;
  });
  return entries.map(({ score: _score, ...e }) => e);
}

export function matchRoute<R extends RouteRule>(entries: readonly RouteEntry<R>[], method: string, host: string, path: string): RouteMatch<R> | undefined {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.prefix !== '' && !prefixMatches(e.prefix, path)) continue;
    if (e.methods !== null && !e.methods.has(method)) continue;
    if (e.hosts !== null && !hostMatches(e.hosts, host)) continue;
    return e;
  }
  return undefined;
}

/**
 * Kong's upstream path (path_handling "v0", Kong's default): the service path joined with what
 * the route leaves after strip_path, keeping or dropping the trailing slash as Kong does.
 */
export function upstreamPath(servicePath: string, prefix: string, path: string, stripPath: boolean): string {
  const base = servicePath === '' ? '/' : servicePath;
  const strip = stripPath && prefix !== '';
  const postfix = strip ? path.slice(prefix.length) : '';
  if (base.endsWith('/')) {
    if (!strip) return base + path.slice(1);
    if (postfix === '') return base === '/' ? '/' : path.endsWith('/') ? base : base.slice(0, -1);
    return postfix.startsWith('/') ? base.slice(0, -1) + postfix : base + postfix;
  }
  if (!strip) return path === '/' ? base : base + path;
  if (postfix === '') return path.length > 1 && path.endsWith('/') ? `${base}/` : base;
  return postfix.startsWith('/') ? base + postfix : `${base}/${postfix}`;
}

export function ruleFor(route: KongRoute, serviceName: string, index: number): RouteRule {
  return {
    name: route.name ?? `${serviceName}.routes[${index}]`,
    serviceName,
    stripPath: route.strip_path ?? KONG_ROUTE_DEFAULTS.strip_path,
    preserveHost: route.preserve_host ?? KONG_ROUTE_DEFAULTS.preserve_host,
  };
}
