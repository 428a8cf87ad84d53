// What a store is asked for one request (the counter keys of every configured period, their
// limits and expiry) and what it answers. Both stores decide the same way, atomically per
// request: the request is allowed only if every period is under its limit, and only then are
// the counters incremented — a refused request does not count, as in Kong, where the counters
// are incremented only for requests that go through.
import { nextWindow, previousWeight, previousWindow, slidingEstimate, windowAt, type Period, type Window } from './windows.js';

/** Keys outlive their window a little, so agents with slightly skewed clocks agree. */
export const EXPIRY_SLACK_MS = 1000;

/** Kong's EMPTY_UUID, for a plugin not scoped to a route or service */
export const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';

export interface CounterRequest {
  /** the current window's key, per configured period */
  readonly keys: readonly string[];
  /** the previous window's key per period (sliding windows), else null */
  readonly previousKeys: readonly string[] | null;
  readonly limits: readonly number[];
  /** weight of the previous window's count per period (0 for fixed windows) */
  readonly weights: readonly number[];
  /** when the current key may be forgotten (epoch ms) */
  readonly expireAtMs: readonly number[];
}

export interface CounterResult {
  readonly allowed: boolean;
  /** per period: the current window's count, including this request when allowed */
  readonly counts: readonly number[];
  /** per period: the previous window's count (0 for fixed windows) */
  readonly previous: readonly number[];
}

/** A store that may answer at once (local) or later (Redis). */
export interface CounterStore {
  hit(req: CounterRequest, nowMs: number): CounterResult | Promise<CounterResult>;
}

/** Kong's counter key: ratelimit:<route_id>:<service_id>:<identifier>:<period_start>:<period> */
export function counterKey(prefix: string, identifier: string, startMs: number, period: Period): string {
  return `${prefix}${identifier}:${startMs}:${period}`;
}

/** "ratelimit:<route>:<service>:" for the scope of an instance */
export function keyPrefix(route: string | undefined, service: string | undefined): string {
  return `ratelimit:${route ?? EMPTY_UUID}:${service ?? EMPTY_UUID}:`;
}

export interface HitPlan {
  readonly request: CounterRequest;
  readonly windows: readonly Window[];
}

interface MemoEntry {
  readonly starts: number[];
  readonly keys: string[];
}

/**
 * The counter keys an instance built last, per identifier and period: a repeat in the same window
 * gets the same string back, so the counter lookup does not hash a fresh 80-character key each
 * time. Bounded (cleared when full); one per limiter instance, so the prefix is fixed.
 */
export class CounterKeyMemo {
  readonly #entries = new Map<string, MemoEntry>();
  constructor(readonly maxEntries = 4096) {}

  get size(): number { return this.#entries.size; }

  key(prefix: string, identifier: string, i: number, startMs: number, period: Period): string {
    let e = this.#entries.get(identifier);
    if (e === undefined) {
      if (this.#entries.size >= this.maxEntries) this.#entries.clear();
      e = { starts: [], keys: [] };
      this.#entries.set(identifier, e);
    }
    if (e.starts[i] !== startMs) {
      e.starts[i] = startMs;
      e.keys[i] = counterKey(prefix, identifier, startMs, period);
    }
    return e.keys[i]!;
  }
}

/** The counter request for one request by `identifier` at nowMs. */
export function planHit(
  limits: readonly { readonly period: Period; readonly limit: number }[],
  prefix: string, identifier: string, nowMs: number, sliding: boolean, memo?: CounterKeyMemo,
): HitPlan {
  const n = limits.length;
  const windows: Window[] = new Array(n);
  const keys: string[] = new Array(n);
  const lims: number[] = new Array(n);
  const weights: number[] = new Array(n);
  const expireAtMs: number[] = new Array(n);
  const previousKeys: string[] | null = sliding ? new Array(n) : null;
  for (let i = 0; i < n; i++) {
    const { period, limit } = limits[i]!;
    const w = windowAt(period, nowMs);
    windows[i] = w;
    keys[i] = memo !== undefined ? memo.key(prefix, identifier, i, w.startMs, period) : counterKey(prefix, identifier, w.startMs, period);
    lims[i] = limit;
    if (previousKeys !== null) {
      previousKeys[i] = counterKey(prefix, identifier, previousWindow(w).startMs, period);
      weights[i] = previousWeight(w, nowMs);
      // still read as "previous" during the next window
      expireAtMs[i] = nextWindow(w).endMs + EXPIRY_SLACK_MS;
    } else {
      weights[i] = 0;
      expireAtMs[i] = w.endMs + EXPIRY_SLACK_MS;
    }
  }
  return { request: { keys, previousKeys, limits: lims, weights, expireAtMs }, windows };
}

/** Requests used in period i's window (a sliding estimate when weights are set). */
export function used(req: CounterRequest, res: CounterResult, i: number): number {
  return slidingEstimate(res.counts[i]!, res.previous[i]!, req.weights[i]!);
}

/** The same limits divided among `clusterSize` agents (at least 1 each). */
export function scaleLimits(req: CounterRequest, clusterSize: number): CounterRequest {
  const n = Number.isFinite(clusterSize) && clusterSize > 1 ? Math.floor(clusterSize) : 1;
  if (n === 1) return req;
  return { ...req, limits: req.limits.map((l) => Math.max(1, Math.floor(l / n))) };
}
