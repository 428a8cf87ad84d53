// The TLS material a mesh agent holds at one moment: trusted roots and one leaf per identity.
// Immutable; a rotation builds a new one and swaps it (contexts are built once per version).
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';

export interface Leaf {
  readonly service: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly uri: string;
  readonly validFromMs: number;
  readonly validToMs: number;
  readonly serial: string;
}

export interface TlsMaterial {
  readonly version: number;
  readonly rootsPem: readonly string[];
  readonly trustDomains: ReadonlySet<string>;
  readonly leaves: ReadonlyMap<string, Leaf>;
}

export type MinTlsVersion = '1.2' | '1.3';

export function tlsVersion(v: MinTlsVersion): tls.SecureVersion {
  return v === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
}

export function leafFromPem(service: string, certPem: string, keyPem: string, uri?: string): Leaf {
  const cert = new X509Certificate(certPem);
  const san = cert.subjectAltName ?? '';
  const found = /URI:(spiffe:\/\/[^,\s]+)/.exec(san)?.[1];
  return {
    service, certPem, keyPem, uri: uri ?? found ?? '',
    validFromMs: Date.parse(cert.validFrom), validToMs: Date.parse(cert.validTo), serial: cert.serialNumber,
  };
}

/** A context presenting `leaf` and trusting every root (during a rotation there are several). */
export function secureContextFor(m: TlsMaterial, leaf: Leaf, minVersion: MinTlsVersion): tls.SecureContext {
  return tls.createSecureContext({
    cert: leaf.certPem, key: leaf.keyPem, ca: [...m.rootsPem], minVersion: tlsVersion(minVersion),
  });
}
