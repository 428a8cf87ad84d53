// Consul's two wire shapes for intentions, normalised into one rule list (pure, no I/O):
//   - GET /v1/connect/intentions (every version): one object per (source → destination) with
//     Action, or (1.9+) Permissions for L7 intentions;
//   - GET /v1/config/service-intentions (1.9+): one entry per destination with Sources[].
// A malformed item is reported and skipped; the rest still applies.

export type IntentionAction = 'allow' | 'deny';

export interface HeaderPermission {
  readonly name: string;
  readonly present?: boolean;
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly regex?: string;
  readonly invert?: boolean;
}

export interface HttpPermission {
  readonly pathExact?: string;
  readonly pathPrefix?: string;
  readonly pathRegex?: string;
  readonly methods?: readonly string[];
  readonly headers?: readonly HeaderPermission[];
}

export interface Permission {
  readonly action: IntentionAction;
  readonly http: HttpPermission;
}

export interface IntentionRule {
  readonly source: string;
  readonly destination: string;
  /** L4 action; absent when the intention is L7 (permissions) */
  readonly action?: IntentionAction;
  readonly permissions?: readonly Permission[];
}

export interface ParsedRules {
  readonly rules: readonly IntentionRule[];
  readonly problems: readonly string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function action(v: unknown): IntentionAction | undefined {
  const a = str(v)?.toLowerCase();
  return a === 'allow' || a === 'deny' ? a : undefined;
}

function parseHeader(h: unknown): HeaderPermission | undefined {
  if (!isObject(h) || typeof h.Name !== 'string' || h.Name === '') return undefined;
  const out: { -readonly [K in keyof HeaderPermission]: HeaderPermission[K] } = { name: h.Name.toLowerCase() };
  if (h.Present === true) out.present = true;
  for (const [k, key] of [['Exact', 'exact'], ['Prefix', 'prefix'], ['Suffix', 'suffix'], ['Regex', 'regex']] as const) {
    const v = str(h[k]);
    if (v !== undefined && v !== '') out[key] = v;
  }
  if (h.Invert === true) out.invert = true;
  return out;
}

function parsePermission(p: unknown): Permission | string {
  if (!isObject(p)) return 'permission is not an object';
  const a = action(p.Action);
  if (a === undefined) return `permission Action ${JSON.stringify(p.Action)} is not allow or deny`;
  const h = isObject(p.HTTP) ? p.HTTP : {};
  const http: { -readonly [K in keyof HttpPermission]: HttpPermission[K] } = {};
  if (str(h.PathExact)) http.pathExact = h.PathExact as string;
  if (str(h.PathPrefix)) http.pathPrefix = h.PathPrefix as string;
  if (str(h.PathRegex)) http.pathRegex = h.PathRegex as string;
  if (Array.isArray(h.Methods) && h.Methods.length > 0) http.methods = h.Methods.filter((m): m is string => typeof m === 'string').map((m) => m.toUpperCase());
  if (Array.isArray(h.Header) && h.Header.length > 0) {
    const headers = h.Header.map(parseHeader);
    if (headers.some((x) => x === undefined)) return 'permission header without a Name';
    http.headers = headers as HeaderPermission[];
  }
  return { action: a, http };
}

function parseRule(source: unknown, destination: unknown, act: unknown, perms: unknown, where: string, problems: string[]): IntentionRule | undefined {
  const src = str(source);
  const dst = str(destination);
  if (!src || !dst) { problems.push(`${where}: missing source or destination name`); return undefined; }
  if (Array.isArray(perms) && perms.length > 0) {
    const permissions: Permission[] = [];
    for (const p of perms) {
      const parsed = parsePermission(p);
      if (typeof parsed === 'string') { problems.push(`${where} (${src} → ${dst}): ${parsed}`); return undefined; }
      permissions.push(parsed);
    }
    return { source: src, destination: dst, permissions };
  }
  const a = action(act);
  if (a === undefined) { problems.push(`${where} (${src} → ${dst}): Action ${JSON.stringify(act)} is not allow or deny`); return undefined; }
  return { source: src, destination: dst, action: a };
}

/** The body of GET /v1/connect/intentions. */
export function rulesFromIntentionList(body: unknown): ParsedRules {
  const problems: string[] = [];
  const rules: IntentionRule[] = [];
  if (!Array.isArray(body)) return { rules, problems: body === null ? [] : ['intention list is not an array'] };
  body.forEach((it, i) => {
    if (!isObject(it)) { problems.push(`intentions[${i}]: not an object`); return; }
    const r = parseRule(it.SourceName, it.DestinationName, it.Action, it.Permissions, `intentions[${i}]`, problems);
    if (r) rules.push(r);
  });
  return { rules, problems };
}

/** The body of GET /v1/config/service-intentions (Consul 1.9+). */
export function rulesFromServiceIntentions(body: unknown): ParsedRules {
  const problems: string[] = [];
  const rules: IntentionRule[] = [];
  if (!Array.isArray(body)) return { rules, problems: body === null ? [] : ['service-intentions list is not an array'] };
  body.forEach((entry, i) => {
    if (!isObject(entry) || !Array.isArray(entry.Sources)) { problems.push(`service-intentions[${i}]: no Sources`); return; }
    entry.Sources.forEach((s: unknown, j: number) => {
      if (!isObject(s)) { problems.push(`service-intentions[${i}].Sources[${j}]: not an object`); return; }
      // peered and other non-Consul sources cannot be identified by our SPIFFE check: skip them, noted
      if (s.Peer !== undefined && s.Peer !== '') { problems.push(`service-intentions[${i}].Sources[${j}]: peer sources are not supported`); return; }
      const r = parseRule(s.Name, entry.Name, s.Action, s.Permissions, `service-intentions[${i}].Sources[${j}]`, problems);
      if (r) rules.push(r);
    });
  });
  return { rules, problems };
}
