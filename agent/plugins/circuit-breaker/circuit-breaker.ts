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
    const service = env.scope.service ?? env.scope.route ?? 'global';
    const settings = {
      threshold: config.threshold, windowMs: config.window_size * 1000, openMs: config.timeout * 1000,
      halfOpenProbes: config.half_open_requests, successThreshold: config.success_threshold,
    };
    let breaker = breakers.get(service);
    if (breaker === undefined || JSON.stringify(breaker.settings) !== JSON.stringify(settings)) {
      breaker = new CircuitBreaker(settings);
      breakers.set(service, breaker);
    }
    const b = breaker;
    const gauge = env.metrics?.circuitState.labels(service);
    gauge?.set(STATE_VALUE[b.state]);
    b.onChange = (s) => {
      gauge?.set(STATE_VALUE[s]);
      env.log.warn({ service, state: s }, 'circuit breaker changed state');
    };
    const failures = new Set(config.failure_statuses);
    return {
      name: 'circuit-breaker',
      priority: circuitBreakerPlugin.priority,
      access(ctx) {
        const a = b.admit(Date.now());
        if (!a.allowed) return kongError(503, config.error_message, { 'Retry-After': String(a.retryAfterS) });
        if (a.probe) ctx.shared.set(PROBE, true);
        return undefined;
      },
      log(ctx, status) {
        // answers produced at the edge before proxying (401, 429 …) say nothing about the service
        if (status < 500 && status >= 400 && !ctx.shared.has(PROBE)) return;
        b.record(!failures.has(status) && status !== 499, ctx.shared.has(PROBE), Date.now());
      },
    };
  },
};
