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

interface HostMatcher {
  readonly exact: ReadonlySet<string>;
  readonly suffixes: readonly string[]; // "*.example.com" → ".example.com"
  readonly prefixes: readonly string[]; // "example.*" → "example."
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
  const suffixes: string[] = [];
  const prefixes: string[] = [];
  for (const h of hosts.map((x) => x.toLowerCase())) {
    if (h.startsWith('*.')) suffixes.push(h.slice(1));
    else if (h.endsWith('.*')) prefixes.push(h.slice(0, -1));
    else exact.add(h);
  }
  return { exact, suffixes, prefixes };
}

function hostMatches(m: HostMatcher, host: string): boolean {
  if (m.exact.has(host)) return true;
  const bare = host.includes(':') && !host.startsWith('[') ? host.slice(0, host.lastIndexOf(':')) : host;
  if (bare !== host && m.exact.has(bare)) return true;
  for (const s of m.suffixes) if (bare.endsWith(s) && bare.length > s.length) return true;
  for (const p of m.prefixes) if (bare.startsWith(p) && bare.length > p.length) return true;
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
    const categories = (methods ? 1 : 0) + (hosts ? 1 : 0);
    const plainHosts = hosts && hosts.suffixes.length === 0 && hosts.prefixes.length === 0 ? 1 : 0;
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

/** Kong's upstream path: service path joined with what the route leaves after strip_path. */
export function upstreamPath(servicePath: string, prefix: string, path: string, stripPath: boolean): string {
  if (!stripPath || prefix === '') return join(servicePath, path);
  let rest = path.slice(prefix.length);
  if (prefix.endsWith('/') && rest !== '') rest = `/${rest}`;
  return join(servicePath, rest);
}

function join(base: string, rest: string): string {
  if (base === '' || base === '/') return rest === '' ? '/' : rest;
  if (rest === '' || rest === '/') return base + (rest === '/' && !base.endsWith('/') ? '/' : '');
  return base.endsWith('/') ? base + rest.slice(1) : base + rest;
}

export function ruleFor(route: KongRoute, serviceName: string, index: number): RouteRule {
  return {
    name: route.name ?? `${serviceName}.routes[${index}]`,
    serviceName,
    stripPath: route.strip_path ?? KONG_ROUTE_DEFAULTS.strip_path,
    preserveHost: route.preserve_host ?? KONG_ROUTE_DEFAULTS.preserve_host,
  };
}
