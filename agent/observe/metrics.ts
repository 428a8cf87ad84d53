// Prometheus metrics. Per-request ones live in RequestStats (plain counters, formatted on scrape);
// the rest are prom-client gauges and counters that change rarely.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestStats, type RequestRecorder } from './request-stats.js';
import { KongStats, type KongSources } from './kong-metrics.js';
import { TunnelStats } from './tunnel-stats.js';

export type { RequestRecorder };

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new RequestStats();
  /** upgraded connections (WebSocket): open, opened, bytes each way */
  readonly tunnels = new TunnelStats(this.registry);
  readonly poolEndpoints = new Gauge({
    name: 'meshgate_pool_endpoints', help: 'Endpoints in a service pool, by state',
    labelNames: ['service', 'state'] as const, registers: [this.registry],
  });
  readonly watcherStaleness = new Gauge({
    name: 'meshgate_discovery_staleness_seconds', help: 'Seconds since the watcher last heard from Consul',
    labelNames: ['watch'] as const, registers: [this.registry],
  });
  readonly ejections = new Counter({
    name: 'meshgate_endpoint_ejections_total', help: 'Passive-health ejections',
    labelNames: ['service', 'endpoint'] as const, registers: [this.registry],
  });
  readonly kong = new KongStats();
  readonly retries = new Counter({
    name: 'meshgate_upstream_retries_total', help: 'Requests retried on another endpoint, by the error that caused the retry',
    labelNames: ['service', 'reason'] as const, registers: [this.registry],
  });
  readonly cacheLookups = new Counter({
    name: 'meshgate_cache_lookups_total', help: 'proxy-cache outcomes by route: Hit, Miss, Refresh, Bypass',
    labelNames: ['route', 'status'] as const, registers: [this.registry],
  });
  readonly rateLimitRejections = new Counter({
    name: 'meshgate_rate_limit_rejections_total', help: 'Requests refused with 429 by rate-limiting, by route',
    labelNames: ['route'] as const, registers: [this.registry],
  });
  readonly traceSpansDropped = new Counter({
    name: 'meshgate_trace_spans_dropped_total', help: 'Trace spans not delivered to the collector: queue_full or export_failed',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly leafExpiry = new Gauge({
    name: 'meshgate_mesh_certificate_expiry_seconds', help: 'Seconds until the mesh leaf certificate of an identity expires',
    labelNames: ['identity'] as const, registers: [this.registry],
  });
  readonly edgeCertificateExpiry = new Gauge({
    name: 'meshgate_edge_certificate_expiry_seconds', help: 'Seconds until an edge TLS certificate expires',
    labelNames: ['certificate'] as const, registers: [this.registry],
  });
  readonly edgeCertificateReloadFailures = new Counter({
    name: 'meshgate_edge_certificate_reload_failures_total', help: 'Changed certificate files that were rejected (the running certificates kept serving)',
    registers: [this.registry],
  });
  readonly edgeHttp2Goaway = new Counter({
    name: 'meshgate_edge_http2_goaway_total', help: 'HTTP/2 client connections ended for misbehaviour (rapid_reset, continuation_flood: GOAWAY ENHANCE_YOUR_CALM; frame_error, protocol_error)',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly circuitState = new Gauge({
    name: 'meshgate_circuit_breaker_state', help: 'Circuit breaker state per service: 0 closed, 1 half-open, 2 open',
    labelNames: ['service'] as const, registers: [this.registry],
  });
  readonly consulPermissionDenied = new Counter({
    name: 'meshgate_consul_permission_denied_total', help: 'Consul requests refused (HTTP 403) for lack of an ACL permission',
    labelNames: ['permission'] as const, registers: [this.registry],
  });
  /** the Consul client's own counts, read at scrape time (set by the agent) */
  consulStats: { readonly requests: number; readonly blocking: number } = { requests: 0, blocking: 0 };
  readonly consulRequests = new Counter({
    name: 'meshgate_consul_requests_total', help: 'HTTP requests sent to Consul', registers: [this.registry],
    collect: (() => { const m = this; let seen = 0; return function (this: Counter) { this.inc(m.consulStats.requests - seen); seen = m.consulStats.requests; }; })(),
  });
  readonly consulBlocking = new Gauge({
    name: 'meshgate_consul_blocking_queries', help: 'blocking queries waiting at Consul now', registers: [this.registry],
    collect: (() => { const m = this; return function (this: Gauge) { this.set(m.consulStats.blocking); }; })(),
  });
  readonly configReloadSuccess = new Gauge({
    name: 'meshgate_config_last_reload_success', help: '1 if the last config load succeeded', registers: [this.registry],
  });

  readonly poolGuardHeld = new Gauge({
    name: 'meshgate_pool_guard_held_endpoints', help: 'Endpoints Consul no longer lists that the pool guard keeps serving (consul.pool_guard)',
    labelNames: ['watch'] as const, registers: [this.registry],
  });

  readonly poolFailover = new Gauge({
    name: 'meshgate_pool_failover', help: '1 while a pool is served by another datacenter\'s instances (consul.failover_datacenters)',
    labelNames: ['pool', 'datacenter'] as const, registers: [this.registry],
  });

  /** 1 for each config section whose file value differs from the running one and needs a restart to apply */
  readonly configRestartRequired = new Gauge({
    name: 'meshgate_config_restart_required', help: '1 if the file changes this section and only a restart applies it', labelNames: ['section'] as const, registers: [this.registry],
  });

  constructor() {
    // prom-client's names already start with process_ / nodejs_; the prefix only adds ours
    collectDefaultMetrics({ register: this.registry, prefix: 'meshgate_' });
    this.requests.register(this.registry);
  }

  /** Kong's names (with the prometheus plugin); sources are the edge's pools and Consul. */
  registerKong(src: KongSources): void {
    this.kong.register(this.registry, src);
  }

  /** The recorder of one route (kept across table swaps). */
  recorderFor(role: string, route: string, service: string): RequestRecorder {
    return this.requests.recorderFor(role, route, service);
  }
}
