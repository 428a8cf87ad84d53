// Kong's rate-limit headers: X-RateLimit-Limit-<Period> and X-RateLimit-Remaining-<Period> for
// every configured period, and RateLimit-Limit / -Remaining / -Reset for the most restrictive
// window (fewest requests left; on a tie the longer window). Retry-After on a refusal is that
// window's reset.
import type { CounterRequest, CounterResult, HitPlan } from './counters.js';
import { used } from './counters.js';
import { PERIOD_TITLE, resetSeconds, type Period } from './windows.js';

export const RATELIMIT_LIMIT = 'RateLimit-Limit';
export const RATELIMIT_REMAINING = 'RateLimit-Remaining';
export const RATELIMIT_RESET = 'RateLimit-Reset';
export const RETRY_AFTER = 'Retry-After';

export interface PeriodHeaderNames {
  readonly limit: string;
  readonly remaining: string;
}

/** Header names per configured period, computed once per instance. */
export function periodHeaderNames(periods: readonly Period[]): readonly PeriodHeaderNames[] {
  return periods.map((p) => Object.freeze({ limit: `X-RateLimit-Limit-${PERIOD_TITLE[p]}`, remaining: `X-RateLimit-Remaining-${PERIOD_TITLE[p]}` }));
}

/** Requests left in period i after this request (refused requests are not counted). */
export function remaining(req: CounterRequest, res: CounterResult, i: number): number {
  return Math.max(0, Math.floor(req.limits[i]! - used(req, res, i)));
}

export interface RateLimitHeaders {
  /** [name, value] pairs for the client answer */
  readonly headers: readonly (readonly [string, string])[];
  /** seconds until the most restrictive window resets (Retry-After on a refusal) */
  readonly resetS: number;
}

/** The index of the most restrictive period: fewest left, then the longer window. */
export function mostRestrictive(plan: HitPlan, res: CounterResult): number {
  let best = 0;
  let bestLeft = Infinity;
  for (let i = 0; i < plan.windows.length; i++) {
    const left = remaining(plan.request, res, i);
    // windows are shortest first, so `<=` prefers the longer window on a tie
    if (left <= bestLeft) { best = i; bestLeft = left; }
  }
  return best;
}

export function rateLimitHeaders(names: readonly PeriodHeaderNames[], plan: HitPlan, res: CounterResult, nowMs: number): RateLimitHeaders {
  const req = plan.request;
  const headers: (readonly [string, string])[] = [];
  for (let i = 0; i < names.length; i++) {
    headers.push([names[i]!.limit, String(req.limits[i])], [names[i]!.remaining, String(remaining(req, res, i))]);
  }
  const m = mostRestrictive(plan, res);
  const resetS = resetSeconds(plan.windows[m]!, nowMs);
  headers.push([RATELIMIT_LIMIT, String(req.limits[m])], [RATELIMIT_REMAINING, String(remaining(req, res, m))], [RATELIMIT_RESET, String(resetS)]);
  return { headers, resetS };
}
