// Kong's `rate-limiting` plugin (PRIORITY 910): fixed (or, ours, sliding) windows per second …
// year, counted locally or in Redis. See docs in the folder's files: config.ts (fields and
// rules), windows.ts (calendar windows), counters.ts (keys and the allow-then-count rule),
// local-store.ts, redis-store.ts, redis-clients.ts, headers.ts, limiter.ts (the request path).
import type { PluginFactory } from '../plugin.js';
import { compileSettings, rateLimitingConfigSchema, validateRateLimiting, type RateLimitingConfig } from './config.js';
import { RATE_LIMITING_PRIORITY, RateLimiter, type LimiterDeps } from './limiter.js';
import type { PluginEnv } from '../plugin.js';

export function createRateLimiter(config: RateLimitingConfig, env: PluginEnv, deps: LimiterDeps = {}): RateLimiter {
  if (config.sync_rate !== -1 && config.policy === 'redis') {
    // counters are always updated in Redis synchronously (exact); batching is not implemented
    env.log.info({ sync_rate: config.sync_rate }, 'rate-limiting: sync_rate is ignored; Redis counters are updated on every request');
  }
  return new RateLimiter(compileSettings(config), env, deps);
}

export const rateLimitingPlugin: PluginFactory<RateLimitingConfig> = {
  name: 'rate-limiting',
  priority: RATE_LIMITING_PRIORITY,
  configSchema: rateLimitingConfigSchema,
  validate: validateRateLimiting,
  create: (config, env) => createRateLimiter(config, env),
};
