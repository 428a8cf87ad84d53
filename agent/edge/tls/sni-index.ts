// Certificate choice by TLS server name, in Kong's order: exact name, then a prefix wildcard
// ("*.example.com", one label), then a suffix wildcard ("example.*"), then the SNI "*", then the
// default. Built once per certificate set; a lookup is at most three map reads.
export class SniIndex<T> {
  readonly #names = new Map<string, T>();
  readonly #fallback: T;

  /** `entries`: [sni, value] with lower-case names; `fallback` answers when nothing matches */
  constructor(entries: Iterable<readonly [string, T]>, fallback: T) {
    for (const [name, value] of entries) if (!this.#names.has(name)) this.#names.set(name, value);
    this.#fallback = this.#names.get('*') ?? fallback;
  }

  lookup(serverName: string | undefined | false): T {
    if (!serverName) return this.#fallback;
    const name = serverName.toLowerCase();
    const exact = this.#names.get(name);
    if (exact !== undefined) return exact;
    const firstDot = name.indexOf('.');
    if (firstDot > 0) {
      const prefix = this.#names.get(`*${name.slice(firstDot)}`);
      if (prefix !== undefined) return prefix;
      const suffix = this.#names.get(`${name.slice(0, name.lastIndexOf('.'))}.*`);
      if (suffix !== undefined) return suffix;
    }
    return this.#fallback;
  }
}

/** The same name patterns for a route's `snis`: does `serverName` match any of them? */
export function sniMatches(patterns: ReadonlySet<string>, serverName: string | undefined): boolean {
  if (!serverName) return false;
  const name = serverName.toLowerCase();
  if (patterns.has(name)) return true;
  const firstDot = name.indexOf('.');
  if (firstDot <= 0) return false;
  return patterns.has(`*${name.slice(firstDot)}`) || patterns.has(`${name.slice(0, name.lastIndexOf('.'))}.*`);
}
