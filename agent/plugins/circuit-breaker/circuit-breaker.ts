// The `circuit-breaker` plugin (the seed's shape: threshold, window_size, timeout, plus
// half-open probes). Per service: every route of a service shares one breaker. Open → 503 JSON
// with Retry-After and no upstream traffic.
import { Type, type Static } from '@sinclair/typebox';
import type { PluginFactory } from '../plugin.js';
import { kongError } from '../respond.js';
import { CircuitBreaker, type BreakerState } from './breaker.js';

const Config = Type.Object({
  threshold: Type.Integer({ minimum: 1, default: 5, description: 'failures within window_size that open the circuit' }),
  window_size: Type.Number({ exclusiveMinimum: 0, default: 60, description: 'seconds' }),
  timeout: Type.Number({ exclusiveMinimum: 0, default: 30, description: 'seconds open before half-open probes' }),
  half_open_requests: Type.Integer({ minimum: 1, default: 1, description: 'concurrent probes while half-open' }),
  success_threshold: Type.Integer({ minimum: 1, default: 1, description: 'successful probes that close the circuit' }),
  failure_statuses: Type.Array(Type.Integer({ minimum: 100, maximum: 999 }), { default: [500, 502, 503, 504] }),
  error_message: Type.String({ default: 'Service temporarily unavailable' }),
}, { additionalProperties: false });

type Config = Static<typeof Config>;

/** breakers by service, shared across routes and kept across reloads */
const breakers = new Map<string, CircuitBreaker>();
const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };
const PROBE = 'circuit-breaker:probe';

/**
 * With workers, an open or a close in one process is told to the others (through the primary),
 * so a failing service is cut off agent-wide. One process: none.
 */
export interface BreakerShare {
  changed(service: string, state: 'open' | 'closed'): void;
}

let share: BreakerShare | null = null;
/** true while a state told by another worker is applied: it is not told back */
let following = false;

export function useBreakerShare(s: BreakerShare | null): void { share = s; }

/** Another worker's breaker of `service` opened or closed: this one follows (if it exists here). */
export function followBreaker(service: string, state: 'open' | 'closed', now: number): void {
  const b = breakers.get(service);
  if (b === undefined) return;
  following = true;
  try { b.follow(state, now); } finally { following = false; }
}

/** For /status: every service's breaker state. */
export function circuitBreakerStates(): Record<string, BreakerState> {
  return Object.fromEntries([...breakers].map(([k, b]) => [k, b.state]));
}

export const circuitBreakerPlugin: PluginFactory<Config> = {
  name: 'circuit-breaker',
  // after authentication and rate limiting, before the transformers and the cache
  priority: 905,
  configSchema: Config,
  create(config, env) {
    const settings = {
      threshold: config.threshold, windowMs: config.window_size * 1000, openMs: config.timeout * 1000,
      halfOpenProbes: config.half_open_requests, successThreshold: config.success_threshold,
    };
    const same = JSON.stringify(settings);
    /** the breaker of the request's service, made on first use (and kept across reloads) */
    const breakerOf = (service: string): CircuitBreaker => {
      let b = breakers.get(service);
      if (b === undefined || JSON.stringify(b.settings) !== same) {
        b = new CircuitBreaker(settings);
        breakers.set(service, b);
        const gauge = env.metrics?.circuitState.labels(service);
        gauge?.set(STATE_VALUE[b.state]);
        b.onChange = (s) => {
          gauge?.set(STATE_VALUE[s]);
          env.log.warn({ service, state: s, ...(following ? { from: 'another worker' } : {}) }, 'circuit breaker changed state');
          if (!following && s !== 'half-open') share?.changed(service, s);
        };
      }
      return b;
    };
    const failures = new Set(config.failure_statuses);
    return {
      name: 'circuit-breaker',
      priority: circuitBreakerPlugin.priority,
      access(ctx) {
        const a = breakerOf(ctx.route.service).admit(Date.now());
        if (!a.allowed) return kongError(503, config.error_message, { 'Retry-After': String(a.retryAfterS) });
        ctx.shared.set(PROBE, a.probe);
        return undefined;
      },
      log(ctx, status) {
        const probe = ctx.shared.get(PROBE);
        if (probe === undefined) return; // refused here, or answered before this plugin ran
        // answers produced at the edge after this plugin (413 …) say nothing about the service
        if (status >= 400 && status < 500 && probe !== true) return;
        breakerOf(ctx.route.service).record(!failures.has(status) && status !== 499, probe === true, Date.now());
      },
    };
  },
};
