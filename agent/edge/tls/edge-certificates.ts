// The TLS listener's certificates at run time: one SecureContext per certificate, chosen by SNI
// (SniIndex), swapped whole when the config reloads or a certificate file changes. A set that fails
// its checks is logged and counted, and the running one keeps serving; open connections never
// notice a swap, new handshakes get the new set.
import { randomBytes } from 'node:crypto';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import tls, { type SecureContext, type SecureContextOptions } from 'node:tls';
import type https from 'node:https';
import type { Logger } from 'pino';
import type { EdgeTls, KongDeclarative } from '../../../proto/config-schema.js';
import { ConfigError } from '../../config/config-error.js';
import type { Metrics } from '../../observe/metrics.js';
import { collectCertificates, type CertificateSource } from './certificate-sources.js';
import { SniIndex } from './sni-index.js';

/**
 * TLS 1.2 suites: Mozilla's "intermediate" list (forward secrecy, AEAD only). TLS 1.3 suites are
 * OpenSSL's defaults, all modern.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const CONTEXT_OPTIONS: SecureContextOptions = { minVersion: 'TLSv1.2', ciphers: TLS12_CIPHERS, ecdhCurve: 'X25519:P-256:P-384' };

/** session ticket keys are replaced this often: a stolen key decrypts at most this much traffic */
const TICKET_ROTATION_MS = 60 * 60 * 1000;

interface CertificateSet {
  readonly sources: readonly CertificateSource[];
  readonly index: SniIndex<SecureContext>;
  readonly defaultSource: CertificateSource;
}

export interface CertificateConfig {
  readonly kong: KongDeclarative;
  readonly tls: EdgeTls | undefined;
  /** where the decK document sits in the YAML, for error paths */
  readonly kongPrefix: readonly (string | number)[];
}

/** Whether a config has any certificate (and so wants a TLS listener). */
export function hasCertificates(c: Pick<CertificateConfig, 'kong' | 'tls'>): boolean {
  return (c.kong.certificates?.length ?? 0) > 0 || (c.tls?.certificates?.length ?? 0) > 0;
}

function buildSet(config: CertificateConfig, file: string): CertificateSet {
  const { sources, issues } = collectCertificates(config.kong, config.tls, config.kongPrefix);
  if (issues.length) throw new ConfigError(file, issues);
  if (sources.length === 0) throw new ConfigError(file, [{ path: formatRoot(config), message: 'a TLS listener needs at least one certificate' }]);
  const contexts = sources.map((s) => tls.createSecureContext({ ...CONTEXT_OPTIONS, cert: [...s.certs], key: [...s.keys] }));
  const entries: [string, SecureContext][] = [];
  sources.forEach((s, i) => { for (const n of s.snis) entries.push([n, contexts[i]!]); });
  const star = sources.findIndex((s) => s.snis.includes('*'));
  return { sources, index: new SniIndex(entries, contexts[0]!), defaultSource: sources[star < 0 ? 0 : star]! };
}

function formatRoot(c: CertificateConfig): string {
  return c.kongPrefix.length ? 'edge.tls' : 'certificates';
}

export class EdgeCertificates {
  #set: CertificateSet;
  #config: CertificateConfig;
  readonly #file: string;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #servers = new Set<https.Server>();
  #watched: string[] = [];
  readonly #onFileChange = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.#reloadFiles();
  };
  readonly #ticketTimer: NodeJS.Timeout;
  readonly #expiryTimer: NodeJS.Timeout;

  /** Throws ConfigError when the certificates are not usable. */
  constructor(config: CertificateConfig, file: string, log: Logger, metrics: Metrics) {
    this.#file = file;
    this.#log = log;
    this.#metrics = metrics;
    this.#config = config;
    this.#set = buildSet(config, file);
    this.#watch();
    this.#reportExpiry();
    this.#ticketTimer = setInterval(() => { for (const s of this.#servers) s.setTicketKeys(randomBytes(48)); }, TICKET_ROTATION_MS).unref();
    this.#expiryTimer = setInterval(() => this.#reportExpiry(), 60_000).unref();
  }

  /** Options for https.createServer: the default certificate plus SNI selection; ALPN selects h2 while `h2()` says so, else http/1.1. */
  serverOptions(h2: () => boolean): https.ServerOptions {
    const d = this.#set.defaultSource;
    return {
      ...CONTEXT_OPTIONS, cert: [...d.certs], key: [...d.keys],
      // asked on every handshake: a reload of edge.http2.enabled reaches the next one
      ALPNCallback: ({ protocols }) => (h2() && protocols.includes('h2') ? 'h2' : protocols.includes('http/1.1') ? 'http/1.1' : undefined),
      SNICallback: (name, cb) => cb(null, this.#set.index.lookup(name)),
    };
  }

  /** Called with the listener's server: default certificate swaps and ticket rotation reach it. */
  attach(server: https.Server): void {
    this.#servers.add(server);
    server.setTicketKeys(randomBytes(48));
  }

  get sources(): readonly CertificateSource[] { return this.#set.sources; }

  /** A reloaded config: throws ConfigError (and changes nothing) when its certificates are bad. */
  prepare(config: CertificateConfig): () => void {
    const next = buildSet(config, this.#file);
    return () => { this.#config = config; this.#swap(next); this.#watch(); };
  }

  stop(): void {
    clearInterval(this.#ticketTimer);
    clearInterval(this.#expiryTimer);
    for (const f of this.#watched) unwatchFile(f, this.#onFileChange);
    this.#watched = [];
  }

  #swap(next: CertificateSet): void {
    const before = this.#set;
    this.#set = next;
    if (before.defaultSource !== next.defaultSource) {
      const d = next.defaultSource;
      for (const s of this.#servers) s.setSecureContext({ ...CONTEXT_OPTIONS, cert: [...d.certs], key: [...d.keys] });
    }
    for (const s of before.sources) this.#metrics.edgeCertificateExpiry.remove(s.name);
    this.#reportExpiry();
  }

  #reloadFiles(): void {
    try {
      this.#swap(buildSet(this.#config, this.#file));
      this.#log.info({ certificates: this.#set.sources.map((s) => s.name) }, 'edge certificates reloaded');
    } catch (err) {
      this.#metrics.edgeCertificateReloadFailures.inc();
      this.#log.error({ err: err instanceof ConfigError ? err.message : String(err) }, 'edge certificate reload rejected; the running certificates keep serving');
    }
  }

  /** polling, like the config file: works on every filesystem and with tools that replace files */
  #watch(): void {
    const files = [...new Set(this.#set.sources.flatMap((s) => s.files).concat(this.#config.tls?.certificates?.flatMap((c) => [c.cert_file, c.key_file]) ?? []))];
    for (const f of this.#watched) if (!files.includes(f)) unwatchFile(f, this.#onFileChange);
    for (const f of files) if (!this.#watched.includes(f)) watchFile(f, { interval: 1000 }, this.#onFileChange);
    this.#watched = files;
  }

  #reportExpiry(): void {
    const now = Date.now();
    for (const s of this.#set.sources) this.#metrics.edgeCertificateExpiry.labels(s.name).set(Math.round((s.notAfterMs - now) / 1000));
  }
}
