// The edge's immutable routing table. A blueprint is compiled once per config (routes sorted,
// services resolved); binding it to the current pools is cheap and happens on every pool change.
// A request reads the table once and uses that snapshot to its end.
import type { KongDeclarative, KongRoute } from '../../proto/config-schema.js';
import type { Metrics, RequestRecorder } from '../observe/metrics.js';
import type { KongRouteRecorder } from '../observe/kong-metrics.js';
import type { ForwardPlan } from '../proxy/forward-plan.js';
import type { H2Upstream } from '../proxy/h2-upstream-sessions.js';
import type { PoolMember, ServicePool } from '../pool/service-pool.js';
import { compileRouteEntries, matchRoute, ruleFor, type Arrival, type RouteEntry, type RouteMatch, type RouteRule } from './router.js';
import { compileServices, type PoolSpec, type ServiceSpec } from './service-spec.js';
import type { IncomingHttpHeaders } from 'node:http';
import { ChainCompiler, type ChainEnv, type PluginChain } from '../plugins/chain.js';
import { ConsumerIndex } from '../plugins/consumers.js';
import type { PluginInstance } from '../plugins/plugin.js';
import { resolvePlugins } from '../plugins/plugin-config.js';
import { InFlight } from '../pipeline/in-flight.js';

export interface EdgeBlueprint {
  readonly services: ReadonlyMap<string, ServiceSpec>;
  readonly pools: ReadonlyMap<string, PoolSpec>;
  readonly routes: readonly { readonly route: KongRoute; readonly rule: RouteRule }[];
  readonly viaSidecars: boolean;
  readonly formatVersion: string;
  /** plugin chains by route name, instantiated once per config */
  readonly chains: ReadonlyMap<string, PluginChain | null>;
  /** every plugin instance created for this config (closed when it is replaced) */
  readonly instances: readonly PluginInstance[];
  /** requests on routes with plugins that started under this config; its instances close when it reaches 0 after a reload */
  readonly inFlight: InFlight;
  /** configs of agent-wide plugins (opentelemetry, prometheus) by name; not in any chain */
  readonly agentWide: ReadonlyMap<string, Record<string, unknown>>;
}

export interface EdgeRoute extends RouteRule {
  readonly service: ServiceSpec;
  readonly plan: ForwardPlan;
  readonly recorder: RequestRecorder;
  /** Kong's metric names (prometheus plugin); records nothing while the plugin is absent */
  readonly kong: KongRouteRecorder;
  /** Host header for the upstream; null keeps the client's (preserve_host) */
  readonly hostHeader: string | null;
  readonly meshHop: boolean;
  /** the route's plugins; null when it has none (the fast path) */
  readonly plugins: PluginChain | null;
}

export class RouteTable {
  constructor(
    readonly entries: readonly RouteEntry<EdgeRoute>[],
    readonly pools: ReadonlyMap<string, ServicePool>,
    readonly routes: readonly EdgeRoute[],
    /** the blueprint's in-flight count: a request using the routes' plugins holds it to its end */
    readonly inFlight: InFlight,
  ) { Object.freeze(this); }

  match(method: string, host: string, path: string, headers?: IncomingHttpHeaders, arrival?: Arrival): RouteMatch<EdgeRoute> | undefined {
    return matchRoute(this.entries, method, host, path, headers, arrival);
  }

  /** ready when every pool has had its first discovery answer */
  get loaded(): boolean {
    for (const p of this.pools.values()) if (!p.loaded) return false;
    return true;
  }
}

export function compileEdgeBlueprint(kong: KongDeclarative, viaSidecars: boolean, env: Omit<ChainEnv, 'consumers'>): EdgeBlueprint {
  const { services, pools } = compileServices(kong);
  const routes: { route: KongRoute; rule: RouteRule }[] = [];
  for (const s of kong.services ?? []) {
    if (!services.has(s.name)) continue;
    (s.routes ?? []).forEach((route, i) => routes.push({ route, rule: ruleFor(route, s.name, i) }));
  }
  const all = resolvePlugins(kong, [], { allowUnknown: true }).plugins;
  const resolved = all.filter((p) => p.factory.agentWide !== true);
  const agentWide = new Map(all.filter((p) => p.factory.agentWide === true).map((p) => [p.factory.name, p.config]));
  const compiler = new ChainCompiler(resolved, { ...env, consumers: ConsumerIndex.compile(kong) });
  const chains = new Map<string, PluginChain | null>();
  for (const { rule } of routes) chains.set(rule.name, compiler.chainFor({ name: rule.name, service: rule.serviceName }));
  return { services, pools, routes, viaSidecars, formatVersion: kong._format_version, chains, instances: compiler.created, inFlight: new InFlight(), agentWide };
}

export interface BindHooks {
  readonly metrics: Metrics;
  /** the HTTP/2 side of a gRPC service's plan; undefined for HTTP services */
  readonly h2For?: (service: ServiceSpec) => H2Upstream | undefined;
  readonly onRetry: (service: string, reason: string) => void;
  readonly onEject: (service: string, endpoint: string) => void;
}

export function bindRouteTable(bp: EdgeBlueprint, pools: ReadonlyMap<string, ServicePool>, hooks: BindHooks): RouteTable {
  const bound = new Map<RouteRule, EdgeRoute>();
  for (const { rule } of bp.routes) {
    const service = bp.services.get(rule.serviceName)!;
    const pool = pools.get(service.pool)!;
    const h2 = hooks.h2For?.(service);
    bound.set(rule, Object.freeze({
      ...rule,
      service,
      hostHeader: rule.preserveHost ? null : service.hostHeader,
      meshHop: pool.source === 'consul-mesh',
      plugins: bp.chains.get(rule.name) ?? null,
      recorder: hooks.metrics.recorderFor('edge', rule.name, service.name),
      kong: hooks.metrics.kong.recorderFor(rule.name, service.name),
      plan: Object.freeze({
        pool, meshHop: pool.source === 'consul-mesh', retries: service.retries, readTimeoutMs: service.readTimeoutMs, writeTimeoutMs: service.writeTimeoutMs, perTryTimeoutMs: service.perTryTimeoutMs,
        onRetry: (reason: string) => hooks.onRetry(service.name, reason),
        onEject: (m: PoolMember) => hooks.onEject(service.name, m.key),
        ...(h2 !== undefined ? { h2 } : {}),
      }),
    }));
  }
  const entries = compileRouteEntries(bp.routes.map(({ route, rule }) => ({ route, rule: bound.get(rule)! })), bp.formatVersion);
  return new RouteTable(entries, pools, [...bound.values()], bp.inFlight);
}
