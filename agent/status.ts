// The /status document: what this agent routes, to whom, and how fresh its view is.
import type { EdgeRuntime } from './edge/edge-runtime.js';
import type { TlsMaterial } from './transport/tls-material.js';
import type { WatchStatus } from './discovery/blocking-watcher.js';
import { circuitBreakerStates } from './plugins/circuit-breaker/circuit-breaker.js';

export interface StatusInput {
  readonly node: string;
  readonly roles: string;
  readonly startedAt: number;
  readonly ready: boolean;
  readonly edge: EdgeRuntime | undefined;
  readonly sidecarDraining: boolean | undefined;
  readonly upstreams: readonly EdgeRuntime[] | undefined;
  readonly mesh: TlsMaterial | undefined;
  readonly identity: string;
}

function poolsOf(rt: EdgeRuntime, now: number): unknown[] {
  return [...rt.table.pools.values()].map((p) => ({
    name: p.name, source: p.source, loaded: p.loaded,
    endpoints: p.members.map((m) => ({
      key: m.key, instance: m.instanceId, weight: m.weight, inflight: m.state.inflight,
      available: m.state.isAvailable(now), ejections: m.state.ejections, recent_failures: m.state.recentFailures,
      skipped_for_ms: Math.max(0, m.state.skippedUntil - now),
    })),
  }));
}

/** Watchers as /status shows them (a primary shows its own for all its workers). */
export function watcherReport(status: readonly WatchStatus[]): unknown[] {
  return status.map((w) => ({ ...w, age_s: Number.isFinite(w.ageMs) ? Math.round(w.ageMs / 100) / 10 : null }));
}

function watchersOf(rt: EdgeRuntime | undefined): unknown[] {
  return watcherReport(rt?.discovery?.status() ?? []);
}

/** The mesh part of /status. */
export function meshReport(mesh: TlsMaterial | undefined, identity: string, now: number): unknown {
  return mesh ? {
    identity, version: mesh.version, trust_domains: [...mesh.trustDomains], roots: mesh.rootsPem.length,
    leaves: [...mesh.leaves.values()].map((l) => ({ service: l.service, uri: l.uri, serial: l.serial, expires_in_s: Math.round((l.validToMs - now) / 1000) })),
  } : { tls: 'disabled' };
}

export function statusReport(s: StatusInput): unknown {
  const now = Date.now();
  const table = s.edge?.table;
  return {
    node: s.node,
    roles: s.roles,
    ready: s.ready,
    uptime_s: Math.round((now - s.startedAt) / 1000),
    routes: table?.routes.map((r) => ({ name: r.name, service: r.service.name, pool: r.service.pool, strip_path: r.stripPath, preserve_host: r.preserveHost })) ?? [],
    pools: s.edge ? poolsOf(s.edge, now) : [],
    watchers: watchersOf(s.edge),
    ...(s.sidecarDraining !== undefined ? { sidecar: { draining: s.sidecarDraining } } : {}),
    circuit_breakers: circuitBreakerStates(),
    upstreams: s.upstreams?.map((rt) => ({ pools: poolsOf(rt, now), watchers: watchersOf(rt) })) ?? [],
    mesh: meshReport(s.mesh, s.identity, now),
  };
}
