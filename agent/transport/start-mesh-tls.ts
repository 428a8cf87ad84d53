// Chooses the mesh's TLS source from config: Consul's Connect CA (default), PEM files, or none.
import type { Logger } from 'pino';
import type { MeshgateConfig } from '../../proto/config-schema.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import type { Metrics } from '../observe/metrics.js';
import { ConsulCaSource } from './consul-ca-source.js';
import { MeshTls, type TlsSource } from './mesh-tls.js';
import { StaticPkiSource } from './static-pki-source.js';

/** The identity an agent presents when it calls others. */
export function outboundIdentity(cfg: MeshgateConfig): string {
  return cfg.agent?.identity ?? (cfg.edge ? 'edge' : cfg.sidecar!.services[0]!.name);
}

export function startMeshTls(cfg: MeshgateConfig, consul: ConsulClient, log: Logger, metrics: Metrics): MeshTls | undefined {
  const mode = cfg.mesh?.tls ?? 'consul';
  if (mode === 'disabled') {
    log.warn('mesh.tls is disabled: traffic between agents is plain HTTP and unauthenticated');
    return undefined;
  }
  const identities = [...new Set([outboundIdentity(cfg), ...(cfg.sidecar?.services.map((s) => s.name) ?? [])])];
  const source: TlsSource = mode === 'consul'
    ? new ConsulCaSource(consul, identities, log)
    : new StaticPkiSource(mode, identities, log);
  const meshTls = new MeshTls(source, cfg.mesh?.min_tls_version ?? '1.3', log, metrics.leafExpiry);
  meshTls.start();
  return meshTls;
}
