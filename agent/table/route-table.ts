// The edge's immutable routing table. A blueprint is compiled once per config (routes sorted,
// services resolved); binding it to the current pools is cheap and happens on every pool change.
// A request reads the table once and uses that snapshot to its end.
import type { KongDeclarative, KongRoute } from '../../proto/config-schema.js';
import type { Metrics, RequestRecorder } from '../observe/metrics.js';
import type { ForwardPlan } from '../proxy/forward.js';
import type { PoolMember, ServicePool } from '../pool/service-pool.js';
import { compileRouteEntries, matchRoute, ruleFor, type RouteEntry, type RouteMatch, type RouteRule } from './router.js';
import { compileServices, type PoolSpec, type ServiceSpec } from './service-spec.js';

export interface EdgeBlueprint {
  readonly services: ReadonlyMap<string, ServiceSpec>;
  readonly pools: ReadonlyMap<string, PoolSpec>;
  readonly routes: readonly { readonly route: KongRoute; readonly rule: RouteRule }[];
  readonly viaSidecars: boolean;
}

export interface EdgeRoute extends RouteRule {
  readonly service: ServiceSpec;
  readonly plan: ForwardPlan;
  readonly recorder: RequestRecorder;
  /** Host header for the upstream; null keeps the client's (preserve_host) */
  readonly hostHeader: string | null;
  readonly meshHop: boolean;
}

export class RouteTable {
  constructor(
    readonly entries: readonly RouteEntry<EdgeRoute>[],
    readonly pools: ReadonlyMap<string, ServicePool>,
    readonly routes: readonly EdgeRoute[],
  ) { Object.freeze(this); }

  match(method: string, host: string, path: string): RouteMatch<EdgeRoute> | undefined {
    return matchRoute(this.entries, method, host, path);
  }

  /** ready when every pool has had its first discovery answer */
  get loaded(): boolean {
    for (const p of this.pools.values()) if (!p.loaded) return false;
    return true;
  }
}

export function compileEdgeBlueprint(kong: KongDeclarative, viaSidecars: boolean): EdgeBlueprint {
  const { services, pools } = compileServices(kong);
  const routes: { route: KongRoute; rule: RouteRule }[] = [];
  for (const s of kong.services ?? []) {
    if (!services.has(s.name)) continue;
    (s.routes ?? []).forEach((route, i) => routes.push({ route, rule: ruleFor(route, s.name, i) }));
  }
  return { services, pools, routes, viaSidecars };
}

export interface BindHooks {
  readonly metrics: Metrics;
  readonly onRetry: (service: string) => void;
  readonly onEject: (service: string, endpoint: string) => void;
}

export function bindRouteTable(bp: EdgeBlueprint, pools: ReadonlyMap<string, ServicePool>, hooks: BindHooks): RouteTable {
  const bound = new Map<RouteRule, EdgeRoute>();
  for (const { rule } of bp.routes) {
    const service = bp.services.get(rule.serviceName)!;
    const pool = pools.get(service.pool)!;
    bound.set(rule, Object.freeze({
      ...rule,
      service,
      hostHeader: rule.preserveHost ? null : service.hostHeader,
      meshHop: pool.source === 'consul-mesh',
      recorder: hooks.metrics.recorderFor('edge', rule.name, service.name),
      plan: Object.freeze({
        pool, meshHop: pool.source === 'consul-mesh', retries: service.retries, readTimeoutMs: service.readTimeoutMs,
        onRetry: () => hooks.onRetry(service.name),
        onEject: (m: PoolMember) => hooks.onEject(service.name, m.key),
      }),
    }));
  }
  const entries = compileRouteEntries(bp.routes.map(({ route, rule }) => ({ route, rule: bound.get(rule)! })));
  return new RouteTable(entries, pools, [...bound.values()]);
}
