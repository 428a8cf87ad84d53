// TLS material from files on disk (mesh.tls: {cert, key, ca}), reloaded when they change. The
// certificate's SPIFFE URI names the identity and the trust domain; it serves every identity
// this agent needs.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { parseServiceIdentity } from '../../proto/spiffe.js';
import type { TlsSource } from './mesh-tls.js';
import { leafFromPem, type Leaf, type TlsMaterial } from './tls-material.js';

export interface StaticPkiFiles { readonly cert: string; readonly key: string; readonly ca: string }

export function readStaticMaterial(files: StaticPkiFiles, identities: readonly string[]): Omit<TlsMaterial, 'version'> {
  const certPem = readFileSync(files.cert, 'utf8');
  const keyPem = readFileSync(files.key, 'utf8');
  const caPem = readFileSync(files.ca, 'utf8');
  const probe = leafFromPem('static', certPem, keyPem);
  const id = parseServiceIdentity(probe.uri);
  if (!id) throw new Error(`${files.cert}: certificate has no SPIFFE service URI SAN`);
  const leaves = new Map<string, Leaf>();
  for (const name of new Set([...identities, id.service])) leaves.set(name, { ...probe, service: name });
  const rootsPem = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (rootsPem.length === 0) throw new Error(`${files.ca}: no certificate found`);
  return { rootsPem, trustDomains: new Set([id.trustDomain]), leaves };
}

export class StaticPkiSource implements TlsSource {
  readonly #files: StaticPkiFiles;
  readonly #identities: readonly string[];
  readonly #log: Logger;

  constructor(files: StaticPkiFiles, identities: readonly string[], log: Logger) {
    this.#files = files;
    this.#identities = identities;
    this.#log = log;
  }

  start(onMaterial: (m: Omit<TlsMaterial, 'version'>) => void): void {
    const load = () => {
      try {
        onMaterial(readStaticMaterial(this.#files, this.#identities));
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'mesh certificate files unusable; keeping the current ones');
      }
    };
    load();
    for (const f of Object.values(this.#files)) watchFile(f, { interval: 1000 }, (cur, prev) => { if (cur.mtimeMs !== prev.mtimeMs) load(); });
  }

  async stop(): Promise<void> {
    for (const f of Object.values(this.#files)) unwatchFile(f);
  }
}
