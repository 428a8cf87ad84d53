// What a hot reload applies, and which changed sections it cannot: those are named in a log line
// and a metric rather than silently kept at their old values.
import { ConsulSection, EdgeSection, MeshgateConfig, MeshSection, SidecarSection } from '../../proto/config-schema.js';
import { EdgeHttp2 } from '../../proto/listener-schema.js';

/**
 * Sections a reload swaps in place: the route table, how pools are reached, the edge's certificates,
 * whom it trusts for X-Forwarded-*, its strict-request rules, its listeners' limits; which Consul
 * agent the watchers and the registrar talk to, with which token, in which datacenter; the pool
 * guard and the failover datacenters (swapped into every runtime's discovery); the mesh's
 * lowest TLS version, the decision when no intention matches, and whether intentions are checked
 * at all; a sidecar's local services, upstream ports and mesh listener (re-bound, re-registered); the edge's listen addresses (one process: re-bound, the old listener drained); the
 * edge's HTTP/2 choice (ALPN h2, h2c) for new connections and its limits for new sessions.
 */
export const RELOADED_SECTIONS: readonly string[] = [
  'edge.kong', 'edge.via_sidecars', 'edge.tls', 'edge.trusted_proxies', 'edge.http', 'edge.limits',
  'consul.address', 'consul.token', 'consul.token_file', 'consul.datacenter', 'consul.pool_guard', 'consul.failover_datacenters',
  'mesh.min_tls_version', 'mesh.default_intention_policy', 'mesh.authorize', 'sidecar.services', 'sidecar.upstreams',
  'sidecar.listen', 'sidecar.advertise',
  'edge.listen', 'edge.listen_tls',
  'edge.http2.enabled', 'edge.http2.h2c', 'edge.http2.max_concurrent_streams', 'edge.http2.max_header_list_size', 'edge.http2.initial_window_size',
  'edge.http2.rapid_reset_max', 'edge.http2.rapid_reset_window',
];

/**
 * What an edge with workers cannot reload besides RESTART_SECTIONS: its listening sockets are the
 * primary's, bound for it by node:cluster when the workers start.
 */
export const WORKERS_RESTART_SECTIONS: readonly string[] = ['edge.listen', 'edge.listen_tls'];

/** sections named field by field, because a reload applies some of their fields and not others */
const SPLIT: Readonly<Record<string, { properties: Record<string, unknown> }>> = {
  consul: ConsulSection, mesh: MeshSection, sidecar: SidecarSection, edge: EdgeSection, 'edge.http2': EdgeHttp2,
};

const split = (name: string): string[] => (SPLIT[name] ? Object.keys(SPLIT[name]!.properties).flatMap((f) => split(`${name}.${f}`)) : [name]);

/**
 * Every other section takes effect only at start; a change to one needs a restart. Derived from
 * the schema, so a field added to it is reported on reload rather than silently kept.
 */
export const RESTART_SECTIONS: readonly string[] = Object.keys(MeshgateConfig.properties)
  .flatMap(split)
  .filter((name) => !RELOADED_SECTIONS.includes(name));

function sectionOf(cfg: MeshgateConfig, name: string): unknown {
  let at: unknown = cfg;
  for (const key of name.split('.')) at = (at as Record<string, unknown> | undefined)?.[key];
  return at;
}

/**
 * The roles: an agent is an edge, a sidecar or both from its start (each role's listeners, Consul
 * registrations and certificates are made then), so a file that adds or removes a role's section
 * needs a restart even though most of each role's fields are reloaded.
 */
export const ROLE_SECTIONS: readonly string[] = ['edge', 'sidecar'];

/** The restart-only sections whose value differs between the running and the reloaded config. */
export function sectionsNeedingRestart(running: MeshgateConfig, next: MeshgateConfig, alsoRestart: readonly string[] = []): string[] {
  const roles = ROLE_SECTIONS.filter((r) => (sectionOf(running, r) === undefined) !== (sectionOf(next, r) === undefined));
  const inChangedRole = (name: string) => roles.some((r) => name.startsWith(`${r}.`));
  const changed = [...RESTART_SECTIONS, ...alsoRestart].filter((name) => !inChangedRole(name) && JSON.stringify(sectionOf(running, name)) !== JSON.stringify(sectionOf(next, name)));
  return [...roles, ...changed];
}

export const RESTART_WARNING = 'config sections changed that only a restart applies; they keep their running values';

/**
 * After a reload: each restart-only section's gauge is 1 when the file changed it, and one log
 * line names them (compared with the config the process started with).
 */
export function reportRestartSections(
  running: MeshgateConfig, next: MeshgateConfig,
  gauge: { labels(section: string): { set(v: number): void } }, warn: (sections: string[]) => void,
  /** sections this kind of agent cannot reload (WORKERS_RESTART_SECTIONS) */
  alsoRestart: readonly string[] = [],
): void {
  const needRestart = sectionsNeedingRestart(running, next, alsoRestart);
  for (const section of [...ROLE_SECTIONS, ...RESTART_SECTIONS, ...alsoRestart]) gauge.labels(section).set(needRestart.includes(section) ? 1 : 0);
  if (needRestart.length > 0) warn(needRestart);
}
