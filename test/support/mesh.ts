// Mesh-level helpers for the mTLS tests: raw TLS probes of a mesh listener and Consul Connect calls.
import tls from 'node:tls';
import type { Harness } from './harness.js';

export interface ProbeResult {
  /** the first bytes the server answered (empty when it answered nothing) */
  readonly answer: string;
  readonly error?: string;
  readonly peerSerial?: string;
}

/**
 * Connects to a mesh listener presenting `cert`/`key` (or none), sends one HTTP request and
 * collects what comes back until the server closes, an error, or timeoutMs.
 */
export function probeMesh(port: number, o: { ca: readonly string[]; cert?: string; key?: string; destination: string; servername?: string; timeoutMs?: number; maxVersion?: tls.SecureVersion }): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let answer = '';
    let error: string | undefined;
    let peerSerial: string | undefined;
    const socket = tls.connect({
      host: '127.0.0.1', port, ca: [...o.ca], servername: o.servername ?? 'users',
      ...(o.cert ? { cert: o.cert, key: o.key } : {}),
      checkServerIdentity: () => undefined, minVersion: 'TLSv1.2', ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
    });
    const done = () => { clearTimeout(timer); socket.destroy(); resolve({ answer, ...(error ? { error } : {}), ...(peerSerial ? { peerSerial } : {}) }); };
    const timer = setTimeout(done, o.timeoutMs ?? 3000);
    socket.on('secureConnect', () => {
      peerSerial = socket.getPeerX509Certificate()?.serialNumber;
      socket.write(`GET /probe HTTP/1.1\r\nhost: users\r\nx-meshgate-destination: ${o.destination}\r\nconnection: close\r\n\r\n`);
    });
    socket.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
    socket.on('error', (e) => { error = e.message; });
    socket.on('close', done);
  });
}

export interface CaRootsBody { readonly TrustDomain: string; readonly ActiveRootID: string; readonly Roots: readonly { ID: string; RootCert: string; Active: boolean; IntermediateCerts?: string[] | null }[] }

export async function caRoots(h: Harness): Promise<CaRootsBody> {
  return h.consulGet<CaRootsBody>('/agent/connect/ca/roots');
}

export function allRootPems(r: CaRootsBody): string[] {
  return r.Roots.flatMap((x) => [x.RootCert, ...(x.IntermediateCerts ?? [])]);
}

export async function leafFor(h: Harness, service: string): Promise<{ CertPEM: string; PrivateKeyPEM: string; SerialNumber?: string }> {
  return h.consulGet(`/agent/connect/ca/leaf/${service}`);
}

export async function setCaConfig(h: Harness, config: Record<string, string>): Promise<void> {
  const r = await h.http.request(`${h.consul.httpAddress}/v1/connect/ca/configuration`, {
    method: 'PUT', body: JSON.stringify({ Provider: 'consul', Config: config }), timeoutMs: 10_000,
  });
  if (r.status !== 200) throw new Error(`CA configuration: HTTP ${r.status} ${r.text}`);
}

export async function createIntention(h: Harness, source: string, destination: string, action: 'allow' | 'deny'): Promise<string> {
  const r = await h.http.request(`${h.consul.httpAddress}/v1/connect/intentions`, {
    method: 'POST', body: JSON.stringify({ SourceName: source, DestinationName: destination, Action: action }), timeoutMs: 10_000,
  });
  if (r.status !== 200) throw new Error(`create intention: HTTP ${r.status} ${r.text}`);
  return r.json<{ ID: string }>().ID;
}

export async function deleteIntention(h: Harness, id: string): Promise<void> {
  await h.http.request(`${h.consul.httpAddress}/v1/connect/intentions/${id}`, { method: 'DELETE', timeoutMs: 10_000 });
}
