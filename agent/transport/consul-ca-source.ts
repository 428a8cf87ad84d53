// TLS material from Consul's Connect CA: one blocking watch on the roots and one per identity's
// leaf (a leaf nobody blocks on is served stale from Consul's cache after a rotation).
import type { Logger } from 'pino';
import { BlockingWatcher } from '../discovery/blocking-watcher.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { CONNECT_PATHS, type CaRoots, type LeafCert } from './consul-connect-api.js';
import type { TlsSource } from './mesh-tls.js';
import { leafFromPem, type Leaf, type TlsMaterial } from './tls-material.js';

/**
 * Roots (and their trust domain) that Consul stops listing stay trusted this long: agents get
 * their new leaves at different moments (a CA replaced outright, a dev agent restarted), and for
 * that window peers still present leaves from the old CA.
 */
export const RETIRED_ROOT_GRACE_MS = 30_000;

interface Retired { readonly pem: string; readonly trustDomain: string; readonly until: number }

export class ConsulCaSource implements TlsSource {
  #retired: Retired[] = [];
  #retireTimer: NodeJS.Timeout | undefined;
  readonly #client: ConsulClient;
  readonly #identities: readonly string[];
  readonly #log: Logger;
  readonly #watchers: BlockingWatcher[] = [];
  #roots: CaRoots | undefined;
  readonly #leaves = new Map<string, Leaf>();

  constructor(client: ConsulClient, identities: readonly string[], log: Logger) {
    this.#client = client;
    this.#identities = [...new Set(identities)];
    this.#log = log;
  }

  start(onMaterial: (m: Omit<TlsMaterial, 'version'>) => void): void {
    const emit = () => {
      const roots = this.#roots;
      if (!roots || this.#leaves.size !== this.#identities.length) return;
      const now = Date.now();
      this.#retired = this.#retired.filter((r) => r.until > now);
      const current = roots.Roots.flatMap((r) => [r.RootCert, ...(r.IntermediateCerts ?? [])]);
      const rootsPem = [...current, ...this.#retired.map((r) => r.pem).filter((p) => !current.includes(p))];
      const trustDomains = new Set([roots.TrustDomain.toLowerCase(), ...this.#retired.map((r) => r.trustDomain)]);
      onMaterial({ rootsPem, trustDomains, leaves: new Map(this.#leaves) });
    };
    const retire = (previous: CaRoots | undefined, next: CaRoots) => {
      if (!previous) return;
      const keep = new Set(next.Roots.flatMap((r) => [r.RootCert, ...(r.IntermediateCerts ?? [])]));
      const until = Date.now() + RETIRED_ROOT_GRACE_MS;
      for (const pem of previous.Roots.flatMap((r) => [r.RootCert, ...(r.IntermediateCerts ?? [])])) {
        if (!keep.has(pem)) this.#retired.push({ pem, trustDomain: previous.TrustDomain.toLowerCase(), until });
      }
      if (this.#retired.length) {
        clearTimeout(this.#retireTimer);
        // drop them from the TLS contexts once the grace is over
        this.#retireTimer = setTimeout(emit, RETIRED_ROOT_GRACE_MS + 100);
        this.#retireTimer.unref();
      }
    };
    const onError = (what: string) => (err: unknown, attempt: number) => {
      if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ watch: what, attempt, err: (err as Error).message }, 'consul CA watch failed; keeping current certificates');
    };
    this.#watchers.push(new BlockingWatcher(this.#client, {
      name: 'ca/roots', path: CONNECT_PATHS.roots, onError: onError('ca/roots'),
      onChange: (body) => { const next = body as CaRoots; retire(this.#roots, next); this.#roots = next; emit(); },
    }));
    for (const identity of this.#identities) {
      this.#watchers.push(new BlockingWatcher(this.#client, {
        name: `ca/leaf/${identity}`, path: CONNECT_PATHS.leaf(identity), onError: onError(`ca/leaf/${identity}`),
        onChange: (body) => {
          const leaf = body as LeafCert;
          try {
            this.#leaves.set(identity, leafFromPem(identity, leaf.CertPEM, leaf.PrivateKeyPEM, leaf.ServiceURI));
            emit();
          } catch (err) {
            this.#log.error({ identity, err: (err as Error).message }, 'consul returned an unusable leaf certificate');
          }
        },
      }));
    }
    for (const w of this.#watchers) w.start();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#retireTimer);
    await Promise.all(this.#watchers.map((w) => w.stop()));
  }
}
