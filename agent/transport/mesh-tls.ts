// The mesh's TLS state: the current material (from Consul's CA or files), secure contexts built
// once per material version, the server options for mesh listeners and the client connectors for
// pools. A rotation swaps the material: established connections keep going, new handshakes use
// the new certificates.
import type { PeerCertificate } from 'node:tls';
import type https from 'node:https';
import tls from 'node:tls';
import { buildConnector } from 'undici';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { checkServerIs } from './peer-identity.js';
import { secureContextFor, tlsVersion, type MinTlsVersion, type TlsMaterial } from './tls-material.js';

export interface TlsSource {
  start(onMaterial: (m: Omit<TlsMaterial, 'version'>) => void): void;
  stop(): Promise<void>;
}

/** A TLS client's checkServerIdentity: the server must be `target`'s SPIFFE identity in a trusted domain. */
export function meshServerCheck(trustDomains: ReadonlySet<string>, target: string): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const r = checkServerIs({
      subjectAltName: cert.subjectaltname, ca: Boolean(cert.ca),
      validFromMs: Date.parse(cert.valid_from), validToMs: Date.parse(cert.valid_to),
    }, trustDomains, target);
    return r.ok ? undefined : Object.assign(new Error(`mesh server identity rejected: ${r.reason}`), { code: 'ERR_MESH_IDENTITY' });
  };
}

export class MeshTls {
  #minVersion: MinTlsVersion;
  readonly #log: Logger;
  readonly #source: TlsSource;
  readonly #expiry: Gauge<'identity'> | undefined;
  readonly #servers: { server: tls.Server; service: string }[] = [];
  #material: TlsMaterial | undefined;
  /** told every new material (a primary sends it on to its workers) */
  onMaterial: ((m: TlsMaterial) => void) | null = null;
  #contexts = new Map<string, tls.SecureContext>();
  #version = 0;
  #ready: Promise<void>;
  #resolveReady!: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(source: TlsSource, minVersion: MinTlsVersion, log: Logger, expiryGauge?: Gauge<'identity'>) {
    this.#source = source;
    this.#minVersion = minVersion;
    this.#log = log;
    this.#expiry = expiryGauge;
    this.#ready = new Promise((r) => { this.#resolveReady = r; });
  }

  /** resolves once the first complete material (roots and every leaf) is in */
  get ready(): Promise<void> { return this.#ready; }
  get material(): TlsMaterial | undefined { return this.#material; }
  get minVersion(): MinTlsVersion { return this.#minVersion; }

  /** A reload's mesh.min_tls_version: new handshakes (both ways) use it, established connections keep going. */
  setMinVersion(v: MinTlsVersion): void {
    if (v === this.#minVersion) return;
    this.#minVersion = v;
    // the same material under a new version number: contexts and connectors are built again
    const m = this.#material;
    if (m !== undefined) this.#swap(m);
  }

  start(): void {
    this.#source.start((m) => this.#swap(m));
    this.#timer = setInterval(() => this.#checkExpiry(), 10_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#source.stop();
  }

  context(service: string): tls.SecureContext {
    const c = this.#contexts.get(service);
    if (!c) throw new Error(`no mesh certificate for ${service}`);
    return c;
  }

  /** https.Server options for a mesh listener serving `services` (the first is the default). */
  serverOptions(services: readonly string[]): https.ServerOptions {
    const first = services[0]!;
    const leaf = this.#material!.leaves.get(first)!;
    return {
      cert: leaf.certPem, key: leaf.keyPem, ca: [...this.#material!.rootsPem],
      requestCert: true, rejectUnauthorized: true, minVersion: tlsVersion(this.#minVersion),
      SNICallback: (name, cb) => cb(null, this.#contexts.get(name) ?? this.#contexts.get(first)),
    };
  }

  /** Keeps a server's default context current across rotations. */
  attachServer(server: tls.Server, defaultService: string): void {
    this.#servers.push({ server, service: defaultService });
  }

  /**
   * An undici connector presenting `identity` and accepting only a server whose certificate is
   * `target`'s SPIFFE identity in a trusted domain (there are no DNS SANs to check).
   */
  connector(identity: string, target: string, timeoutMs: number): buildConnector.connector {
    let builtFor = -1;
    let built: buildConnector.connector | undefined;
    return (opts, callback) => {
      const m = this.#material;
      if (m === undefined) {
        callback(Object.assign(new Error('no mesh certificate yet'), { code: 'ECONNREFUSED' }), null);
        return;
      }
      if (builtFor !== m.version || built === undefined) {
        built = buildConnector({
          secureContext: this.context(identity), servername: target, minVersion: tlsVersion(this.#minVersion),
          rejectUnauthorized: true, timeout: timeoutMs, maxCachedSessions: 0,
          checkServerIdentity: meshServerCheck(m.trustDomains, target),
        } as buildConnector.BuildOptions);
        builtFor = m.version;
      }
      return built(opts, callback);
    };
  }

  #swap(next: Omit<TlsMaterial, 'version'>): void {
    const m: TlsMaterial = { ...next, version: ++this.#version };
    const contexts = new Map<string, tls.SecureContext>();
    for (const [service, leaf] of m.leaves) contexts.set(service, secureContextFor(m, leaf, this.#minVersion));
    this.#material = m;
    this.#contexts = contexts;
    for (const { server, service } of this.#servers) {
      const leaf = m.leaves.get(service);
      if (leaf) server.setSecureContext({ cert: leaf.certPem, key: leaf.keyPem, ca: [...m.rootsPem], minVersion: tlsVersion(this.#minVersion) });
    }
    this.#log.info({ version: m.version, trust_domains: [...m.trustDomains], identities: [...m.leaves.keys()], roots: m.rootsPem.length }, 'mesh certificates updated');
    this.#checkExpiry();
    this.onMaterial?.(m);
    this.#resolveReady();
  }

  #checkExpiry(): void {
    const m = this.#material;
    if (!m) return;
    const now = Date.now();
    for (const leaf of m.leaves.values()) {
      const left = leaf.validToMs - now;
      this.#expiry?.labels(leaf.service).set(Math.round(left / 1000));
      if (left < (leaf.validToMs - leaf.validFromMs) * 0.1) {
        this.#log.warn({ identity: leaf.service, expires_in_s: Math.round(left / 1000) }, 'mesh certificate close to expiry and not renewed');
      }
    }
  }
}
