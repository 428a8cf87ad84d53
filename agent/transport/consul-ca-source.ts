// TLS material from Consul's Connect CA: one blocking watch on the roots and one per identity's
// leaf (a leaf nobody blocks on is served stale from Consul's cache after a rotation).
import type { Logger } from 'pino';
import { BlockingWatcher } from '../discovery/blocking-watcher.js';
import type { ConsulClient } from '../discovery/consul-client.js';
import { CONNECT_PATHS, type CaRoots, type LeafCert } from './consul-connect-api.js';
import type { TlsSource } from './mesh-tls.js';
import { leafFromPem, type Leaf, type TlsMaterial } from './tls-material.js';

export class ConsulCaSource implements TlsSource {
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
      const rootsPem = roots.Roots.flatMap((r) => [r.RootCert, ...(r.IntermediateCerts ?? [])]);
      onMaterial({ rootsPem, trustDomains: new Set([roots.TrustDomain.toLowerCase()]), leaves: new Map(this.#leaves) });
    };
    const onError = (what: string) => (err: unknown, attempt: number) => {
      if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ watch: what, attempt, err: (err as Error).message }, 'consul CA watch failed; keeping current certificates');
    };
    this.#watchers.push(new BlockingWatcher(this.#client, {
      name: 'ca/roots', path: CONNECT_PATHS.roots, onError: onError('ca/roots'),
      onChange: (body) => { this.#roots = body as CaRoots; emit(); },
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
    await Promise.all(this.#watchers.map((w) => w.stop()));
  }
}
