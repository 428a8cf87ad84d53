// Kong's checks of an upstream's hash fields (kong/db/schema/entities/upstreams.lua entity_checks),
// plus meshgate's: hash fields act only for algorithm consistent-hashing, so on another algorithm
// they are refused rather than accepted and ignored.
import type { KongUpstream } from '../../proto/config-schema.js';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';

type Upstream = KongUpstream & Record<string, unknown>;

/** hash kinds that name what they read, and the field holding that name (hash_on_… / hash_fallback_…) */
const NAMED = { header: 'header', query_arg: 'query_arg', uri_capture: 'uri_capture' } as const;

const HASH_FIELDS = [
  'hash_on', 'hash_fallback', 'hash_on_header', 'hash_fallback_header', 'hash_on_cookie', 'hash_on_cookie_path',
  'hash_on_query_arg', 'hash_fallback_query_arg', 'hash_on_uri_capture', 'hash_fallback_uri_capture',
] as const;

const DEFAULTS: Readonly<Record<string, unknown>> = { hash_on: 'none', hash_fallback: 'none', hash_on_cookie_path: '/' };

export function upstreamHashRules(u: KongUpstream, at: (string | number)[], issues: ConfigIssue[]): void {
  const up = u as Upstream;
  const push = (field: string, message: string): void => { issues.push({ path: formatPath([...at, field]), message }); };
  if (u.algorithm !== 'consistent-hashing') {
    for (const f of HASH_FIELDS) {
      if (up[f] === undefined || up[f] === DEFAULTS[f]) continue; // Kong's defaults are what every algorithm does
      push(f, `not supported with algorithm ${u.algorithm ?? 'round-robin'}: hash fields act only with algorithm consistent-hashing; set it or remove the field`);
    }
    return;
  }
  const on = u.hash_on ?? 'none';
  const fallback = u.hash_fallback ?? 'none';
  for (const [role, kind] of [['on', on], ['fallback', fallback]] as const) {
    const named = NAMED[kind as keyof typeof NAMED];
    if (named !== undefined && up[`hash_${role}_${named}`] === undefined) push(`hash_${role}_${named}`, `is required when hash_${role === 'on' ? 'on' : 'fallback'} is ${kind}`);
    if (kind === 'cookie' && u.hash_on_cookie === undefined) push('hash_on_cookie', `is required when hash_${role === 'on' ? 'on' : 'fallback'} is cookie`);
  }
  if (fallback === 'none') return;
  if (on === 'none') return push('hash_fallback', 'must be none when hash_on is none');
  if (on === 'cookie') return push('hash_fallback', 'must be none when hash_on is cookie (the cookie is created when absent, so there is nothing to fall back from)');
  if (on === fallback) {
    const named = NAMED[on as keyof typeof NAMED];
    if (named === undefined) return push('hash_fallback', `must differ from hash_on (${on})`);
    const a = up[`hash_on_${named}`];
    const b = up[`hash_fallback_${named}`];
    if (a !== undefined && b !== undefined && (named === 'header' ? String(a).toLowerCase() === String(b).toLowerCase() : a === b)) {
      push(`hash_fallback_${named}`, `must differ from hash_on_${named}`);
    }
  }
}
