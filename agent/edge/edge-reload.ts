// A reload of the edge's part of the config, in two steps: prepare compiles everything (a bad
// route, plugin or certificate throws here and nothing changed), commit swaps it all in.
// One process prepares and commits at once; workers prepare, and commit only when all could.
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../config/config-error.js';
import type { MeshgateConfig } from '../../proto/config-schema.js';
import type { StartedEdge } from './start-edge.js';
import { hasCertificates, type CertificateConfig, type EdgeCertificates } from './tls/edge-certificates.js';

/** The edge's certificate config; a plain decK file's paths have no "edge.kong" prefix. */
export function certificateConfig(edge: NonNullable<MeshgateConfig['edge']>, deckOnly: boolean): CertificateConfig {
  return { kong: edge.kong, tls: edge.tls, kongPrefix: deckOnly ? [] : ['edge', 'kong'] };
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
    },
    abort() { routes.abort(); },
  };
}
