// HTTP/2 to a sidecar over the mesh: the TLS connection an undici mesh connector would make
// (this agent's identity presented, the server checked to be the target service's SPIFFE
// identity), with ALPN h2 so the sidecar's mesh listener serves it as HTTP/2.
import tls from 'node:tls';
import { meshServerCheck, type MeshTls } from './mesh-tls.js';
import { tlsVersion } from './tls-material.js';

/** Opens the TLS socket for http2.connect's createConnection; throws when no mesh material is in yet. */
export function connectMeshH2(meshTls: MeshTls, identity: string, target: string, host: string, port: number): tls.TLSSocket {
  const m = meshTls.material;
  if (m === undefined) throw Object.assign(new Error('no mesh certificate yet'), { code: 'ECONNREFUSED' });
  return tls.connect({
    host, port, secureContext: meshTls.context(identity), servername: target, ALPNProtocols: ['h2'],
    minVersion: tlsVersion(meshTls.minVersion), rejectUnauthorized: true, checkServerIdentity: meshServerCheck(m.trustDomains, target),
  });
}
