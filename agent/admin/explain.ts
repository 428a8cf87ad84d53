// "Explain a request": what the edge would do with it, without forwarding anything — the route
// chosen and why each other candidate lost, the plugins in execution order with what each would
// decide, the pool, each endpoint's health and the balancer's pick. Served as GET /debug/explain
// on the admin listener, and for a real request carrying the request-debug header and token.
// How the request arrived matters as it does to the router: `url=https://…` says it came over TLS
// (a route's `protocols` and its https-only redirect), `sni=` names the TLS server name (default:
// the url's host name, none for an IP address; `sni=` empty: none), a gRPC content-type makes it a
// gRPC call (grpc or grpcs routes only).
import http from 'node:http';
import { isIP, Socket } from 'node:net';
import { canonicalHost } from '../edge/canonical-host.js';
import { sniMatches } from '../edge/tls/sni-index.js';
import { MeshgateError } from '../../proto/errors.js';
import { hashString } from '../balance/hash-ring.js';
import { RequestContext } from '../plugins/context.js';
import type { PluginInstance } from '../plugins/plugin.js';
import { normalizePath } from '../table/normalize-path.js';
import type { RouteTable, EdgeRoute } from '../table/route-table.js';
import { grpcArrival, headersMatch, hostMatches, prefixMatches, upstreamPath, type Arrival, type RouteEntry, type RouteRule } from '../table/router.js';

/** Plugins whose access phase only reads the request (safe to dry-run on a throwaway context). */
const PURE_ACCESS = new Set(['correlation-id', 'cors', 'key-auth', 'jwt', 'ip-restriction', 'acl', 'request-size-limiting', 'request-transformer', 'response-transformer']);

export interface ExplainInput {
  readonly method: string;
  readonly url: URL;
  /** lower-case names */
  readonly headers: Readonly<Record<string, string>>;
  readonly clientIp: string;
  /** the scheme and TLS server name it arrived with (the router's input beside method, host, path, headers) */
  readonly arrival: Arrival;
}

/** http(s) from the url, the TLS server name from `sni` (default: the url's DNS host name), gRPC from the content-type. */
function arrivalOf(url: URL, sniParam: string | null, headers: Readonly<Record<string, string>>): Arrival {
  const https = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const sni = !https ? undefined : sniParam !== null ? sniParam.toLowerCase() || undefined : isIP(host) === 0 ? host.toLowerCase() : undefined;
  const arrival: Arrival = { scheme: https ? 'https' : 'http', sni };
  return /^application\/grpc($|[+;])/.test(headers['content-type'] ?? '') ? grpcArrival(arrival) : arrival;
}

/** Query of GET /debug/explain → input, or a MeshgateError (400) naming what is wrong. */
export function parseExplainQuery(query: URLSearchParams): ExplainInput | MeshgateError {
  const raw = query.get('url');
  if (raw === null || raw === '') return new MeshgateError('MG_BAD_REQUEST', 'query parameter "url" is required (an absolute http(s) URL)');
  let url: URL;
  try { url = new URL(raw); } catch { return new MeshgateError('MG_BAD_REQUEST', `"url" is not an absolute URL: ${JSON.stringify(raw)}`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return new MeshgateError('MG_BAD_REQUEST', '"url" must be http:// or https://');
  const method = (query.get('method') ?? 'GET').toUpperCase();
  if (!/^[A-Z]{1,20}$/.test(method)) return new MeshgateError('MG_BAD_REQUEST', '"method" must be an HTTP method');
  const sni = query.get('sni');
  if (sni !== null && url.protocol !== 'https:') return new MeshgateError('MG_BAD_REQUEST', '"sni" needs an https:// url (a server name comes with TLS)');
  if (sni !== null && sni !== '' && !/^[a-z0-9*][a-z0-9.*-]{0,252}$/i.test(sni)) return new MeshgateError('MG_BAD_REQUEST', `"sni" must be a DNS name, got ${JSON.stringify(sni)}`);
  const headers: Record<string, string> = {};
  for (const h of query.getAll('header')) {
    const colon = h.indexOf(':');
    const name = colon > 0 ? h.slice(0, colon).trim().toLowerCase() : '';
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return new MeshgateError('MG_BAD_REQUEST', `"header" must be Name:value, got ${JSON.stringify(h)}`);
    headers[name] = h.slice(colon + 1).trim();
  }
  headers.host ??= url.host;
  return { method, url, headers, clientIp: query.get('client_ip') ?? '127.0.0.1', arrival: arrivalOf(url, sni, headers) };
}

/** Why a route entry does not match, in the router's order (router.ts matchRoute); null: it matches. */
function whyNot(e: RouteEntry<RouteRule>, method: string, host: string, path: string, headers: http.IncomingHttpHeaders, arrival: Arrival): string | null {
  if (e.prefix !== '' && !prefixMatches(e.prefix, path)) return `path ${path} does not start with ${e.prefix}`;
  if (e.schemes === null ? arrival.grpc === true : !e.schemes.has(arrival.scheme)) {
    return e.schemes === null ? `a ${arrival.scheme} call matches grpc/grpcs routes only` : `protocol ${arrival.scheme} not in [${[...e.schemes].join(', ')}]`;
  }
  if (e.snis !== null && !sniMatches(e.snis, arrival.sni)) return arrival.sni === undefined ? `no TLS server name; the route's snis are [${[...e.snis].join(', ')}]` : `sni ${arrival.sni} not in [${[...e.snis].join(', ')}]`;
  if (e.methods !== null && !e.methods.has(method)) return `method ${method} not in [${[...e.methods].join(', ')}]`;
  if (e.hosts !== null && !hostMatches(e.hosts, host)) return `host ${host} not in the route's hosts`;
  if (e.headers !== null && !headersMatch(e.headers, headers)) return `headers ${e.headers.map((h) => h.name).join(', ')} do not match`;
  if (e.regex !== null && !e.regex.test(path)) return `path ${path} does not match ${e.regex.source}`;
  return null;
}

export interface Candidate { readonly rank: number; readonly route: string; readonly service: string; readonly path: string; readonly result: 'chosen' | 'lost'; readonly reason?: string }

/** Every route entry in the router's order: the first that matches is chosen, each other says why it lost. */
export function explainCandidates<R extends RouteRule>(
  entries: readonly RouteEntry<R>[], method: string, host: string, path: string, headers: http.IncomingHttpHeaders, arrival: Arrival,
): { candidates: Candidate[]; chosen: { route: R; prefix: string; captures?: Record<string, string> } | null } {
  let chosen: { route: R; prefix: string; captures?: Record<string, string> } | null = null;
  const candidates = entries.map((e, rank): Candidate => {
    const reason = whyNot(e, method, host, path, headers, arrival);
    const at = { rank, route: e.rule.name, service: e.rule.serviceName, path: e.regex !== null ? `~${e.regex.source}` : e.prefix };
    if (reason !== null) return { ...at, result: 'lost', reason };
    if (chosen !== null) return { ...at, result: 'lost', reason: `matches, but ${chosen.route.name} ranks first (Kong's order)` };
    const m = e.regex?.exec(path);
    chosen = { route: e.rule, prefix: m ? m[0] : e.prefix, ...(m?.groups ? { captures: { ...m.groups } } : {}) };
    return { ...at, result: 'chosen' };
  });
  return { candidates, chosen };
}

/** A throwaway request object: plugins read method, url, headers and the socket's address. */
function syntheticRequest(input: ExplainInput, path: string): http.IncomingMessage {
  const req = new http.IncomingMessage(new Socket());
  req.method = input.method;
  req.url = path + input.url.search;
  req.headers = { ...input.headers };
  return req;
}

async function explainPlugin(p: PluginInstance, ctx: RequestContext): Promise<Record<string, unknown>> {
  const base = { name: p.name, priority: p.priority };
  try {
    if (p.explain !== undefined) return { ...base, ...(await p.explain(ctx)) };
    if (p.access === undefined) return { ...base, decision: 'no access phase (acts on the response)' };
    if (!PURE_ACCESS.has(p.name)) return { ...base, decision: 'runs (keeps state; not dry-run)' };
    const r = await p.access(ctx);
    if (r) return { ...base, decision: `answer ${r.status}`, ...(r.body !== undefined && typeof r.body === 'object' ? { body: r.body } : {}) };
    return { ...base, decision: 'continue', ...(ctx.consumer ? { consumer: ctx.consumer.username ?? ctx.consumer.id } : {}) };
  } catch (err) {
    return { ...base, decision: 'error', error: (err as Error).message };
  }
}

export async function explainRequest(table: RouteTable, input: ExplainInput): Promise<Record<string, unknown>> {
  const rawPath = input.url.pathname;
  const path = normalizePath(rawPath);
  const arrival = input.arrival;
  // the one canonical host the router sees (case, trailing dots, the scheme's default port)
  const host = canonicalHost(input.headers.host ?? '', arrival.scheme === 'https' || arrival.scheme === 'grpcs' ? '443' : '80');
  const request = { method: input.method, url: input.url.href, host, path: path ?? rawPath, arrival: { scheme: arrival.scheme, sni: arrival.sni ?? null } };
  if (path === null) return { request, route: null, error: 'MG_BAD_PATH (the edge answers 400)' };
  const { candidates, chosen } = explainCandidates(table.entries, input.method, host, path, input.headers as http.IncomingHttpHeaders, arrival);
  if (chosen === null) return { request, route: null, candidates, answer: 'MG_NO_ROUTE (404)' };
  const { route, prefix, captures } = chosen;
  // an https-only route reached over plain HTTP answers itself (426, or a redirect to https)
  if (route.httpsRedirectStatus !== null && arrival.scheme === 'http') {
    return { request, candidates, route: { name: route.name, service: route.service.name }, answer: `${route.httpsRedirectStatus} (the route's protocols are https only; nothing is forwarded)` };
  }
  const target = upstreamPath(route.service.path, prefix, path, route.stripPath);
  const out: Record<string, unknown> = {
    request, candidates,
    route: { name: route.name, service: route.service.name, matched: prefix, strip_path: route.stripPath, upstream_path: target + input.url.search, ...(captures ? { captures } : {}) },
  };
  let consumerId: string | null = null;
  if (route.plugins !== null) {
    const ctx = new RequestContext({
      req: syntheticRequest(input, path), requestId: 'explain', clientIp: input.clientIp, route: { name: route.name, service: route.service.name }, host, path,
      query: input.url.search.slice(1), captures: captures ?? {}, upstreamPath: target, upstreamHeaders: Object.entries(input.headers).flat(),
    });
    const plugins: Record<string, unknown>[] = [];
    let list = route.plugins.instances;
    for (let i = 0; i < list.length; i++) {
      const report = await explainPlugin(list[i]!, ctx);
      plugins.push(report);
      if (typeof report.decision === 'string' && (report.decision.startsWith('answer') || report.decision.startsWith('refuse'))) break;
      // a consumer authenticated: Kong switches to that consumer's chain from here on
      const alt = ctx.consumer ? route.plugins.byConsumer?.get(ctx.consumer.id) : undefined;
      if (alt !== undefined && alt !== list) { const p = list[i]!.priority; list = alt; i = alt.findIndex((x) => x.priority < p) - 1; if (i < -1) break; }
    }
    out.plugins = plugins;
    consumerId = ctx.consumer?.id ?? null;
  } else {
    out.plugins = [];
  }
  const pool = route.plan.pool;
  const now = Date.now();
  out.pool = {
    name: pool.name, source: pool.source, balancer: pool.balancer.constructor.name,
    endpoints: pool.members.map((m) => ({
      endpoint: m.key, instance: m.instanceId, weight: m.weight, inflight: m.state.inflight, available: m.state.isAvailable(now),
      ejections: m.state.ejections, ...(m.state.skippedUntil > now ? { ejected_for_ms: m.state.skippedUntil - now } : {}),
    })),
  };
  // the pick advances the balancer as one request would; nothing is sent. A consistent-hashing
  // pool hashes this request's key as the forward phase would (consumer: the one a dry run found).
  let hash = 0;
  if (pool.hashKey !== null) {
    const key = pool.hashKey({
      req: syntheticRequest(input, path), clientIp: input.clientIp, path, query: input.url.search.slice(1), captures: captures ?? {},
      consumerId: consumerId ?? undefined, setCookie: null,
    });
    hash = hashString(key);
    out.hash_key = key;
  }
  const pick = pool.balancer.pick(pool.members, now, null, hash);
  out.pick = pick === undefined ? { endpoint: null, answer: pool.members.length === 0 ? 'MG_UPSTREAM_UNAVAILABLE (503)' : 'MG_NO_PEER (503)' } : { endpoint: pick.key, instance: pick.instanceId };
  return out;
}
