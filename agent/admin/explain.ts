// "Explain a request": what the edge would do with it, without forwarding anything — the route
// chosen and why each other candidate lost, the plugins in execution order with what each would
// decide, the pool, each endpoint's health and the balancer's pick. Served as GET /debug/explain
// on the admin listener, and for a real request carrying the request-debug header and token.
import http from 'node:http';
import { Socket } from 'node:net';
import { MeshgateError } from '../../proto/errors.js';
import { hashString } from '../balance/hash-ring.js';
import { RequestContext } from '../plugins/context.js';
import type { PluginInstance } from '../plugins/plugin.js';
import { normalizePath } from '../table/normalize-path.js';
import type { RouteTable, EdgeRoute } from '../table/route-table.js';
import { headersMatch, hostMatches, prefixMatches, upstreamPath } from '../table/router.js';

/** Plugins whose access phase only reads the request (safe to dry-run on a throwaway context). */
const PURE_ACCESS = new Set(['correlation-id', 'cors', 'key-auth', 'jwt', 'ip-restriction', 'acl', 'request-size-limiting', 'request-transformer', 'response-transformer']);

export interface ExplainInput {
  readonly method: string;
  readonly url: URL;
  /** lower-case names */
  readonly headers: Readonly<Record<string, string>>;
  readonly clientIp: string;
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
  const headers: Record<string, string> = {};
  for (const h of query.getAll('header')) {
    const colon = h.indexOf(':');
    const name = colon > 0 ? h.slice(0, colon).trim().toLowerCase() : '';
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return new MeshgateError('MG_BAD_REQUEST', `"header" must be Name:value, got ${JSON.stringify(h)}`);
    headers[name] = h.slice(colon + 1).trim();
  }
  headers.host ??= url.host;
  return { method, url, headers, clientIp: query.get('client_ip') ?? '127.0.0.1' };
}

function whyNot(e: RouteTable['entries'][number], method: string, host: string, path: string, headers: http.IncomingHttpHeaders): string | null {
  if (e.prefix !== '' && !prefixMatches(e.prefix, path)) return `path ${path} does not start with ${e.prefix}`;
  if (e.methods !== null && !e.methods.has(method)) return `method ${method} not in [${[...e.methods].join(', ')}]`;
  if (e.hosts !== null && !hostMatches(e.hosts, host)) return `host ${host} not in the route's hosts`;
  if (e.headers !== null && !headersMatch(e.headers, headers)) return `headers ${e.headers.map((h) => h.name).join(', ')} do not match`;
  if (e.regex !== null && !e.regex.test(path)) return `path ${path} does not match ${e.regex.source}`;
  return null;
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
  const host = (input.headers.host ?? '').toLowerCase();
  const request = { method: input.method, url: input.url.href, host, path: path ?? rawPath };
  if (path === null) return { request, route: null, error: 'MG_BAD_PATH (the edge answers 400)' };
  const headers = input.headers as http.IncomingHttpHeaders;
  let chosen: { route: EdgeRoute; prefix: string; captures?: Record<string, string> } | null = null;
  const candidates = table.entries.map((e, rank) => {
    const reason = whyNot(e, input.method, host, path, headers);
    const at = { rank, route: e.rule.name, service: e.rule.service.name, path: e.regex !== null ? `~${e.regex.source}` : e.prefix };
    if (reason !== null) return { ...at, result: 'lost', reason };
    if (chosen !== null) return { ...at, result: 'lost', reason: `matches, but ${chosen.route.name} ranks first (Kong's order)` };
    const m = e.regex?.exec(path);
    chosen = { route: e.rule, prefix: m ? m[0] : e.prefix, ...(m?.groups ? { captures: { ...m.groups } } : {}) };
    return { ...at, result: 'chosen' };
  });
  if (chosen === null) return { request, route: null, candidates, answer: 'MG_NO_ROUTE (404)' };
  const { route, prefix, captures } = chosen as { route: EdgeRoute; prefix: string; captures?: Record<string, string> };
  const target = upstreamPath(route.service.path, prefix, path, route.stripPath);
  const out: Record<string, unknown> = {
    request, candidates,
    route: { name: route.name, service: route.service.name, matched: prefix, strip_path: route.stripPath, upstream_path: target + input.url.search, ...(captures ? { captures } : {}) },
  };
  let consumerId: string | null = null;
  if (route.plugins !== null) {
    const ctx = new RequestContext({
      req: syntheticRequest(input, path), requestId: 'explain', clientIp: input.clientIp, route: { name: route.name, service: route.service.name }, path,
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
