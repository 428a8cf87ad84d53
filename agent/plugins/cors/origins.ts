// The `origins` list of Kong's cors plugin compiled once: exact origins, regexes and "*".
// Kong treats an entry with any character outside [A-Za-z0-9.:/-] as a regex anchored to the
// whole origin; a regex without ":" is matched against the origin's host only.

/** What an allowed origin gets back. */
export interface OriginGrant {
  /** the Access-Control-Allow-Origin value: the normalized request origin, or "*" */
  readonly allowOrigin: string;
  /** whether Access-Control-Allow-Credentials may be sent for this origin */
  readonly credentials: boolean;
}

interface NormalizedOrigin {
  /** scheme://host[:port], default port dropped */
  readonly domain: string;
  readonly host: string;
}

interface OriginRule {
  matches(origin: NormalizedOrigin): boolean;
  /** false for rules that let any site in (they never get credentials) */
  readonly trusted: boolean;
}

const LITERAL = /^[A-Za-z0-9.:/-]+$/;

/**
 * Origins no operator means to trust with cookies: if a regex matches one of these it matches
 * (nearly) anything, and "null" is shared by every sandboxed iframe and file:// page.
 */
const PROBES = ['null', 'https://meshgate-cors-probe.invalid', 'http://meshgate-cors-probe.invalid:8080'].map(normalizeOrigin);

export function normalizeOrigin(origin: string): NormalizedOrigin {
  try {
    const u = new URL(origin);
    if (u.host !== '' && (u.protocol === 'http:' || u.protocol === 'https:')) return { domain: `${u.protocol}//${u.host}`, host: u.hostname };
  } catch { /* not a URL: compared as written */ }
  return { domain: origin, host: origin };
}

export function isRegexOrigin(entry: string): boolean {
  return entry !== '*' && !LITERAL.test(entry);
}

/** The anchored regex of a regex entry (Kong drops a leading ^ and a trailing $). */
export function originRegex(entry: string): RegExp {
  let body = entry.startsWith('^') ? entry.slice(1) : entry;
  if (body.endsWith('$') && !body.endsWith('\\$')) body = body.slice(0, -1);
  return new RegExp(`^(?:${body})$`);
}

function compileRule(entry: string): OriginRule {
  if (!isRegexOrigin(entry)) {
    const want = normalizeOrigin(entry).domain;
    return { matches: (o) => o.domain === want, trusted: want !== 'null' };
  }
  const re = originRegex(entry);
  const byHost = !entry.includes(':');
  const matches = (o: NormalizedOrigin) => re.test(byHost ? o.host : o.domain);
  return { matches, trusted: !PROBES.some(matches) };
}

export class OriginPolicy {
  /** "*" listed, or no list at all: every origin may read non-credentialed answers */
  readonly wildcard: boolean;
  readonly #rules: readonly OriginRule[];
  readonly #credentials: boolean;

  constructor(origins: readonly string[] | null | undefined, credentials: boolean) {
    const list = origins ?? [];
    this.wildcard = list.length === 0 || list.includes('*');
    this.#rules = list.filter((e) => e !== '*').map(compileRule);
    this.#credentials = credentials;
  }

  /** true when `credentials` is configured but some listed origin will never get it */
  get credentialsNarrowed(): boolean {
    return this.#credentials && (this.wildcard || this.#rules.some((r) => !r.trusted));
  }

  /**
   * Kong echoes the request origin with credentials when the list is "*" or empty; that lets
   * any site make credentialed reads. Here explicitly listed origins are checked first and may
   * get credentials; the wildcard answers "*" and never carries credentials.
   */
  match(requestOrigin: string): OriginGrant | null {
    // browsers send the same few origins over and over: remember the decisions (bounded)
    const known = this.#decided.get(requestOrigin);
    if (known !== undefined) return known;
    const grant = this.#decide(requestOrigin);
    if (this.#decided.size >= 1024) this.#decided.clear();
    this.#decided.set(requestOrigin, grant);
    return grant;
  }

  readonly #decided = new Map<string, OriginGrant | null>();

  #decide(requestOrigin: string): OriginGrant | null {
    const origin = normalizeOrigin(requestOrigin);
    for (const rule of this.#rules) {
      if (rule.matches(origin)) return { allowOrigin: origin.domain, credentials: this.#credentials && rule.trusted };
    }
    return this.wildcard ? { allowOrigin: '*', credentials: false } : null;
  }
}
