// Whether a stored response may answer this request (RFC 9111 §4.2, §5.2.1; RFC 5861): its age,
// the request's directives (only with cache_control, as Kong) and the stale extensions.
import { deltaSeconds, parseCacheControl } from './cache-control.js';
import type { StoredResponse } from './store.js';

export interface RequestDirectives {
  readonly noStore: boolean;
  /** no-cache, or Pragma: no-cache without Cache-Control (§5.4) */
  readonly noCache: boolean;
  readonly maxAgeS: number | undefined;
  /** Infinity for a bare max-stale */
  readonly maxStaleS: number | undefined;
  readonly minFreshS: number | undefined;
  readonly onlyIfCached: boolean;
}

export function requestDirectives(cacheControl: string | undefined, pragma: string | undefined): RequestDirectives {
  const cc = parseCacheControl(cacheControl === undefined ? [] : [cacheControl]);
  const pragmaNoCache = cacheControl === undefined && pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(pragma);
  const maxStale = cc.get('max-stale');
  const maxAge = deltaSeconds(cc, 'max-age');
  const minFresh = deltaSeconds(cc, 'min-fresh');
  return {
    noStore: cc.has('no-store'),
    noCache: cc.has('no-cache') || pragmaNoCache,
    // a malformed max-age asks for nothing stale: taken as 0
    maxAgeS: maxAge === null ? 0 : maxAge,
    maxStaleS: maxStale === undefined ? undefined : maxStale === true ? Infinity : (deltaSeconds(cc, 'max-stale') ?? undefined),
    minFreshS: minFresh ?? undefined,
    onlyIfCached: cc.has('only-if-cached'),
  };
}

/** current_age (§4.2.3): the age it had when stored plus the time it has been resident. */
export function currentAgeMs(r: StoredResponse, nowMs: number): number {
  return r.initialAgeS * 1000 + Math.max(0, nowMs - r.storedAtMs);
}

export function ageHeader(r: StoredResponse, nowMs: number): string {
  return String(Math.floor(currentAgeMs(r, nowMs) / 1000));
}

export type Usability =
  /** fresh enough for this request */
  | 'fresh'
  /** stale, but the request accepts that much staleness (max-stale) */
  | 'stale-allowed'
  /** stale within stale-while-revalidate: serve it and refresh in the background */
  | 'stale-while-revalidate'
  /** stale within stale-if-error, and the upstream just failed for it */
  | 'stale-if-error'
  | 'unusable';

/** `req` is null without cache_control: then only the entry's own lifetime counts. */
export function usability(r: StoredResponse, nowMs: number, req: RequestDirectives | null, upstreamFailing: boolean): Usability {
  if (req !== null && req.noCache) return 'unusable';
  const ageMs = currentAgeMs(r, nowMs);
  if (req?.maxAgeS !== undefined && ageMs > req.maxAgeS * 1000) return 'unusable';
  const remainingMs = r.freshForS * 1000 - ageMs;
  if (remainingMs > 0) {
    return req?.minFreshS !== undefined && remainingMs < req.minFreshS * 1000 ? 'unusable' : 'fresh';
  }
  if (r.mustRevalidate) return 'unusable';
  const staleMs = -remainingMs;
  if (req?.maxStaleS !== undefined && staleMs < req.maxStaleS * 1000) return 'stale-allowed';
  if (staleMs < r.staleWhileRevalidateS * 1000) return 'stale-while-revalidate';
  if (upstreamFailing && staleMs < r.staleIfErrorS * 1000) return 'stale-if-error';
  return 'unusable';
}
