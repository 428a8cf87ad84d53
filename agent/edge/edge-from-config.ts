// The edge of a validated config: certificates, listeners, route table, the explain endpoint and
// Kong's metrics. One process (agent.ts) and each worker (workers/worker-main.ts) start it alike.
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { AgentOverrides } from '../agent.js';
import type { AccessLog } from '../observe/access-log.js';
import type { Metrics } from '../observe/metrics.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import type { AdminRoutes } from '../admin/admin-routes.js';
import { parseDurationMs } from '../../proto/duration.js';
import { AGENT_DEFAULTS } from '../../proto/defaults.js';
import { tracingFromAgent } from '../observe/trace/tracing-settings.js';
import { registerExplain } from '../admin/explain-route.js';
import { MESHGATE_VERSION } from '../version.js';
import { certificateConfig, edgeListenAddresses } from './edge-reload.js';
import type { MeshClient } from './edge-runtime.js';
import { poolGuardPolicy, startEdge, type EdgeParams, type StartedEdge } from './start-edge.js';
import { EdgeCertificates, hasCertificates } from './tls/edge-certificates.js';

export interface ConfiguredEdgeInput {
  readonly file: string;
  readonly loaded: LoadedConfig;
  readonly overrides: AgentOverrides;
  readonly node: string;
  readonly log: Logger;
  readonly accessLog: AccessLog;
  readonly metrics: Metrics;
  readonly consul: ConsulClient;
  readonly mesh: MeshClient | undefined;
  readonly requestId: () => string;
  readonly admin: AdminRoutes;
  readonly clusterSize: () => number;
  /** what a worker adds: pools from the primary, shared ejections, one accept handle */
  readonly worker?: Pick<EdgeParams, 'poolSource' | 'onEjected'>;
}

export interface ConfiguredEdge {
  readonly edge: StartedEdge;
  readonly certificates: EdgeCertificates | undefined;
  /** HOST:PORT the plain listener was asked for */
  readonly listenAt: string;
}

export async function startConfiguredEdge(i: ConfiguredEdgeInput): Promise<ConfiguredEdge> {
  const cfg = i.loaded.config;
  const e = cfg.edge!;
  const { listen: listenAt, listenTls } = edgeListenAddresses(e, i.overrides);
  const certConfig = certificateConfig(e, i.loaded.deckOnly);
  const certificates = hasCertificates(certConfig) ? new EdgeCertificates(certConfig, i.file, i.log.child({ component: 'edge-tls' }), i.metrics) : undefined;

  const edge = await startEdge({
    ...(certificates ? { tls: { listen: listenTls, certificates } } : {}),
    listen: listenAt, kong: e.kong, clusterSize: i.clusterSize, admin: i.admin,
    ...(e.limits ? { limits: e.limits } : {}), ...(e.http2 ? { http2: e.http2 } : {}),
    // a worker's connections are handed over by the primary: extra accept handles would not help
    ...(i.worker !== undefined ? { limitsOverride: { accepts_per_turn: 1 } } : {}),
    ...(cfg.consul?.pool_guard ? { poolGuard: poolGuardPolicy(cfg.consul.pool_guard)! } : {}),
    ...(cfg.consul?.failover_datacenters ? { failover: cfg.consul.failover_datacenters } : {}),
    viaSidecars: e.via_sidecars ?? true, trustedProxies: e.trusted_proxies ?? [], consul: i.consul, ...(e.http ? { http: e.http } : {}),
    log: i.log.child({ component: 'edge' }), accessLog: i.accessLog, metrics: i.metrics, mesh: i.mesh, requestId: i.requestId,
    tracing: cfg.agent?.tracing ? tracingFromAgent(cfg.agent.tracing, parseDurationMs) : null,
    upstreamKeepAliveMs: parseDurationMs(cfg.agent?.upstream_keepalive_timeout ?? AGENT_DEFAULTS.upstream_keepalive_timeout),
    kongMetrics: true, ...(cfg.agent?.request_debug_token ? { requestDebugToken: cfg.agent.request_debug_token } : {}),
    ...i.worker,
  });
  const runtime = edge.runtime;
  registerExplain(i.admin, () => runtime.table);
  i.metrics.registerKong({
    pools: () => runtime.table.pools.values(), nodeId: i.node, version: MESHGATE_VERSION,
    // blocking queries answer at least every 5 min; an older last answer means Consul is not reachable
    consulReachable: () => (runtime.discovery?.status() ?? []).every((w) => Number.isFinite(w.ageMs) && w.ageMs < 330_000),
  });
  return { edge, certificates, listenAt };
}
