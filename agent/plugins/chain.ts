// Per-route plugin chains, compiled once per config. For each plugin name the most specific
// entry wins, in Kong's precedence (highest first): consumer+route+service, consumer+route,
// consumer+service, route+service, consumer, route, service, global. Consumer-scoped entries
// can only apply once a consumer is known, so they form alternative chains switched to after
// authentication.
import type { Logger } from 'pino';
import type { AdminRoutes } from '../admin/admin-routes.js';
import type { Metrics } from '../observe/metrics.js';
import type { ConsumerIndex } from './consumers.js';
import type { PluginInstance } from './plugin.js';
import type { ResolvedPlugin } from './plugin-config.js';

export interface PluginChain {
  /** instances by priority, highest first */
  readonly instances: readonly PluginInstance[];
  /** consumer id → the chain that applies once that consumer is authenticated */
  readonly byConsumer: ReadonlyMap<string, readonly PluginInstance[]> | null;
}

export interface ChainRoute {
  readonly name: string;
  readonly service: string;
}

export interface ChainEnv {
  readonly log: Logger;
  readonly consumers: ConsumerIndex;
  readonly clusterSize: () => number;
  readonly admin: AdminRoutes;
  readonly metrics?: Metrics;
}

function rank(p: ResolvedPlugin, route: ChainRoute, consumerId: string | null, consumers: ConsumerIndex): number {
  const s = p.scope;
  if (s.route !== undefined && s.route !== route.name) return 0;
  if (s.service !== undefined && s.service !== route.service) return 0;
  if (s.consumer !== undefined) {
    if (consumerId === null || consumers.find(s.consumer)?.id !== consumerId) return 0;
    if (s.route !== undefined) return s.service !== undefined ? 8 : 7;
    return s.service !== undefined ? 6 : 4;
  }
  if (s.route !== undefined) return s.service !== undefined ? 5 : 3;
  return s.service !== undefined ? 2 : 1;
}

function select(all: readonly ResolvedPlugin[], route: ChainRoute, consumerId: string | null, consumers: ConsumerIndex): ResolvedPlugin[] {
  const best = new Map<string, { p: ResolvedPlugin; r: number }>();
  for (const p of all) {
    const r = rank(p, route, consumerId, consumers);
    if (r === 0) continue;
    const cur = best.get(p.factory.name);
    if (cur === undefined || r > cur.r) best.set(p.factory.name, { p, r });
  }
  return [...best.values()].map((x) => x.p).sort((a, b) => b.factory.priority - a.factory.priority);
}

export class ChainCompiler {
  readonly #all: readonly ResolvedPlugin[];
  readonly #env: ChainEnv;
  readonly #consumerIds: readonly string[];
  /** one instance per plugin entry, shared by every route it applies to (as Kong does) */
  readonly #instances = new Map<ResolvedPlugin, PluginInstance>();
  readonly created: PluginInstance[] = [];

  constructor(all: readonly ResolvedPlugin[], env: ChainEnv) {
    this.#all = all;
    this.#env = env;
    this.#consumerIds = [...new Set(all.flatMap((p) => (p.scope.consumer !== undefined ? [env.consumers.find(p.scope.consumer)?.id ?? ''] : [])))].filter(Boolean);
  }

  chainFor(route: ChainRoute): PluginChain | null {
    const instantiate = (list: ResolvedPlugin[]) => list.map((p) => {
      let i = this.#instances.get(p);
      if (i === undefined) {
        // scope is where the entry is attached (Kong's route_id / service_id), not the route it runs on
        i = p.factory.create(p.config, {
          log: this.#env.log.child({ plugin: p.factory.name, at: p.path }), consumers: this.#env.consumers, scope: p.scope,
          clusterSize: this.#env.clusterSize, admin: this.#env.admin, ...(this.#env.metrics ? { metrics: this.#env.metrics } : {}),
        });
        this.#instances.set(p, i);
        this.created.push(i);
      }
      return i;
    });
    const base = select(this.#all, route, null, this.#env.consumers);
    let byConsumer: Map<string, readonly PluginInstance[]> | null = null;
    for (const id of this.#consumerIds) {
      const alt = select(this.#all, route, id, this.#env.consumers);
      if (alt.length === base.length && alt.every((p, i) => p === base[i])) continue;
      (byConsumer ??= new Map()).set(id, instantiate(alt));
    }
    if (base.length === 0 && byConsumer === null) return null;
    return { instances: instantiate(base), byConsumer };
  }
}
