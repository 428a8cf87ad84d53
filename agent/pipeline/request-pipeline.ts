// The one request pipeline every listener runs, in fixed phases:
//
//   route    → the role adapter picks the compiled route (edge: path normalisation and the route
//              table; sidecar: the destination instance and the verified peer) and builds the
//              upstream path and headers. Refusals here are answered from the error table.
//   access   → the route's compiled access phase, null when empty (edge: the plugin chain; sidecar:
//              intentions). It answers itself (short-circuit) or lets the request through.
//   forward  → Exchange: attempts at pool members, retries as the error table allows (a gRPC call on a
//              plan with an HTTP/2 side: GrpcExchange, over pooled HTTP/2 sessions).
//   response → the route's response hooks (plugins' header/body phases), made once per request,
//              null when the route has none; they also apply to meshgate's own answers.
//   log      → the route's log phase (plugins), the metrics recorder, one access-log line.
//
// Extension points:
// - Transports: a listener calls the RequestEntry this returns with an InboundRequest and an
//   OutboundResponse (pipeline/transport.ts). HTTP/1.1 passes node:http's objects as they are; an
//   HTTP/2 adapter passes the http2 compatibility req/res. An HTTP/1.1 `Upgrade` (WebSocket) enters
//   by upgrade-entry.ts: the same Hop with a Tunnel, which runs the same route and access phases,
//   then takes over the forward phase (upgrade-tunnel.ts) and reports to the same log phase; an
//   HTTP/2 extended CONNECT (WebSocket, RFC 8441) enters the same way by edge/h2/h2-websocket.ts.
// - Tracing (hop-trace.ts): a hop's server span starts where Hop is constructed and ends in
//   Hop.#log (one per request); an attempt's client span starts in Exchange.start() and ends at
//   its response head or error; phases add span events for their decisions (hop.trace?.event).
//   With tracing off Hop.trace is null and none of it runs.
// - Per-request authorization with method/path/headers (sidecar L7 intentions) is an access phase:
//   sidecar-role.ts composes it; the hop gives method, url, headers and the peer identity.
// - Balancers: the forward phase hashes the request's key with the pool's compiled key function
//   (consistent-hashing: header, cookie, client ip, consumer, path, query arg or uri capture, all
//   on the Hop) and hands the hash to Exchange → pickMember; a created hash cookie is set on the
//   answer through the response hooks.
import { ERRORS, type ErrorCode } from '../../proto/errors.js';
import type { HashSource } from '../balance/hash-key.js';
import { hashString } from '../balance/hash-ring.js';
import { loggablePath, writeAccessLog, type AccessLog } from '../observe/access-log.js';
import type { KongRouteRecorder, ResponseSource } from '../observe/kong-metrics.js';
import type { RequestRecorder } from '../observe/metrics.js';
import type { HopTrace } from '../observe/trace/tracer.js';
import type { BodyLimits } from '../proxy/body-watchdog.js';
import type { ExchangeOutcome, ForwardPlan, ResponseHooks } from '../proxy/forward-plan.js';
import { sendError } from '../proxy/local-answers.js';
import { Exchange } from '../proxy/upstream-exchange.js';
import { GrpcExchange } from '../proxy/grpc-exchange.js';
import { isGrpcRequest } from '../proxy/grpc-wire.js';
import type { GrpcWebMode } from '../proxy/grpc-web-wire.js';
import { startHopTrace, type HopTracing } from './hop-trace.js';
import type { InFlight } from './in-flight.js';
import type { InboundRequest, OutboundResponse, RequestEntry } from './transport.js';

/** What the route phase resolves a request to (an edge route, a sidecar's local instance). */
export interface PipelineRoute {
  readonly plan: ForwardPlan;
  readonly recorder: RequestRecorder;
  /** Kong's metric names (the edge's prometheus plugin); null where they do not apply (sidecar) */
  readonly kong: KongRouteRecorder | null;
}

/** The access phase's answer: null lets the request through. */
export type AccessVerdict = null | { readonly refuse: ErrorCode } | { readonly answered: number };
export type AccessPhase = (hop: Hop, next: (verdict: AccessVerdict) => void) => void;

/** A route's phases, compiled once per route; each is null when the route has nothing for it. */
export interface RoutePhases {
  readonly access: AccessPhase | null;
  readonly response: ((hop: Hop) => ResponseHooks) | null;
  readonly log: ((hop: Hop, status: number) => void) | null;
}

export const NO_PHASES: RoutePhases = Object.freeze({ access: null, response: null, log: null });

/** the route phase gave up on the connection without an answer (an unverified mesh peer) */
export const DROP = Symbol('drop');

export interface Role {
  readonly log: AccessLog;
  /** null: this role never traces */
  readonly tracing: HopTracing | null;
  /** bounds on receiving a streamed client body (the edge listener's limits); absent: none */
  readonly bodyLimits?: BodyLimits | null;
  /** the edge makes a request id; the sidecar keeps its caller's */
  requestId(req: InboundRequest): string;
  /**
   * The route phase: sets hop.route (and routeName/serviceName, upstreamPath, upstreamHeaders,
   * clientIp, and for hashing path, query, captures) and returns that route's phases, or the error code to refuse with.
   */
  route(hop: Hop): RoutePhases | ErrorCode | typeof DROP;
}

/** The forward phase of an upgrade: relays the handshake, then the bytes; `done` once at the close. */
export type Tunnel = (hop: Hop, hash: number, done: (outcome: ExchangeOutcome) => void) => void;

const NO_HEADERS: string[] = [];
const NO_CAPTURES: Readonly<Record<string, string>> = Object.freeze({});

/** One request on its way through the phases. */
export class Hop implements HashSource {
  readonly req: InboundRequest;
  readonly res: OutboundResponse;
  readonly started = performance.now();
  readonly requestId: string;
  readonly #role: Role;
  readonly #tunnel: Tunnel | null;
  route: PipelineRoute | null = null;
  /** for the access log: the route's and service's names as the role reports them */
  routeName = '';
  serviceName = '';
  /** the matched route's path template (OTel http.route), when the role has one */
  httpRoute = '';
  clientIp: string;
  /** path and query sent upstream */
  upstreamPath = '';
  upstreamHeaders: string[] = NO_HEADERS;
  /** a replacement request body (plugins that read or rewrote it); null streams the client's */
  upstreamBody: Buffer | null = null;
  /** the verified mesh caller (sidecar), for the log */
  source = '';
  /** the authenticated consumer (edge plugins), for the log */
  consumer: string | undefined;
  /** the consumer's id, else the credential's (Kong's hash_on consumer) */
  consumerId: string | undefined;
  /** the normalized path, the query (without "?") and the route's named captures, for hashing */
  path = '';
  query = '';
  captures: Readonly<Record<string, string>> = NO_CAPTURES;
  /** a gRPC-Web call the grpc-web plugin translates (then forwarded as gRPC); null: not one */
  grpcWeb: GrpcWebMode | null = null;
  /** a hash cookie created for this request, set on its answer */
  setCookie: string | null = null;
  /** per-request state of the role's phases (the edge's plugin RequestContext) */
  state: unknown = null;
  /** the compiled config this request uses, held until its log phase has run (null: it holds none) */
  lease: InFlight | null = null;
  /** this hop's trace (server span); null when not traced */
  readonly trace: HopTrace | null;
  /** who answered, for Kong's `source` label: the upstream, or a phase itself (exit) */
  #answeredHere = false;
  #phases: RoutePhases = NO_PHASES;
  /** the route's response hooks for this request (made before the access phase runs) */
  hooks: ResponseHooks | null = null;

  constructor(req: InboundRequest, res: OutboundResponse, role: Role, tunnel: Tunnel | null = null) {
    this.req = req;
    this.res = res;
    this.#role = role;
    this.#tunnel = tunnel;
    this.requestId = role.requestId(req);
    this.clientIp = req.socket.remoteAddress ?? '';
    this.trace = role.tracing === null ? null : startHopTrace(role.tracing, req, res);
  }

  run(): void {
    const phases = this.#role.route(this);
    if (phases === DROP) { this.trace?.finish(0, 'MG_CLIENT_CLOSED'); return; }
    if (typeof phases === 'string') return this.#refuse(phases);
    if (this.trace !== null) this.trace.routed(this.routeName, this.serviceName, this.httpRoute);
    this.#phases = phases;
    if (phases.response !== null) this.hooks = phases.response(this);
    if (phases.access === null) return this.#forward();
    phases.access(this, (verdict) => this.#afterAccess(verdict));
  }

  #afterAccess(verdict: AccessVerdict): void {
    if (this.res.destroyed) return this.#log(outcome(499, 'MG_CLIENT_CLOSED'));
    if (verdict === null) return this.#forward();
    if ('refuse' in verdict) return this.#refuse(verdict.refuse);
    this.#answeredHere = true;
    this.#log(outcome(verdict.answered));
  }

  #forward(): void {
    const plan = this.route!.plan;
    const key = plan.pool.hashKey;
    const hash = key === null ? 0 : hashString(key(this));
    if (this.setCookie !== null) this.hooks = withCookie(this.hooks, this.setCookie);
    if (this.#tunnel !== null) return this.#tunnel(this, hash, this.#log);
    const h2 = plan.h2;
    // a plan with an HTTP/2 side takes gRPC (and translated gRPC-Web) calls over it; everything else goes the HTTP/1.1 way
    if (h2 !== undefined && (this.grpcWeb !== null || isGrpcRequest(this.req))) {
      new GrpcExchange({
        req: this.req, res: this.res, plan: { ...plan, h2 }, path: this.upstreamPath, headers: this.upstreamHeaders, hash,
        requestId: this.requestId, body: this.upstreamBody, hooks: this.hooks, trace: this.trace, done: this.#log, web: this.grpcWeb,
      }).start();
      return;
    }
    new Exchange({
      req: this.req, res: this.res, plan, path: this.upstreamPath, headers: this.upstreamHeaders, hash,
      requestId: this.requestId, body: this.upstreamBody, hooks: this.hooks, trace: this.trace, done: this.#log,
      bodyLimits: this.#role.bodyLimits ?? null, startedAt: this.started,
    }).start();
  }

  #refuse(code: ErrorCode): void {
    sendError(this.res, code, this.requestId, this.hooks);
    this.#log(outcome(ERRORS[code].status, code));
  }

  readonly #log = (o: ExchangeOutcome): void => {
    const totalMs = performance.now() - this.started;
    if (this.#phases.log !== null) this.#phases.log(this, o.status);
    if (this.lease !== null) { this.lease.leave(); this.lease = null; }
    const route = this.route;
    if (route !== null) {
      route.recorder.record(o.status, totalMs, o.upstreamMs);
      if (route.kong !== null) route.kong.record(o.status, this.#source(o), this.consumer, totalMs, o.upstreamMs, bodyBytesIn(this.req), o.bytes);
    }
    const trace = this.trace;
    if (trace !== null) trace.finish(o.status, o.error, this.consumer);
    writeAccessLog(this.#role.log, {
      method: this.req.method ?? '', path: loggablePath(this.req.url ?? ''), route: this.routeName, service: this.serviceName,
      endpoint: o.endpoint, status: o.status, bytes: o.bytes, upstream_ms: o.upstreamMs, total_ms: totalMs,
      // one literal with every field (absent ones undefined, which the log skips): a fixed shape, no spreads
      request_id: this.requestId, client_ip: this.clientIp, attempts: o.attempts, error: o.error || undefined,
      bytes_in: o.bytesIn, consumer: this.consumer || undefined, source: this.source || undefined,
      trace_id: trace !== null ? trace.traceId : undefined, grpc_status: grpcStatus(o, this.res),
    });
  };

  #source(o: ExchangeOutcome): ResponseSource {
    if (o.error !== undefined) return 'error';
    return this.#answeredHere ? 'exit' : 'service';
  }
}


/** grpc_status for the log: the call's (upstream trailers or the exchange's), else meshgate's own answer's */
function grpcStatus(o: ExchangeOutcome, res: OutboundResponse): number | undefined {
  return o.grpcStatus ?? (res as { grpcStatus?: number }).grpcStatus;
}

function bodyBytesIn(req: InboundRequest): number {
  const cl = req.headers['content-length'];
  return cl === undefined ? 0 : Number(cl) || 0;
}

/** The route's hooks plus a Set-Cookie on every answer (upstream's or meshgate's own). */
function withCookie(inner: ResponseHooks | null, cookie: string): ResponseHooks {
  return {
    headers: (status, headers) => {
      headers.push('set-cookie', cookie);
      return inner?.headers(status, headers) ?? false;
    },
    body: (body, headers) => inner?.body(body, headers) ?? body,
    ...(inner?.taps ? { taps: inner.taps.bind(inner) } : {}),
  };
}

function outcome(status: number, error?: ErrorCode): ExchangeOutcome {
  return { status, bytes: 0, upstreamMs: -1, endpoint: '', attempts: 0, ...(error ? { error } : {}) };
}

export function createPipeline(role: Role): RequestEntry {
  return function handleRequest(req, res) {
    new Hop(req, res, role).run();
  };
}
