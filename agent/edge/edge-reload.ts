// A reload of the edge's part of the config, in two steps: prepare compiles everything (a bad
// route, plugin or certificate throws here and nothing changed), commit swaps it all in.
// One process prepares and commits at once; workers prepare, and commit only when all could.
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../config/config-error.js';
import type { MeshgateConfig } from '../../proto/config-schema.js';
import { poolGuardPolicy, type StartedEdge } from './start-edge.js';
import type { EdgeRuntime } from './edge-runtime.js';
import type { AgentOverrides } from '../agent.js';
import { EDGE_DEFAULTS } from '../../proto/defaults.js';
import { hasCertificates, type CertificateConfig, type EdgeCertificates } from './tls/edge-certificates.js';

/** The edge's certificate config; a plain decK file's paths have no "edge.kong" prefix. */
export function certificateConfig(edge: NonNullable<MeshgateConfig['edge']>, deckOnly: boolean): CertificateConfig {
  return { kong: edge.kong, tls: edge.tls, kongPrefix: deckOnly ? [] : ['edge', 'kong'] };
}

const DEFAULT_LISTEN_TLS = '0.0.0.0:8443';

/** Where the edge listens: the command line's over the file's, over the defaults. */
export function edgeListenAddresses(edge: NonNullable<MeshgateConfig['edge']>, overrides: AgentOverrides): { listen: string; listenTls: string } {
  return { listen: overrides.listen ?? edge.listen ?? EDGE_DEFAULTS.listen, listenTls: overrides.listenTls ?? edge.listen_tls ?? DEFAULT_LISTEN_TLS };
}

/** consul.pool_guard and consul.failover_datacenters, swapped into a runtime (the edge's or a sidecar upstream port's) */
export function applyDiscoveryPolicy(runtime: EdgeRuntime, cfg: MeshgateConfig): void {
  runtime.applyDiscoveryPolicy(poolGuardPolicy(cfg.consul?.pool_guard), cfg.consul?.failover_datacenters ?? []);
}

export interface PreparedReload {
  commit(): void;
  abort(): void;
}

export function prepareEdgeReload(file: string, edge: StartedEdge, certificates: EdgeCertificates | undefined, next: LoadedConfig): PreparedReload {
  const nextEdge = next.config.edge;
  if (!nextEdge) throw new ConfigError(file, [{ path: 'edge', message: 'cannot be removed by a reload' }]);
  const nextCerts = certificateConfig(nextEdge, next.deckOnly);
  if (hasCertificates(nextCerts) !== (certificates !== undefined)) {
    throw new ConfigError(file, [{ path: 'edge.tls', message: 'adding or removing all certificates (the TLS listener) needs a restart' }]);
  }
  // both steps are checked before either takes effect: a bad certificate keeps the old config whole
  const swapCertificates = certificates?.prepare(nextCerts);
  const routes = edge.runtime.prepareConfig(nextEdge.kong, nextEdge.via_sidecars ?? true);
  return {
    commit() {
      routes.commit();
      swapCertificates?.();
      edge.applyPolicy(nextEdge.trusted_proxies ?? [], nextEdge.http);
      edge.applyLimits(nextEdge.limits);
      edge.applyHttp2(nextEdge.http2);
      applyDiscoveryPolicy(edge.runtime, next.config);
    },
    abort() { routes.abort(); },
  };
}

/**
 * A reload's edge.listen and edge.listen_tls (one process; workers share the primary's sockets): a
 * changed address is bound before anything is swapped, so one that cannot be bound rejects the
 * reload naming its field. The new address must be free while the old one still listens.
 */
export async function prepareEdgeListen(file: string, edge: StartedEdge, next: LoadedConfig, overrides: AgentOverrides, drainMs: number): Promise<PreparedReload> {
  const nextEdge = next.config.edge;
  if (!nextEdge) throw new ConfigError(file, [{ path: 'edge', message: 'cannot be removed by a reload' }]);
  const at = edgeListenAddresses(nextEdge, overrides);
  const swaps: PreparedReload[] = [];
  for (const [which, address, path] of [['plain', at.listen, 'edge.listen'], ['tls', at.listenTls, 'edge.listen_tls']] as const) {
    try {
      swaps.push(await edge.prepareListen(which, address, drainMs));
    } catch (err) {
      for (const s of swaps) s.abort();
      throw new ConfigError(file, [{ path, message: `cannot listen on ${address}: ${(err as Error).message}` }]);
    }
  }
  return { commit() { for (const s of swaps) s.commit(); }, abort() { for (const s of swaps) s.abort(); } };
}
