// One rate-limiting instance (per route and scope): picks the identifier, asks the store for the
// counters of every configured period, sets Kong's headers and refuses with error_code when a
// limit is reached. Local policy runs synchronously; Redis falls back to local counters (limits
// divided among the live edge agents) when fault_tolerant, or answers 500 when not.
import type { Logger } from 'pino';
import type { RequestContext } from '../context.js';
import type { AccessResult, PluginEnv, PluginInstance, ShortCircuit } from '../plugin.js';
import { kongError } from '../respond.js';
import type { RateLimitSettings, RedisSettings } from './config.js';
import { CounterKeyMemo, keyPrefix, planHit, scaleLimits, type CounterResult, type HitPlan } from './counters.js';
import { periodHeaderNames, rateLimitHeaders, RETRY_AFTER, type PeriodHeaderNames } from './headers.js';
import { identifierFor } from './identifier.js';
import { localCounters, type LocalCounters } from './local-store.js';
import { acquireRedis, type SharedRedis } from './redis-clients.js';

export const RATE_LIMITING_PRIORITY = 910;
const UNEXPECTED = 'An unexpected error occurred';

/** What tests replace: the clock, the local counters, where Redis clients come from. */
export interface LimiterDeps {
  readonly now?: () => number;
  readonly localStore?: LocalCounters;
  readonly acquireRedis?: (s: RedisSettings) => SharedRedis;
}

export class RateLimiter implements PluginInstance {
  readonly name = 'rate-limiting';
  readonly priority = RATE_LIMITING_PRIORITY;
  readonly settings: RateLimitSettings;
  readonly #env: PluginEnv;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #local: LocalCounters;
  readonly #redis: SharedRedis | null;
  readonly #prefix: string;
  readonly #names: readonly PeriodHeaderNames[];
  readonly #keys = new CounterKeyMemo();

  constructor(settings: RateLimitSettings, env: PluginEnv, deps: LimiterDeps = {}) {
    this.settings = settings;
    this.#env = env;
    this.#log = env.log;
    this.#now = deps.now ?? Date.now;
    this.#local = deps.localStore ?? localCounters();
    this.#redis = settings.redis !== null ? (deps.acquireRedis ?? acquireRedis)(settings.redis) : null;
    this.#prefix = keyPrefix(env.scope.route, env.scope.service);
    this.#names = periodHeaderNames(settings.limits.map((l) => l.period));
  }

  access(ctx: RequestContext): AccessResult | Promise<AccessResult> {
    const nowMs = this.#now();
    const plan = planHit(this.settings.limits, this.#prefix, identifierFor(this.settings, ctx), nowMs, this.settings.sliding, this.#keys);
    if (this.#redis === null) {
      const counted = this.#local.hit(plan.request, nowMs);
      // with workers the primary counts (a promise); in one process the answer is at hand
      return counted instanceof Promise ? counted.then((res) => this.#answer(ctx, plan, res, nowMs)) : this.#answer(ctx, plan, counted, nowMs);
    }
    return this.#viaRedis(this.#redis, ctx, plan, nowMs);
  }

  /** The counter keys of this request and what is left in each window (counts nothing). */
  async explain(ctx: RequestContext): Promise<Record<string, unknown>> {
    const nowMs = this.#now();
    const identifier = identifierFor(this.settings, ctx);
    const plan = planHit(this.settings.limits, this.#prefix, identifier, nowMs, this.settings.sliding, this.#keys);
    const windows = await Promise.all(this.settings.limits.map(async (l, i) => {
      const key = plan.request.keys[i]!;
      const count = this.#redis === null && this.#local.count !== undefined ? await this.#local.count(key, nowMs) : null;
      return { period: l.period, limit: plan.request.limits[i], key, ...(count === null ? { remaining: null, note: 'counted in Redis' } : { remaining: Math.max(0, plan.request.limits[i]! - count) }) };
    }));
    const refused = windows.some((w) => w.remaining === 0);
    return { decision: refused ? `refuse ${this.settings.errorCode}` : 'allow', identifier, windows };
  }

  async #viaRedis(redis: SharedRedis, ctx: RequestContext, plan: HitPlan, nowMs: number): Promise<AccessResult> {
    let res: CounterResult;
    try {
      res = await redis.store.hit(plan.request, nowMs);
    } catch (err) {
      const warn = redis.shouldWarn(this.#now());
      if (!this.settings.faultTolerant) {
        if (warn) this.#log.error({ err: String(err) }, 'rate-limiting: Redis failed; refusing requests (fault_tolerant false)');
        return kongError(500, UNEXPECTED);
      }
      const agents = Math.max(1, this.#env.clusterSize());
      if (warn) this.#log.warn({ err: String(err), agents }, 'rate-limiting: Redis failed; counting locally with limits divided among edge agents');
      const local: HitPlan = { windows: plan.windows, request: scaleLimits(plan.request, agents) };
      return this.#answer(ctx, local, await this.#local.hit(local.request, nowMs), nowMs);
    }
    return this.#answer(ctx, plan, res, nowMs);
  }

  #answer(ctx: RequestContext, plan: HitPlan, res: CounterResult, nowMs: number): ShortCircuit | undefined {
    if (this.settings.hideClientHeaders) {
      // as Kong: with hidden headers a refusal carries no Retry-After either
      return res.allowed ? undefined : kongError(this.settings.errorCode, this.settings.errorMessage);
    }
    const { headers, resetS } = rateLimitHeaders(this.#names, plan, res, nowMs);
    for (const [name, value] of headers) ctx.clientHeaders.set(name, value);
    if (res.allowed) return undefined;
    return kongError(this.settings.errorCode, this.settings.errorMessage, { [RETRY_AFTER]: String(resetS) });
  }

  close(): void {
    this.#redis?.release();
  }
}
