// Pure checks of a peer certificate that TLS has already chained to a trusted root: the mesh
// identity is its single SPIFFE URI SAN in our trust domain, never the CN, never a CA.
import type { X509Certificate } from 'node:crypto';
import { parseServiceIdentity, uriSans, type ServiceIdentity } from '../../proto/spiffe.js';

export type PeerCheck = { ok: true; identity: ServiceIdentity } | { ok: false; reason: string };

export interface PeerCertFacts {
  readonly subjectAltName: string | undefined;
  readonly ca: boolean;
  readonly validFromMs: number;
  readonly validToMs: number;
}

export function certFacts(cert: X509Certificate): PeerCertFacts {
  return { subjectAltName: cert.subjectAltName, ca: cert.ca, validFromMs: Date.parse(cert.validFrom), validToMs: Date.parse(cert.validTo) };
}

export function checkPeer(facts: PeerCertFacts, trustDomains: ReadonlySet<string>, now = Date.now()): PeerCheck {
  if (facts.ca) return { ok: false, reason: 'peer certificate is a CA (CA:TRUE)' };
  if (now < facts.validFromMs) return { ok: false, reason: 'peer certificate not yet valid' };
  if (now > facts.validToMs) return { ok: false, reason: 'peer certificate expired' };
  const uris = uriSans(facts.subjectAltName);
  if (uris.length !== 1) return { ok: false, reason: `peer certificate has ${uris.length} URI SANs, expected exactly 1` };
  const identity = parseServiceIdentity(uris[0]!);
  if (!identity) return { ok: false, reason: `not a SPIFFE service identity: ${uris[0]}` };
  if (!trustDomains.has(identity.trustDomain)) return { ok: false, reason: `foreign trust domain ${identity.trustDomain}` };
  return { ok: true, identity };
}

/** For the client side: the server must be exactly the service we meant to reach. */
export function checkServerIs(facts: PeerCertFacts, trustDomains: ReadonlySet<string>, service: string, now = Date.now()): PeerCheck {
  const r = checkPeer(facts, trustDomains, now);
  if (!r.ok) return r;
  if (r.identity.service !== service) return { ok: false, reason: `server is ${r.identity.service}, expected ${service}` };
  return r;
}
