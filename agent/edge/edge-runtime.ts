// The edge's moving parts: the compiled blueprint, discovery for the Consul services it names,
// and the current route table, rebuilt and swapped whole whenever config or pools change.
import type { Logger } from 'pino';
import type { KongDeclarative } from '../../proto/config-schema.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { ServiceDiscovery, type PoolGuardSetup, type WatchKey } from '../discovery/service-discovery.js';
import type { PoolSource, PoolSourceFactory } from '../discovery/pool-source.js';
import type { Metrics } from '../observe/metrics.js';
import { buildServicePool, staticEndpoints } from '../pool/build-pool.js';
import { EndpointRegistry, type ConnectionOptions } from '../pool/endpoint-registry.js';
import type { ServicePool } from '../pool/service-pool.js';
import { bindRouteTable, compileEdgeBlueprint, RouteTable, type EdgeBlueprint } from '../table/route-table.js';
import type { MeshTls } from '../transport/mesh-tls.js';
import { H2Sessions, type H2Mode } from '../proxy/h2-upstream-sessions.js';
import type { PoolGuardPolicy } from '../discovery/pool-guard.js';
import { AdminRoutes } from '../admin/admin-routes.js';
import type { MeshTracer } from '../observe/trace/tracer.js';
import { loadTracerModule, tracerModule } from '../observe/trace/load-tracer.js';
import { sameSettings, type TracingSettings } from '../observe/trace/tracing-settings.js';
import { tracingFromKong, type OpenTelemetryConfig } from '../plugins/opentelemetry/opentelemetry.js';
import type { PrometheusConfig } from '../plugins/prometheus/prometheus.js';
import { DatacenterFailover } from './datacenter-failover.js';
import { BlueprintProbers } from './blueprint-probers.js';

/** How this agent calls sidecars: mTLS under `identity`, or plain HTTP when mesh TLS is disabled. */
export interface MeshClient {
  readonly tls: MeshTls;
  readonly identity: string;
}

export interface EdgeRuntimeOptions {
  readonly kong: KongDeclarative;
  readonly viaSidecars: boolean;
  readonly consul: ConsulClient;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly mesh: MeshClient | undefined;
  /** live edge agents in the cluster (≥ 1), for plugins' cluster-aware fallbacks */
  readonly clusterSize?: () => number;
  /** where plugins add admin endpoints */
  readonly admin?: AdminRoutes;
  /** consul.pool_guard; absent: Consul's answers apply as they come */
  readonly poolGuard?: PoolGuardPolicy;
  /** agent.tracing; the decK file's opentelemetry plugin replaces it for this edge */
  readonly tracing?: TracingSettings | null;
  /** Kong's metric names follow the decK file's prometheus plugin (local upstream ports: false) */
  readonly kongMetrics?: boolean;
  /** where Consul pools come from; default: this runtime's own watchers */
  readonly poolSource?: PoolSourceFactory;
  readonly onEjected?: (key: string, untilMs: number) => void; // a passive-health ejection here, told to the other workers (absent: one process)
  readonly failover?: readonly string[]; // consul.failover_datacenters: where a service with no passing local instance is served from, in order
  readonly upstreamKeepAliveMs?: number; // agent.upstream_keepalive_timeout in ms (default: the registry's)
}

function closeInstances(bp: EdgeBlueprint): void {
  for (const i of bp.instances) {
    try { void Promise.resolve(i.close?.()).catch(() => {}); } catch { /* closing is best effort */ }
  }
}

export class EdgeRuntime {
  readonly registry: EndpointRegistry;
  /** HTTP/2 sessions for gRPC services' members (outlive table swaps, like the registry's pools) */
  readonly h2 = new H2Sessions();
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #consul: ConsulClient;
  readonly #mesh: MeshClient | undefined;
  readonly #clusterSize: () => number;
  readonly #admin: AdminRoutes;
  #poolGuard: PoolGuardPolicy | undefined;
  #discovery: PoolSource | undefined;
  readonly #poolSource: PoolSourceFactory | undefined;
  readonly #onEjected: ((key: string, untilMs: number) => void) | undefined;
  readonly #probers = new BlueprintProbers();
  #blueprint: EdgeBlueprint;
  #table: RouteTable;
  readonly #agentTracing: TracingSettings | null;
  readonly #kongMetrics: boolean;
  readonly #failover: DatacenterFailover;
  #tracer: MeshTracer | null = null;
  #tracerLoading: Promise<void> | null = null;

  constructor(o: EdgeRuntimeOptions) {
    this.registry = new EndpointRegistry(o.upstreamKeepAliveMs);
    this.#log = o.log;
    this.#metrics = o.metrics;
    this.#consul = o.consul;
    this.#mesh = o.mesh;
    this.#clusterSize = o.clusterSize ?? (() => 1);
    this.#admin = o.admin ?? new AdminRoutes();
    this.#poolGuard = o.poolGuard;
    this.#agentTracing = o.tracing ?? null;
    this.#kongMetrics = o.kongMetrics ?? false;
    this.#poolSource = o.poolSource;
    this.#onEjected = o.onEjected;
    this.#failover = new DatacenterFailover(o.failover ?? [], o.metrics, o.log.child({ part: 'failover' }),
      (e) => this.registry.state(e.key).isAvailable(Date.now()), this.#onPoolsChanged);
    this.#blueprint = compileEdgeBlueprint(o.kong, o.viaSidecars, this.#chainEnv());
    this.#applyAgentWide();
    this.#table = this.#bind();
    this.#syncProbers();
    this.#watch();
  }

  /** The current table; a request reads it once. */
  get table(): RouteTable { return this.#table; }
  get discovery(): PoolSource | undefined { return this.#discovery; }
  /** the current tracer (null: tracing off); a request reads it once */
  get tracer(): MeshTracer | null { return this.#tracer; }
  /** resolves once the tracer a config asked for exists (at once when none is loading) */
  tracerReady(): Promise<void> { return this.#tracerLoading ?? Promise.resolve(); }

  /** The opentelemetry and prometheus plugins configure the agent, not routes. */
  #applyAgentWide(): void {
    const otel = this.#blueprint.agentWide.get('opentelemetry') as OpenTelemetryConfig | undefined;
    const wanted = otel !== undefined ? tracingFromKong(otel) : this.#agentTracing;
    const tracing = wanted === null ? null : tracerModule();
    if (wanted !== null && tracing === null) { // the SDK loads first (load-tracer.ts), then this runs again
      this.#tracerLoading = loadTracerModule().then(() => { this.#tracerLoading = null; this.#applyAgentWide(); });
    } else if (!sameSettings(this.#tracer?.settings ?? null, wanted)) {
      const old = this.#tracer;
      this.#tracer = wanted === null || tracing === null ? null : new tracing.MeshTracer('edge', wanted, this.#log.child({ part: 'tracing' }), {
        inc: (reason, n) => this.#metrics.traceSpansDropped.labels(reason).inc(n),
      });
      void old?.shutdown();
    }
    if (!this.#kongMetrics) return;
    const prom = this.#blueprint.agentWide.get('prometheus') as PrometheusConfig | undefined;
    this.#metrics.kong.switches = prom === undefined ? null : {
      perConsumer: prom.per_consumer, statusCodes: prom.status_code_metrics, latency: prom.latency_metrics,
      bandwidth: prom.bandwidth_metrics, upstreamHealth: prom.upstream_health_metrics,
    };
  }

  /** Swaps in a new config. Compilation errors throw before anything changes. */
  applyConfig(kong: KongDeclarative, viaSidecars: boolean): void {
    this.prepareConfig(kong, viaSidecars).commit();
  }

  /**
   * Compiles a config without using it (errors throw here); `commit` swaps it in, `abort` drops
   * it. Workers prepare first and commit only when every one of them compiled.
   */
  prepareConfig(kong: KongDeclarative, viaSidecars: boolean): { commit(): void; abort(): void } {
    const next = compileEdgeBlueprint(kong, viaSidecars, this.#chainEnv());
    return {
      commit: () => {
        const previous = this.#blueprint;
        this.#blueprint = next;
        this.#applyAgentWide();
        this.#watch();
        this.rebuild();
        // requests that started under the old config still use its plugins: close them after the last
        previous.inFlight.retire(() => closeInstances(previous));
      },
      abort: () => closeInstances(next),
    };
  }

  /** A reload's consul.pool_guard (for this runtime's own watchers; with workers the primary's hold it) and failover order. */
  applyDiscoveryPolicy(poolGuard: PoolGuardPolicy | undefined, failover: readonly string[]): void {
    this.#poolGuard = poolGuard;
    if (this.#discovery instanceof ServiceDiscovery) this.#discovery.setGuard(this.#guardSetup());
    this.#failover.setOrder(failover);
    this.#watch();
    this.rebuild();
  }

  /** Another worker ejected `key` until `untilMs`: this process skips it as long. */
  followEjection(key: string, untilMs: number): void {
    const s = this.registry.state(key);
    if (s.skippedUntil < untilMs) s.skippedUntil = untilMs;
  }

  #chainEnv() {
    // live edge agents: this one plus the other edges Consul knows (see clusterSize in agent.ts)
    return { log: this.#log.child({ part: 'plugins' }), clusterSize: this.#clusterSize, admin: this.#admin, metrics: this.#metrics };
  }

  rebuild(): void {
    this.#table = this.#bind();
    this.#syncProbers();
    const keys = new Set<string>();
    const dispatchers = new Set<string>();
    for (const pool of this.#table.pools.values()) {
      for (const m of pool.members) { keys.add(m.key); dispatchers.add(m.dispatcherKey); }
      this.#metrics.poolEndpoints.labels(pool.name, 'total').set(pool.members.length);
    }
    for (const k of this.#failover.heldKeys()) keys.add(k);
    this.registry.retain(keys, dispatchers);
  }

  /** A watcher's change, run from a coalescing timer: a rebuild that throws keeps the last good table (logged) instead of escaping as an uncaught exception. */
  readonly #onPoolsChanged = (): void => {
    try {
      if (this.#failover.enabled) this.#watch();
      this.rebuild();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'route table rebuild failed; the last good table keeps serving');
    }
  };

  async waitForPools(timeoutMs: number): Promise<void> {
    await this.#discovery?.firstResults(timeoutMs);
  }

  async stop(): Promise<void> {
    this.#failover.stop();
    closeInstances(this.#blueprint);
    await this.#tracer?.shutdown();
    this.#probers.stop();
    await this.#discovery?.stop();
    this.h2.close();
    await this.registry.close();
  }

  #syncProbers(): void {
    this.#probers.sync(this.#blueprint, (pool) => this.#table.pools.get(pool)?.members ?? []);
  }

  #consulKeys(): WatchKey[] {
    const keys: WatchKey[] = [];
    for (const p of this.#blueprint.pools.values()) {
      if (p.source.kind !== 'consul') continue;
      const local: WatchKey = { service: p.source.service, mesh: this.#blueprint.viaSidecars };
      keys.push(...this.#failover.keys(local, this.#discovery?.endpoints(local)));
    }
    return keys;
  }

  /** The endpoints serving a Consul service: the local datacenter's, or a failover datacenter's. */
  #consulEndpoints(pool: string, service: string, mesh: boolean) {
    const d = this.#discovery;
    if (d === undefined) return { endpoints: [], loaded: false };
    return this.#failover.choose(pool, service, d.endpoints({ service, mesh }), (dc) => d.endpoints({ service, mesh, dc }));
  }

  #watch(): void {
    const keys = this.#consulKeys();
    if (keys.length && !this.#discovery && this.#poolSource !== undefined) this.#discovery = this.#poolSource(this.#onPoolsChanged);
    if (keys.length && !this.#discovery) {
      this.#discovery = new ServiceDiscovery(this.#consul, this.#log.child({ part: 'discovery' }), this.#onPoolsChanged, undefined, this.#guardSetup());
    }
    this.#discovery?.setWanted(keys);
  }

  #guardSetup(): PoolGuardSetup | null {
    const policy = this.#poolGuard;
    return policy === undefined ? null : {
      policy,
      failingLocally: (key) => !this.registry.state(key).isAvailable(Date.now()),
      onHeld: (watch, kept) => this.#metrics.poolGuardHeld.labels(watch).set(kept),
    };
  }

  #bind(): RouteTable {
    const bp = this.#blueprint;
    const pools = new Map<string, ServicePool>();
    /** pools reached through sidecars over mTLS: their gRPC calls go over mesh HTTP/2 */
    const meshModes = new Map<string, H2Mode>();
    for (const spec of bp.pools.values()) {
      const connectTimeoutMs = [...bp.services.values()].find((s) => s.pool === spec.name)?.connectTimeoutMs ?? 60_000;
      let endpoints; let loaded = true; let source: ServicePool['source'] = 'static';
      let connection: ConnectionOptions = { connectTimeoutMs, protocol: spec.protocol };
      if (spec.source.kind === 'static') {
        endpoints = staticEndpoints(spec.source.targets);
      } else {
        const service = spec.source.service;
        ({ endpoints, loaded } = this.#consulEndpoints(spec.name, service, bp.viaSidecars));
        source = bp.viaSidecars ? 'consul-mesh' : 'consul';
        if (bp.viaSidecars && this.#mesh) {
          const { tls, identity } = this.#mesh;
          connection = {
            connectTimeoutMs, protocol: 'https',
            connector: { key: `${identity}>${service}`, connect: tls.connector(identity, service, connectTimeoutMs) },
          };
          meshModes.set(spec.name, { kind: 'mesh', tls, identity, target: service });
        }
      }
      pools.set(spec.name, buildServicePool({
        name: spec.name, source, algorithm: spec.algorithm, slots: spec.slots, hashKey: spec.hashKey, health: spec.health, endpoints, loaded, connection,
      }, this.registry));
    }
    return bindRouteTable(bp, pools, {
      metrics: this.#metrics,
      h2For: (service) => service.protocol !== 'grpc' && service.protocol !== 'grpcs' ? undefined
        : this.h2.upstream(meshModes.get(service.pool) ?? { kind: service.protocol === 'grpcs' ? 'tls' : 'h2c' }, service.connectTimeoutMs),
      onRetry: (service, reason) => this.#metrics.retries.labels(service, reason).inc(),
      onEject: (service, endpoint) => {
        this.#failover.memberFailed();
        this.#metrics.ejections.labels(service, endpoint).inc();
        this.#log.warn({ service, endpoint }, 'endpoint ejected by passive health');
        this.#onEjected?.(endpoint, this.registry.state(endpoint).skippedUntil);
      },
    });
  }
}
