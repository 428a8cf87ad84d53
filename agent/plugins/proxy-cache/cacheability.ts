// Whether a response may be stored, and for how long it is fresh (RFC 9111 §3, §4.2.1, RFC 5861).
// Always (beyond Kong, whatever cache_control says): listed statuses and content types only; never
// a response with Set-Cookie, Cache-Control private or no-store, Vary: *, nor a 206; a response to
// a request with Authorization only when it says public, s-maxage or must-revalidate (§3.5).
// With cache_control (Kong): response no-cache is not stored (we do not revalidate), and the
// lifetime comes from s-maxage, max-age, Expires − Date, else cache_ttl; stale-while-revalidate
// and stale-if-error extend how long an entry is kept. Without it (Kong): cache_ttl, nothing else.
import { ageSeconds, deltaSeconds, parseCacheControl } from './cache-control.js';
import type { CacheSettings } from './config.js';
import { contentTypeAllowed } from './content-type.js';
import { parseVary } from './key.js';

export interface HeaderView {
  get(name: string): string | undefined;
  getAll(name: string): string[];
}

export type NotStoredReason =
  | 'status' | 'partial' | 'content-type' | 'set-cookie' | 'vary-star' | 'no-store' | 'private'
  | 'authorization' | 'no-cache' | 'expired';

export interface StorePlan {
  /** the upstream's Vary: request headers that pick the variant */
  readonly vary: readonly string[];
  readonly freshForS: number;
  readonly initialAgeS: number;
  readonly staleWhileRevalidateS: number;
  readonly staleIfErrorS: number;
  readonly mustRevalidate: boolean;
  readonly sharedWithAuth: boolean;
  /** how long the store keeps it (storage_ttl, or fresh + stale windows) */
  readonly storageTtlS: number;
}

export type StoreDecision =
  | { readonly store: true; readonly plan: StorePlan }
  | { readonly store: false; readonly reason: NotStoredReason };

const refuse = (reason: NotStoredReason): StoreDecision => ({ store: false, reason });

function httpDateMs(v: string | undefined): number | null {
  if (v === undefined) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

/** RFC 9111 §4.2.1, for a shared cache; a malformed max-age or Expires means already stale. */
function lifetimeS(cc: ReturnType<typeof parseCacheControl>, headers: HeaderView, fallbackS: number, nowMs: number): number {
  const sMaxAge = deltaSeconds(cc, 's-maxage');
  if (sMaxAge !== undefined) return sMaxAge ?? 0;
  const maxAge = deltaSeconds(cc, 'max-age');
  if (maxAge !== undefined) return maxAge ?? 0;
  const expires = headers.get('expires');
  if (expires !== undefined) {
    const at = httpDateMs(expires);
    if (at === null) return 0;
    return Math.max(0, Math.floor((at - (httpDateMs(headers.get('date')) ?? nowMs)) / 1000));
  }
  return fallbackS;
}

export function decideStore(s: CacheSettings, status: number, headers: HeaderView, requestHasAuth: boolean, nowMs: number): StoreDecision {
  if (!s.responseCodes.has(status)) return refuse('status');
  if (status === 206) return refuse('partial');
  if (!contentTypeAllowed(s.contentTypes, headers.get('content-type'))) return refuse('content-type');
  if (headers.get('set-cookie') !== undefined) return refuse('set-cookie');
  const vary = parseVary(headers.getAll('vary'));
  if (vary === '*') return refuse('vary-star');
  const cc = parseCacheControl(headers.getAll('cache-control'));
  if (cc.has('no-store')) return refuse('no-store');
  if (cc.has('private')) return refuse('private');
  const sharedWithAuth = cc.has('public') || cc.has('s-maxage') || cc.has('must-revalidate');
  if (requestHasAuth && !sharedWithAuth) return refuse('authorization');

  if (!s.cacheControl) {
    const ttl = s.storageTtlS || s.cacheTtlS;
    return {
      store: true,
      plan: { vary, freshForS: s.cacheTtlS, initialAgeS: 0, staleWhileRevalidateS: 0, staleIfErrorS: 0, mustRevalidate: false, sharedWithAuth, storageTtlS: ttl },
    };
  }
  if (cc.has('no-cache')) return refuse('no-cache');
  const freshForS = lifetimeS(cc, headers, s.cacheTtlS, nowMs);
  const initialAgeS = ageSeconds(headers.get('age'));
  // s-maxage carries proxy-revalidate's meaning for a shared cache (RFC 9111 §5.2.2.10)
  const mustRevalidate = cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage');
  const swr = mustRevalidate ? 0 : (deltaSeconds(cc, 'stale-while-revalidate') ?? 0);
  const sie = mustRevalidate ? 0 : (deltaSeconds(cc, 'stale-if-error') ?? 0);
  const keepS = Math.max(0, freshForS - initialAgeS) + Math.max(swr, sie);
  if (keepS <= 0) return refuse('expired');
  return {
    store: true,
    plan: {
      vary, freshForS, initialAgeS, staleWhileRevalidateS: swr, staleIfErrorS: sie, mustRevalidate, sharedWithAuth,
      // storage_ttl 0 is taken as unset, as Kong's "no value"
      storageTtlS: s.storageTtlS || keepS,
    },
  };
}
