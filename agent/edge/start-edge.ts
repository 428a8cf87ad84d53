// An edge listener with its runtime. Also used for a sidecar's local upstream ports, which are
// edges with one catch-all route to one Consul service.
import type { Logger } from 'pino';
import type { AccessLog } from '../observe/access-log.js';
import type { PoolGuardPolicy } from '../discovery/pool-guard.js';
import type { EdgeSection, KongDeclarative, ListenerLimits } from '../../proto/config-schema.js';
import { parseHostPort } from '../config/host-port.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { DEFAULT_LIMITS, listen, type Listener, type ListenerLimitsMs } from '../http-listener.js';
import { parseDurationMs } from '../../proto/duration.js';
import type { Metrics } from '../observe/metrics.js';
import type { AdminRoutes } from '../admin/admin-routes.js';
import { TrustedProxies } from '../proxy/trusted-proxies.js';
import { createPipeline } from '../pipeline/request-pipeline.js';
import { createUpgradeEntry } from '../pipeline/upgrade-entry.js';
import { createEdgeRole } from './edge-role.js';
import { PASS_THROUGH, SwappableRules } from './strict-request.js';
import { EdgeRuntime, type MeshClient } from './edge-runtime.js';
import type { EdgeCertificates } from './tls/edge-certificates.js';
import type { EdgeHttp2 as EdgeHttp2Config } from '../../proto/config-schema.js';
import { createEdgeHttp2, HTTP2_DEFAULTS, type EdgeHttp2, type Http2Limits } from './h2/h2-server.js';
import { createH2ConnectEntry } from './h2/h2-websocket.js';
import type { TracingSettings } from '../observe/trace/tracing-settings.js';
import { RequestDebug } from './request-debug.js';
import type { PoolSourceFactory } from '../discovery/pool-source.js';
import type { BodyLimits } from '../proxy/body-watchdog.js';

export interface StartedEdge {
  readonly runtime: EdgeRuntime;
  readonly listener: Listener;
  /** the HTTPS listener, when the config has certificates */
  readonly tlsListener: Listener | undefined;
  /** a reload's edge.trusted_proxies and edge.http, for new requests from now on */
  applyPolicy(trustedProxies: readonly string[], http: EdgeSection['http']): void;
  /** a reload's edge.limits, for new connections and requests from now on (with limitsOverride on top) */
  applyLimits(limits: ListenerLimits | undefined): void;
  /** a reload's edge.http2: its limits for HTTP/2 sessions that start from now on; enabled and h2c for new connections (open ones live on) */
  applyHttp2(http2: EdgeHttp2Config | undefined): void;
  /**
   * A reload's listen addresses: a changed one is bound now (a failure throws and nothing changed);
   * commit makes it the listener and drains the old one (it stops accepting, its connections finish).
   */
  prepareListen(which: 'plain' | 'tls', address: string, drainMs: number): Promise<{ commit(): void; abort(): void }>;
}

export interface EdgeParams {
  readonly listen: string;
  readonly kong: KongDeclarative;
  readonly viaSidecars: boolean;
  readonly trustedProxies: readonly string[];
  /** edge.http: strict-request rules */
  readonly http?: EdgeSection['http'];
  /** false for a sidecar's upstream ports: the local app's requests pass unfiltered */
  readonly strict?: boolean;
  readonly consul: ConsulClient;
  readonly log: Logger;
  /** where the one access-log line per request goes */
  readonly accessLog: AccessLog;
  readonly metrics: Metrics;
  readonly mesh: MeshClient | undefined;
  readonly requestId: () => string;
  readonly clusterSize?: () => number;
  readonly admin?: AdminRoutes;
  readonly limits?: ListenerLimits;
  /** fields that stay fixed whatever the config says, on start and on reload (a worker's accepts_per_turn) */
  readonly limitsOverride?: Partial<ListenerLimits>;
  readonly poolGuard?: PoolGuardPolicy;
  /** consul.failover_datacenters */
  readonly failover?: readonly string[];
  /** HOST:PORT of the HTTPS listener, with the certificates it serves */
  readonly tls?: { readonly listen: string; readonly certificates: EdgeCertificates };
  readonly http2?: EdgeHttp2Config;
  readonly tracing?: TracingSettings | null;
  /** the public edge (not a local upstream port): Kong's metric names follow its prometheus plugin */
  readonly kongMetrics?: boolean;
  readonly requestDebugToken?: string;
  /** with workers: pools from the primary, and ejections told to the other workers */
  readonly poolSource?: PoolSourceFactory;
  readonly onEjected?: (key: string, untilMs: number) => void;
  /** agent.upstream_keepalive_timeout, in ms */
  readonly upstreamKeepAliveMs?: number;
}

function http2Limits(h: EdgeHttp2Config | undefined, l: ListenerLimitsMs): Http2Limits {
  return {
    maxConcurrentStreams: h?.max_concurrent_streams ?? HTTP2_DEFAULTS.maxConcurrentStreams,
    maxHeaderListSize: h?.max_header_list_size ?? HTTP2_DEFAULTS.maxHeaderListSize,
    initialWindowSize: h?.initial_window_size ?? HTTP2_DEFAULTS.initialWindowSize,
    rapidResetMax: h?.rapid_reset_max ?? HTTP2_DEFAULTS.rapidResetMax,
    rapidResetWindowMs: h?.rapid_reset_window ? parseDurationMs(h.rapid_reset_window) : HTTP2_DEFAULTS.rapidResetWindowMs,
    idleTimeoutMs: l.keepAliveTimeoutMs,
  };
}

function limitsMs(l: ListenerLimits | undefined): ListenerLimitsMs {
  return {
    headerTimeoutMs: l?.header_timeout ? parseDurationMs(l.header_timeout) : DEFAULT_LIMITS.headerTimeoutMs,
    requestTimeoutMs: l?.request_timeout ? parseDurationMs(l.request_timeout) : DEFAULT_LIMITS.requestTimeoutMs,
    keepAliveTimeoutMs: l?.keepalive_timeout ? parseDurationMs(l.keepalive_timeout) : DEFAULT_LIMITS.keepAliveTimeoutMs,
    bodyTimeoutMs: l?.body_timeout ? parseDurationMs(l.body_timeout) : DEFAULT_LIMITS.bodyTimeoutMs!,
    maxConnections: l?.max_connections ?? DEFAULT_LIMITS.maxConnections,
    ...(l?.max_header_size ? { maxHeaderSize: l.max_header_size } : {}),
    ...(l?.accepts_per_turn ? { acceptsPerTurn: l.accepts_per_turn } : {}),
  };
}

function bodyLimitsOf(l: ListenerLimitsMs): BodyLimits {
  return { bodyTimeoutMs: l.bodyTimeoutMs ?? DEFAULT_LIMITS.bodyTimeoutMs!, requestTimeoutMs: l.requestTimeoutMs };
}

export async function startEdge(p: EdgeParams): Promise<StartedEdge> {
  const runtime = new EdgeRuntime({
    kong: p.kong, viaSidecars: p.viaSidecars, consul: p.consul, log: p.log, metrics: p.metrics, mesh: p.mesh,
    ...(p.clusterSize ? { clusterSize: p.clusterSize } : {}), ...(p.admin ? { admin: p.admin } : {}),
    ...(p.poolGuard ? { poolGuard: p.poolGuard } : {}), ...(p.failover ? { failover: p.failover } : {}),
    tracing: p.tracing ?? null, kongMetrics: p.kongMetrics ?? false,
    ...(p.poolSource ? { poolSource: p.poolSource } : {}), ...(p.onEjected ? { onEjected: p.onEjected } : {}),
    ...(p.upstreamKeepAliveMs ? { upstreamKeepAliveMs: p.upstreamKeepAliveMs } : {}),
  });
  await runtime.tracerReady();
  const requestDebug = p.requestDebugToken !== undefined ? new RequestDebug(p.requestDebugToken) : null;
  const trusted = new TrustedProxies(p.trustedProxies);
  let limits = limitsMs({ ...p.limits, ...p.limitsOverride });
  const bodyLimits = { current: bodyLimitsOf(limits) };
  const strict = p.strict ?? true;
  const swappable = strict ? new SwappableRules(p.http) : undefined;
  const rules = swappable ?? PASS_THROUGH;
  const extra = strict ? { requireHostHeader: false } : {};
  const tunnels = p.metrics.tunnels.forRole(strict ? 'edge' : 'upstream');
  const handlerFor = (proto: 'http' | 'https') => (localPort: number) => {
    const role = createEdgeRole({
      table: () => runtime.table, trusted, log: p.accessLog, events: p.log, requestId: p.requestId, localPort, proto, rules,
      tracer: () => runtime.tracer, metrics: p.metrics, requestDebug,
      bodyLimits,
    });
    return { request: createPipeline(role), upgrade: createUpgradeEntry(role, tunnels), h2Connect: createH2ConnectEntry(role, tunnels) };
  };
  const h2Log = p.log.child({ component: 'edge-http2' });
  let http2Config = p.http2;
  /** each listener's HTTP/2 server, with whether it is the TLS one (edge.http2.enabled) or the plain one (h2c) */
  const h2Servers = new Map<EdgeHttp2, 'tls' | 'plain'>();
  const offered = (kind: 'tls' | 'plain') => (kind === 'tls' ? http2Config?.enabled !== false : http2Config?.h2c === true);
  const newHttp2 = (kind: 'tls' | 'plain'): EdgeHttp2 => {
    const h = createEdgeHttp2(http2Limits(http2Config, limits), h2Log, p.metrics, true);
    h.offered = offered(kind);
    h2Servers.set(h, kind);
    return h;
  };
  // each listener gets its own HTTP/2 server (a drain of one sends GOAWAY to its sessions only),
  // also while HTTP/2 is off there, so that a reload can turn it on for new connections
  const openPlain = async (address: string): Promise<Listener> => {
    const a = parseHostPort(address);
    const h2c = newHttp2('plain');
    const l = await listen(a.host, a.port, handlerFor('http'), undefined, limits, extra, h2c);
    p.log.info({ listen: `${a.host}:${l.port}`, h2c: h2c.offered, routes: runtime.table.routes.length }, 'edge listening');
    return l;
  };
  const openTls = async (address: string, certs: EdgeCertificates): Promise<Listener> => {
    const a = parseHostPort(address);
    const h2 = newHttp2('tls');
    const l = await listen(a.host, a.port, handlerFor('https'), { options: certs.serverOptions(() => h2.offered), prepare: (s) => certs.attach(s) }, limits, extra, h2);
    p.log.info({ listen_tls: `${a.host}:${l.port}`, http2: h2.offered, certificates: certs.sources.map((c) => c.name) }, 'edge listening for TLS');
    return l;
  };
  let [listenAt, tlsAt] = [p.listen, p.tls?.listen];
  let listener = await openPlain(p.listen);
  let tlsListener: Listener | undefined;
  if (p.tls) {
    try {
      tlsListener = await openTls(p.tls.listen, p.tls.certificates);
    } catch (err) {
      void listener.drain(0);
      throw err;
    }
  }
  return {
    runtime,
    get listener() { return listener; },
    get tlsListener() { return tlsListener; },
    applyPolicy(trustedProxies, http) {
      trusted.replace(trustedProxies);
      swappable?.replace(http);
    },
    applyLimits(next) {
      limits = limitsMs({ ...next, ...p.limitsOverride });
      listener.setLimits(limits);
      tlsListener?.setLimits(limits);
      bodyLimits.current = bodyLimitsOf(limits);
      for (const h of h2Servers.keys()) h.updateLimits(http2Limits(http2Config, limits));
    },
    applyHttp2(next) {
      http2Config = next;
      for (const [h, kind] of h2Servers) { h.updateLimits(http2Limits(next, limits)); h.offered = offered(kind); }
    },
    async prepareListen(which, address, drainMs) {
      const certs = p.tls?.certificates;
      if (which === 'plain' ? address === listenAt : (address === tlsAt || certs === undefined)) return { commit() {}, abort() {} };
      const opened = which === 'plain' ? await openPlain(address) : await openTls(address, certs!);
      return {
        commit() {
          const old = which === 'plain' ? listener : tlsListener;
          if (which === 'plain') [listener, listenAt] = [opened, address]; else [tlsListener, tlsAt] = [opened, address];
          void old?.drain(drainMs);
        },
        abort() { void opened.drain(0); },
      };
    },
  };
}

/**
 * The decK document of a local upstream: everything on the port goes to `service`. gRPC calls (the
 * app's client speaking h2c with prior knowledge, as grpc-js does with insecure credentials) take a
 * gRPC route of their own, so they go over the mesh as HTTP/2 streams; every other request stays HTTP/1.1.
 */
export function upstreamDeclarative(service: string): KongDeclarative {
  return {
    _format_version: '3.0',
    services: [
      { name: service, url: `http://${service}`, routes: [{ name: `upstream-${service}`, paths: ['/'], strip_path: false }] },
      { name: `${service}~grpc`, protocol: 'grpc', host: service, port: 80, routes: [{ name: `upstream-${service}~grpc`, protocols: ['grpc'], paths: ['/'] }] },
    ],
  };
}

/** A local upstream port takes HTTP/1.1 and prior-knowledge h2c (gRPC) side by side. */
export const UPSTREAM_PORT_HTTP2: EdgeHttp2Config = Object.freeze({ h2c: true });

/** consul.pool_guard → the guard's policy; undefined when the section is absent (the guard is off). */
export function poolGuardPolicy(g: { max_shrink_fraction: number; hold: string } | undefined): PoolGuardPolicy | undefined {
  return g === undefined ? undefined : { maxShrinkFraction: g.max_shrink_fraction, holdMs: parseDurationMs(g.hold) };
}
