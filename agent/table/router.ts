// Kong-ordered route matching over a list compiled once per config. Entries are sorted so the
// first match wins: more match categories first, plain hosts before wildcards, longer prefixes
// first, then config order.
import type { KongRoute } from '../../proto/config-schema.js';
import type { IncomingHttpHeaders } from 'node:http';
import { KONG_ROUTE_DEFAULTS } from '../../proto/defaults.js';
import { sniMatches } from '../edge/tls/sni-index.js';

export interface RouteRule {
  readonly name: string;
  readonly serviceName: string;
  readonly stripPath: boolean;
  readonly preserveHost: boolean;
  /** an https-only route reached over plain HTTP answers with this status (426 or a redirect); null otherwise */
  readonly httpsRedirectStatus: number | null;
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

interface HeaderRule {
  readonly name: string;
  readonly values: ReadonlySet<string>;
  readonly regexes: readonly RegExp[];
}

export interface RouteEntry<R extends RouteRule = RouteRule> {
  readonly rule: R;
  /** matched path prefix; "" when the route has no paths or the path is a regex */
  readonly prefix: string;
  /** a regex path (Kong's "~" prefix), anchored at the start of the path */
  readonly regex: RegExp | null;
  readonly methods: ReadonlySet<string> | null;
  readonly hosts: HostMatcher | null;
  readonly headers: readonly HeaderRule[] | null;
  /** TLS server names (route `snis`); null: any, with or without TLS */
  readonly snis: ReadonlySet<string> | null;
  /** the schemes a route matches; null: http and https. An https-only route also matches http, to redirect. */
  readonly schemes: ReadonlySet<string> | null;
  readonly captures?: undefined;
}

export interface RouteMatch<R extends RouteRule = RouteRule> {
  readonly rule: R;
  /** the part of the path the route matched (stripped when strip_path) */
  readonly prefix: string;
  /** named groups of a regex path (Kong's uri_captures) */
  readonly captures?: Readonly<Record<string, string>> | undefined;
}

const NO_HEADERS: IncomingHttpHeaders = {};

/** Kong 3: a path starting with "~" is a regex; formats before 3.0 had no marker, so regex-looking paths are regexes. */
export function pathRegex(path: string, formatVersion = '3.0'): RegExp | null {
  let source: string | undefined;
  if (path.startsWith('~')) source = path.slice(1);
  else if (formatVersion !== '3.0' && /[\\^$*+?()[\]{}|]/.test(path)) source = path;
  if (source === undefined) return null;
  return new RegExp(source.startsWith('^') ? source : `^(?:${source})`);
}

function compileHeaderRules(headers: Readonly<Record<string, readonly string[]>> | undefined): HeaderRule[] | null {
  if (!headers || Object.keys(headers).length === 0) return null;
  return Object.entries(headers).map(([name, values]) => ({
    name: name.toLowerCase(),
    values: new Set(values.filter((v) => !v.startsWith('~*')).map((v) => v.toLowerCase())),
    regexes: values.filter((v) => v.startsWith('~*')).map((v) => new RegExp(v.slice(2), 'i')),
  }));
}

export function headersMatch(rules: readonly HeaderRule[], headers: IncomingHttpHeaders): boolean {
  for (const r of rules) {
    const raw = headers[r.name];
    if (raw === undefined) return false;
    const values = Array.isArray(raw) ? raw : [raw];
    if (!values.some((v) => r.values.has(v.toLowerCase()) || r.regexes.some((re) => re.test(v)))) return false;
  }
  return true;
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

export function hostMatches(m: HostMatcher, host: string): boolean {
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

/**
 * Kong's order: more categories (paths, methods, hosts, headers) first, then plain hosts before
 * wildcards, more headers, regex paths (by regex_priority) before prefix paths (longest first),
 * then config order.
 */
export function compileRouteEntries<R extends RouteRule>(routes: readonly { route: KongRoute; rule: R }[], formatVersion = '3.0'): RouteEntry<R>[] {
  const entries: (RouteEntry<R> & { score: number[] })[] = [];
  routes.forEach(({ route, rule }, order) => {
    const methods = route.methods?.length ? new Set(route.methods) : null;
    const hosts = compileHosts(route.hosts);
    const headers = compileHeaderRules(route.headers);
    const snis = route.snis?.length ? new Set(route.snis.map((n) => n.toLowerCase())) : null;
    const schemes = compileSchemes(route.protocols);
    const categories = (methods ? 1 : 0) + (hosts ? 1 : 0) + (route.paths?.length ? 1 : 0) + (headers ? 1 : 0) + (snis ? 1 : 0);
    const plainHosts = hosts && hosts.wildcards.length === 0 ? 1 : 0;
    const headerCount = headers?.length ?? 0;
    for (const path of route.paths?.length ? route.paths : ['']) {
      const regex = path === '' ? null : pathRegex(path, formatVersion);
      const prefix = regex ? '' : path;
      const byPath = regex ? [1, route.regex_priority ?? 0, 0] : [0, 0, prefix.length];
      entries.push({ rule, prefix, regex, methods, hosts, headers, snis, schemes, score: [categories, plainHosts, headerCount, ...byPath, -order] });
    }
  });
  entries.sort((a, b) => {
    for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return b.score[i]! - a.score[i]!;
    return 0;
  });
  return entries.map(({ score: _score, ...e }) => e);
}

/** null: every HTTP request (http and https); gRPC calls match only routes that list grpc or grpcs */
function compileSchemes(protocols: readonly string[] | undefined): ReadonlySet<string> | null {
  if (!protocols?.length) return null;
  const set = new Set(protocols);
  if (set.has('https')) set.add('http');
  return set.size === 2 && set.has('http') && set.has('https') ? null : set;
}

/** How the request arrived: the scheme (after trusted X-Forwarded-Proto) and the TLS server name. */
export interface Arrival {
  readonly scheme: 'http' | 'https' | 'grpc' | 'grpcs';
  readonly sni: string | undefined;
  /** a gRPC call (scheme grpc or grpcs) */
  readonly grpc?: boolean;
}

const PLAIN_GRPC: Arrival = Object.freeze({ scheme: 'grpc', sni: undefined, grpc: true });

/** A gRPC call's arrival: grpc over plain HTTP/2 (h2c), grpcs over TLS. */
export function grpcArrival(http: Arrival): Arrival {
  if (http.scheme === 'http') return PLAIN_GRPC;
  return { scheme: 'grpcs', sni: http.sni, grpc: true };
}

const PLAIN: Arrival = { scheme: 'http', sni: undefined };

export function matchRoute<R extends RouteRule>(
  entries: readonly RouteEntry<R>[], method: string, host: string, path: string, headers: IncomingHttpHeaders = NO_HEADERS,
  arrival: Arrival = PLAIN,
): RouteMatch<R> | undefined {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.prefix !== '' && !prefixMatches(e.prefix, path)) continue;
    if (e.schemes === null ? arrival.grpc === true : !e.schemes.has(arrival.scheme)) continue;
    if (e.snis !== null && !sniMatches(e.snis, arrival.sni)) continue;
    if (e.methods !== null && !e.methods.has(method)) continue;
    if (e.hosts !== null && !hostMatches(e.hosts, host)) continue;
    if (e.headers !== null && !headersMatch(e.headers, headers)) continue;
    if (e.regex !== null) {
      const m = e.regex.exec(path);
      if (m === null) continue;
      return { rule: e.rule, prefix: m[0], captures: m.groups ? { ...m.groups } : undefined };
    }
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

export function isGrpcRoute(route: KongRoute): boolean {
  return route.protocols?.some((p) => p === 'grpc' || p === 'grpcs') ?? false;
}

export function ruleFor(route: KongRoute, serviceName: string, index: number): RouteRule {
  return {
    name: route.name ?? `${serviceName}.routes[${index}]`,
    serviceName,
    // a gRPC path (/package.Service/Method) reaches the upstream whole: strip_path cannot be set on grpc routes
    stripPath: route.strip_path ?? (isGrpcRoute(route) ? false : KONG_ROUTE_DEFAULTS.strip_path),
    preserveHost: route.preserve_host ?? KONG_ROUTE_DEFAULTS.preserve_host,
    httpsRedirectStatus: route.protocols?.includes('https') && !route.protocols.includes('http')
      ? route.https_redirect_status_code ?? KONG_ROUTE_DEFAULTS.https_redirect_status_code : null,
  };
}
