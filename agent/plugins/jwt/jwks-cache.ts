// A remote JWKS (meshgate extension of the jwt plugin), fetched on first use and kept per plugin
// instance. Key rotation: a token whose kid is not in the cached set causes one refetch, but never
// more than one fetch per cooldown, so tokens with made-up kids cannot hammer the identity
// provider. A set older than max age is refreshed in the background while the old one keeps
// serving; a failed fetch keeps the last good set.
import { createLocalJWKSet, errors, type CryptoKey, type JSONWebKeySet, type LocalJWKSet } from 'jose';
import type { Logger } from 'pino';

export interface JwksOptions {
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
  readonly timeoutMs: number;
}

const MAX_JWKS_BYTES = 512 * 1024;

export class JwksCache {
  #set: LocalJWKSet | null = null;
  #fetchedAt = 0;
  #attemptedAt = -Infinity;
  #pending: Promise<boolean> | null = null;

  constructor(readonly uri: string, private readonly opts: JwksOptions, private readonly log: Logger) {}

  /** Keys that may have signed a token with this header (usually one, by kid); [] when none. */
  async keysFor(header: { alg: string; kid?: unknown }): Promise<CryptoKey[]> {
    const first = this.#set === null;
    if (first) await this.#refresh();
    else if (Date.now() - this.#fetchedAt > this.opts.maxAgeMs) void this.#refresh();
    let keys = await this.#lookup(header);
    // an unknown kid: the provider may have rotated its keys since the last fetch
    if (keys.length === 0 && !first && await this.#refresh()) keys = await this.#lookup(header);
    return keys;
  }

  async #lookup(header: { alg: string; kid?: unknown }): Promise<CryptoKey[]> {
    const set = this.#set;
    if (set === null) return [];
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    try {
      return [await set({ alg: header.alg, ...(kid !== undefined ? { kid } : {}) })];
    } catch (err) {
      if (!(err instanceof errors.JWKSMultipleMatchingKeys)) return [];
      // several keys fit (no kid, or a reused kid): each is tried
      const keys: CryptoKey[] = [];
      for await (const k of err as unknown as AsyncIterable<CryptoKey>) keys.push(k);
      return keys;
    }
  }

  /** Fetches unless a fetch started within the cooldown; resolves true when a new set arrived. */
  #refresh(): Promise<boolean> {
    if (this.#pending !== null) return this.#pending;
    const now = Date.now();
    if (now - this.#attemptedAt < this.opts.cooldownMs) return Promise.resolve(false);
    this.#attemptedAt = now;
    this.#pending = this.#fetch().then((set) => {
      this.#set = set;
      this.#fetchedAt = Date.now();
      return true;
    }, (err: unknown) => {
      this.log.warn({ jwks: this.#where(), err: (err as Error).message, keeping: this.#set !== null ? 'last good set' : 'none' }, 'JWKS fetch failed');
      return false;
    }).finally(() => { this.#pending = null; });
    return this.#pending;
  }

  async #fetch(): Promise<LocalJWKSet> {
    const res = await fetch(this.uri, { headers: { accept: 'application/json' }, redirect: 'follow', signal: AbortSignal.timeout(this.opts.timeoutMs) });
    if (res.status !== 200) { void res.body?.cancel(); throw new Error(`HTTP ${res.status}`); }
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_JWKS_BYTES) { void res.body?.cancel(); throw new Error(`JWKS larger than ${MAX_JWKS_BYTES} bytes`); }
    const text = await res.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error(`JWKS larger than ${MAX_JWKS_BYTES} bytes`);
    return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
  }

  /** the URI for logs, without a query string (it may carry an access key) */
  #where(): string {
    const q = this.uri.indexOf('?');
    return q < 0 ? this.uri : this.uri.slice(0, q);
  }
}
