// The edge's TLS certificates from both places they can be configured (Kong `certificates` +
// `snis` in the decK file, `edge.tls.certificates` on disk), checked once into plain sources
// that name their YAML path. Bad input is a config issue here, never a handshake failure later.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EdgeTls, KongDeclarative } from '../../../proto/config-schema.js';
import { formatPath, type ConfigIssue } from '../../config/config-error.js';

type Path = readonly (string | number)[];

/** One served certificate (with its optional alternate pair), ready for a SecureContext. */
export interface CertificateSource {
  /** metrics and log label: the Kong id, the first SNI, or the file */
  readonly name: string;
  readonly path: string;
  readonly certs: readonly string[];
  readonly keys: readonly string[];
  readonly snis: readonly string[];
  /** the leaf's notAfter, ms since the epoch (the earliest of the pair) */
  readonly notAfterMs: number;
  /** files to watch for changes (edge.tls entries) */
  readonly files: readonly string[];
}

export interface CollectedCertificates {
  readonly sources: readonly CertificateSource[];
  readonly issues: readonly ConfigIssue[];
}

interface PairCheck { readonly notAfterMs: number }

/** Checks one PEM pair; issues are pushed at the cert's or the key's path. */
export function checkPair(certPem: string, keyPem: string, certPath: Path, keyPath: Path, nowMs: number, issues: ConfigIssue[]): PairCheck | undefined {
  let cert: X509Certificate;
  let key: KeyObject;
  try { cert = new X509Certificate(certPem); } catch {
    issues.push({ path: formatPath(certPath), message: 'is not a valid PEM certificate' });
    return undefined;
  }
  try { key = createPrivateKey(keyPem); } catch {
    issues.push({ path: formatPath(keyPath), message: 'is not a valid PEM private key' });
    return undefined;
  }
  if (!cert.checkPrivateKey(key)) {
    issues.push({ path: formatPath(keyPath), message: 'does not match the certificate\'s public key' });
    return undefined;
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (from > nowMs) issues.push({ path: formatPath(certPath), message: `is not valid yet (notBefore ${cert.validFrom})` });
  else if (to < nowMs) issues.push({ path: formatPath(certPath), message: `has expired (notAfter ${cert.validTo})` });
  else return { notAfterMs: to };
  return undefined;
}

function readPem(file: string, at: Path, issues: ConfigIssue[]): string | undefined {
  try { return readFileSync(file, 'utf8'); } catch (err) {
    issues.push({ path: formatPath(at), message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return undefined;
  }
}

/**
 * Every certificate of an edge. `kongPrefix` is where the decK document sits in the YAML
 * (`[]` for a plain decK file, `['edge', 'kong']` inside a meshgate file).
 */
export function collectCertificates(kong: KongDeclarative, tls: EdgeTls | undefined, kongPrefix: Path, nowMs = Date.now()): CollectedCertificates {
  const issues: ConfigIssue[] = [];
  const sources: CertificateSource[] = [];
  const sniOwner = new Map<string, string>();
  const claim = (name: string, at: Path) => {
    const lower = name.toLowerCase();
    const other = sniOwner.get(lower);
    if (other !== undefined) issues.push({ path: formatPath(at), message: `SNI "${name}" is already listed at ${other}` });
    else sniOwner.set(lower, formatPath(at));
    return lower;
  };
  const byId = new Map<string, string[]>();
  const certSnis: string[][] = [];
  kong.certificates?.forEach((c, i) => {
    const snis: string[] = [];
    c.snis?.forEach((s, j) => snis.push(claim(typeof s === 'string' ? s : s.name, [...kongPrefix, 'certificates', i, 'snis', j])));
    certSnis.push(snis);
    if (c.id !== undefined) byId.set(c.id, snis);
  });
  kong.snis?.forEach((s, i) => {
    const at = [...kongPrefix, 'snis', i];
    const owner = byId.get(s.certificate.id);
    if (owner === undefined) issues.push({ path: formatPath([...at, 'certificate', 'id']), message: `no certificate has id "${s.certificate.id}"` });
    else owner.push(claim(s.name, [...at, 'name']));
  });
  kong.certificates?.forEach((c, i) => {
    const at = [...kongPrefix, 'certificates', i];
    const main = checkPair(c.cert, c.key, [...at, 'cert'], [...at, 'key'], nowMs, issues);
    const certs = [c.cert]; const keys = [c.key];
    const notAfterMs = main?.notAfterMs ?? 0;
    // Node selects an SNI context's certificate as the context's last one only (measured: a second
    // pair in a context makes SNI selection fall back to the default), so an RSA + ECDSA pair
    // cannot be served per name: refused rather than half-served
    for (const field of ['cert_alt', 'key_alt'] as const) {
      if (c[field] !== undefined) issues.push({ path: formatPath([...at, field]), message: 'is not supported: meshgate serves one key pair per certificate (use ECDSA P-256, or RSA for old clients)' });
    }
    if (!main) return;
    const snis = certSnis[i]!;
    sources.push({ name: c.id ?? snis[0] ?? formatPath(at), path: formatPath(at), certs, keys, snis, notAfterMs, files: [] });
  });
  tls?.certificates?.forEach((c, i) => {
    const at = ['edge', 'tls', 'certificates', i];
    const snis = (c.snis ?? []).map((s, j) => claim(s, [...at, 'snis', j]));
    const cert = readPem(c.cert_file, [...at, 'cert_file'], issues);
    const key = readPem(c.key_file, [...at, 'key_file'], issues);
    if (cert === undefined || key === undefined) return;
    const ok = checkPair(cert, key, [...at, 'cert_file'], [...at, 'key_file'], nowMs, issues);
    if (!ok) return;
    sources.push({ name: c.cert_file, path: formatPath(at), certs: [cert], keys: [key], snis, notAfterMs: ok.notAfterMs, files: [c.cert_file, c.key_file] });
  });
  return { sources, issues };
}
