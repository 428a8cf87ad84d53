// Kong's `proxy-cache` plugin (PRIORITY 100), correct by the HTTP caching RFCs (9111, 5861) and
// configured in Kong's vocabulary. The folder, in reading order:
//   config.ts          fields, defaults, extra rules, compiled settings
//   content-type.ts    content_type matching (type/subtype, parameters ignored unless listed)
//   key.ts             base key (Kong's parts + host, upstream path) and variant key (upstream Vary)
//   cache-control.ts   directive parsing
//   cacheability.ts    may a response be stored, for how long
//   freshness.ts       may a stored response answer this request (age, request directives, stale-*)
//   store.ts           stored shapes, the store interface, shared stores
//   memory-store.ts    LRU bounded in bytes (lru-cache; why not node-cache: see there)
//   redis-store.ts     shared by edge agents, fail-fast client, prefix-scoped purge
//   coalescing.ts      one upstream request per cold key
//   refresh.ts         background refresh through the agent's own listener
//   replay.ts          stored headers, the hit answer
//   admin.ts           DELETE/GET /cache[/<key>] (and /proxy-cache)
//   cache-instance.ts  the request path
// Deviations from Kong are listed in cacheability.ts, content-type.ts and key.ts.
import type { PluginFactory } from '../plugin.js';
import { ProxyCacheInstance, PROXY_CACHE_PRIORITY } from './cache-instance.js';
import { compileSettings, proxyCacheConfigSchema, validateProxyCache, type ProxyCacheConfig } from './config.js';

export const proxyCachePlugin: PluginFactory<ProxyCacheConfig> = {
  name: 'proxy-cache',
  priority: PROXY_CACHE_PRIORITY,
  configSchema: proxyCacheConfigSchema,
  validate: validateProxyCache,
  create: (config, env) => new ProxyCacheInstance(compileSettings(config), env),
};
