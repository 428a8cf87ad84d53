// The edge's part of the request pipeline (pipeline/request-pipeline.ts). Route phase: read the
// table snapshot → normalize the path → match a route → upstream path and headers. For a route
// with plugins, the access phase runs its chain (maybe a short-circuit, maybe a body read), the
// response phase is the chain's header/body hooks, the log phase the chain's log handlers and
// the plugin decisions that are counted and traced (rate-limit refusals, cache outcomes). A request
// with the request-debug header and the admin token gets its explain report first (request-debug.ts).
import type { Logger } from 'pino';
import type { Metrics } from '../observe/metrics.js';
import type { MeshTracer } from '../observe/trace/tracer.js';
import { isBodyTimeout, RequestContext } from '../plugins/context.js';
import { classifyUpstreamError } from '../proxy/upstream-errors.js';
import { collectTaps, runAccess, runLog, runResponseHeaders, runTransformBody } from '../plugins/pipeline.js';
import type { ShortCircuit } from '../plugins/plugin.js';
import type { BodyLimits } from '../proxy/body-watchdog.js';
import type { ResponseHooks } from '../proxy/forward-plan.js';
import { canLinger, lingerOnUnreadBody, sendJson } from '../proxy/local-answers.js';
import { buildUpstreamHeaders } from '../proxy/request-headers.js';
import type { TrustedProxies } from '../proxy/trusted-proxies.js';
import { NO_PHASES, type Hop, type Role, type RoutePhases } from '../pipeline/request-pipeline.js';
import type { AccessLog } from '../observe/access-log.js';
import type { InboundRequest, OutboundResponse } from '../pipeline/transport.js';
import type { EdgeRoute, RouteTable } from '../table/route-table.js';
import { grpcArrival, upstreamPath, type Arrival } from '../table/router.js';
import { isGrpcRequest } from '../proxy/grpc-wire.js';
import type { TLSSocket } from 'node:tls';
import { canonicalHost } from './canonical-host.js';
import { httpsRequiredPhases } from './https-redirect.js';
import type { RequestRules } from './strict-request.js';
import { requestDebugReport, type RequestDebug } from './request-debug.js';

export interface EdgeRoleOptions {
  readonly table: () => RouteTable;
  readonly trusted: TrustedProxies;
  readonly log: AccessLog;
  /** errors that are not the client's (a plugin that threw) */
  readonly events: Logger;
  readonly requestId: () => string;
  readonly localPort: number;
  readonly proto: 'http' | 'https';
  /** refusals before routing and client headers never forwarded (strict-request.ts) */
  readonly rules: RequestRules;
  /** the current tracer; null when tracing is off (then no trace code runs per request) */
  readonly tracer?: () => MeshTracer | null;
  /** plugin decisions that are counted per route (rate-limit refusals, cache outcomes) */
  readonly metrics?: Metrics;
  /** X-Kong-Request-Debug with the admin token; null when no token is configured */
  readonly requestDebug?: RequestDebug | null;
  /** the listener's body_timeout and request_timeout (the current ones: a reload swaps them), kept while a client body streams upstream */
  readonly bodyLimits?: { readonly current: BodyLimits } | null;
}

const PLAIN: Arrival = Object.freeze({ scheme: 'http', sni: undefined });
const FORWARDED_HTTPS: Arrival = Object.freeze({ scheme: 'https', sni: undefined });

function pluginHooks(ctx: RequestContext): ResponseHooks {
  return {
    headers: (status, headers) => runResponseHeaders(ctx, status, headers),
    body: (body, headers) => runTransformBody(ctx, body, headers),
    taps: (status, headers) => collectTaps(ctx, status, headers),
  };
}

function shortCircuitBody(sc: ShortCircuit): { text: string | Buffer; contentType: string | null } {
  if (sc.body === undefined) return { text: '', contentType: null };
  if (typeof sc.body === 'string' || Buffer.isBuffer(sc.body)) return { text: sc.body, contentType: null };
  return { text: JSON.stringify(sc.body), contentType: 'application/json; charset=utf-8' };
}

function sendShortCircuit(res: OutboundResponse, sc: ShortCircuit, ctx: RequestContext, hooks: ResponseHooks): void {
  const { text, contentType } = shortCircuitBody(sc);
  const extra: string[] = ['x-request-id', ctx.requestId];
  // a refusal that would close on an unread body lingers instead (see lingerOnUnreadBody)
  const linger = canLinger(ctx.req);
  for (const [k, v] of Object.entries(sc.headers ?? {})) {
    if (linger && k.toLowerCase() === 'connection' && v === 'close') { lingerOnUnreadBody(ctx.req); continue; }
    if (typeof v === 'string') extra.push(k, v);
    else for (const one of v) extra.push(k, one);
  }
  if (contentType === null) {
    const headers = [...extra];
    runResponseHeaders(ctx, sc.status, headers);
    // 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6)
    if (sc.status !== 204 && sc.status !== 304) headers.push('content-length', String(Buffer.byteLength(text)));
    res.writeHead(sc.status, headers);
    res.end(sc.status === 204 || sc.status === 304 ? undefined : text);
    return;
  }
  sendJson(res, sc.status, text as string, extra, hooks);
}

/** Plugin decisions: counted and, when traced, span events. */
function recordDecisions(hop: Hop, ctx: RequestContext, status: number, metrics: Metrics | undefined): void {
  const route = hop.routeName;
  if (ctx.answeredBy !== null) {
    if (ctx.answeredBy === 'rate-limiting' && status !== 500) metrics?.rateLimitRejections.labels(route).inc();
    hop.trace?.event(`plugin.${ctx.answeredBy}.answered`, { 'http.response.status_code': status, 'meshgate.plugin': ctx.answeredBy });
  }
  if (ctx.cacheStatus !== null) {
    metrics?.cacheLookups.labels(route, ctx.cacheStatus).inc();
    hop.trace?.event('proxy-cache', { 'meshgate.cache.status': ctx.cacheStatus });
  }
  if (hop.consumer !== undefined) hop.trace?.event('consumer.authenticated', { 'meshgate.consumer': hop.consumer });
}

/** The phases of every route with plugins (the chain itself is the route's, compiled per config). */
function pluginPhases(events: Logger, metrics: Metrics | undefined): RoutePhases {
  return {
    response: (hop) => pluginHooks(hop.state as RequestContext),
    access: (hop, next) => {
      const ctx = hop.state as RequestContext;
      const route = hop.route as EdgeRoute;
      runAccess(ctx, route.plugins!, (sc, err) => {
        if (hop.res.destroyed) return next(null);
        if (err !== undefined) {
          // a body a plugin read stalled or trickled: the client's 408, not a plugin failure
          if (isBodyTimeout(err)) return next({ refuse: classifyUpstreamError(err) });
          events.error({ err: (err as Error).message, route: route.name, request_id: hop.requestId }, 'plugin failed');
          return next({ refuse: 'MG_INTERNAL' });
        }
        if (sc !== null) {
          sendShortCircuit(hop.res, sc, ctx, hop.hooks!);
          return next({ answered: sc.status });
        }
        hop.consumerId = ctx.consumer?.id ?? ctx.credential?.id;
        hop.upstreamPath = ctx.query === '' ? ctx.upstreamPath : `${ctx.upstreamPath}?${ctx.query}`;
        hop.upstreamHeaders = ctx.upstreamHeaders.flat;
        hop.grpcWeb = ctx.grpcWeb;
        if (ctx.upstreamBody !== null) hop.upstreamBody = ctx.upstreamBody;
        else if (ctx.bodyWasRead) {
          ctx.readBody().then((body) => { hop.upstreamBody = body; next(null); },
            (e: unknown) => next({ refuse: isBodyTimeout(e) ? classifyUpstreamError(e) : 'MG_INTERNAL' }));
          return;
        }
        next(null);
      });
    },
    log: (hop, status) => {
      const ctx = hop.state as RequestContext;
      runLog(ctx, status);
      hop.consumer = ctx.consumer?.username ?? ctx.consumer?.id;
      recordDecisions(hop, ctx, status, metrics);
    },
  };
}

/** The route's phases with the request-debug report made first (a rare, token-holding request). */
function withDebugReport(phases: RoutePhases, debug: RequestDebug, table: RouteTable, arrival: Arrival): RoutePhases {
  return {
    ...phases,
    access: (hop, next) => {
      requestDebugReport(debug, table, hop.req, hop.res, arrival).finally(() => {
        if (phases.access === null) next(null);
        else phases.access(hop, next);
      });
    },
  };
}

export function createEdgeRole(opts: EdgeRoleOptions): Role {
  const { trusted, requestId: nextId, localPort, proto, rules } = opts;
  const filter = rules.filter;
  const withPlugins = pluginPhases(opts.events, opts.metrics);
  const httpsRequired = httpsRequiredPhases(trusted);
  /** how the request came in: this listener's scheme, or https from a trusted proxy's X-Forwarded-Proto */
  const arrivalOf = proto === 'https'
    ? (req: InboundRequest): Arrival => ({ scheme: 'https', sni: (req.socket as TLSSocket).servername || undefined })
    : (req: InboundRequest): Arrival => req.headers['x-forwarded-proto'] === 'https' && trusted.trusts(req.socket.remoteAddress) ? FORWARDED_HTTPS : PLAIN;
  const defaultPort = proto === 'https' ? '443' : '80';
  const tracer = opts.tracer;
  const requestDebug = opts.requestDebug ?? null;
  const bodyLimits = opts.bodyLimits ?? null;
  return {
    log: opts.log,
    get bodyLimits() { return bodyLimits?.current ?? null; },
    tracing: tracer === undefined ? null : { current: tracer, trustsPeer: (req) => trusted.trusts(req.socket.remoteAddress ?? '') },
    requestId: () => nextId(),
    route(hop) {
      const req = hop.req;
      const checked = rules.check(req, hop.res);
      if (typeof checked === 'string') return checked;
      const url = checked === null ? req.url ?? '/' : checked.url;
      // one canonical path and host: what the router, the plugins and the upstream all see
      const host = canonicalHost(checked === null ? req.headers.host ?? '' : checked.host, defaultPort);
      const q = url.indexOf('?');
      // a fragment is never part of a request-target (RFC 9112 §3.2); a back end might cut the path there
      if (url.includes('#')) return 'MG_BAD_PATH';
      const path = rules.path(q < 0 ? url : url.slice(0, q));
      if (path === null) return 'MG_BAD_PATH';
      const arrival = isGrpcRequest(req) ? grpcArrival(arrivalOf(req)) : arrivalOf(req);
      const table = opts.table();
      const match = table.match(req.method ?? 'GET', host, path, req.headers, arrival);
      if (match === undefined) return 'MG_NO_ROUTE';
      const route = match.rule;
      hop.route = route;
      hop.routeName = route.name;
      hop.serviceName = route.service.name;
      if (route.httpsRedirectStatus !== null && arrival.scheme === 'http') return httpsRequired(route.httpsRedirectStatus);
      hop.httpRoute = match.prefix;
      const target = upstreamPath(route.service.path, match.prefix, path, route.stripPath);
      const up = buildUpstreamHeaders(req, {
        hostHeader: route.hostHeader, requestId: hop.requestId, proto, localPort, trusted, filter, authority: host,
      });
      hop.clientIp = up.clientIp;
      hop.upstreamHeaders = up.headers;
      hop.upstreamPath = q < 0 ? target : target + url.slice(q);
      hop.path = path;
      if (q >= 0) hop.query = url.slice(q + 1);
      if (match.captures !== undefined) hop.captures = match.captures;
      let phases = NO_PHASES;
      if (route.plugins !== null) {
        hop.state = new RequestContext({
          req, requestId: hop.requestId, clientIp: up.clientIp, route: { name: route.name, service: route.service.name }, host, path,
          query: hop.query, captures: hop.captures, upstreamPath: target, upstreamHeaders: up.headers,
          bodyLimits: bodyLimits?.current ?? null, startedAt: hop.started,
        });
        phases = withPlugins;
        // the plugins' config stays open until this request's log phase has run (a reload retires it)
        hop.lease = table.inFlight;
        table.inFlight.enter();
      }
      return requestDebug !== null && requestDebug.wanted(req) ? withDebugReport(phases, requestDebug, table, arrival) : phases;
    },
  };
}
