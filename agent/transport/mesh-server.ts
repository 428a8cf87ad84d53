// Verifies every inbound mesh connection right after the TLS handshake, before the HTTP layer
// reads a byte: TLS has chained the client certificate to a current root; here the SPIFFE rules
// apply (one URI SAN, our trust domain, not a CA). The verified identity rides on the socket.
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ServiceIdentity } from '../../proto/spiffe.js';
import type { MeshTls } from './mesh-tls.js';
import { certFacts, checkPeer } from './peer-identity.js';

export interface PeerIdentity {
  readonly identity: ServiceIdentity;
  readonly serial: string;
}

/**
 * The verified identity rides on the TLS socket as a symbol-keyed property: HTTP/2 requests see
 * their connection's socket only through Node's proxy objects, which pass property reads through.
 */
const PEER = Symbol('meshgate.meshPeer');

export function peerIdentityOf(socket: object): PeerIdentity | undefined {
  return (socket as { [PEER]?: PeerIdentity })[PEER];
}

export function guardMeshServer(server: Server, meshTls: MeshTls, log: Logger): void {
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const cert = socket.getPeerX509Certificate();
    const trust = meshTls.material?.trustDomains;
    const r = cert && trust ? checkPeer(certFacts(cert), trust) : { ok: false as const, reason: 'no client certificate' };
    if (!r.ok) {
      log.warn({ peer: socket.remoteAddress, reason: r.reason }, 'mesh connection refused');
      socket.destroy();
      return;
    }
    (socket as { [PEER]?: PeerIdentity })[PEER] = { identity: r.identity, serial: cert!.serialNumber };
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    // a bare connect-and-close (Consul's TCP check) is not worth a warning
    const quiet = err.code === 'ECONNRESET' || err.message === 'socket hang up';
    log[quiet ? 'debug' : 'warn']({ peer: socket.remoteAddress, err: err.message }, 'mesh handshake failed');
  });
}
