// One ioredis client per distinct Redis configuration, shared by every plugin instance that uses
// it and kept across config reloads (instances of the new config acquire it before the old ones
// release it). Tuned to fail fast: no offline queue, a command timeout, no command retries;
// ioredis keeps reconnecting in the background and requests go back to Redis once it answers.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { RedisSettings } from './config.js';
import type { CounterStore } from './counters.js';
import { RedisCounterStore } from './redis-store.js';

/** How often a Redis failure may be logged per connection */
export const WARN_EVERY_MS = 5000;

export interface SharedRedis {
  readonly store: CounterStore;
  /** true at most once per WARN_EVERY_MS for this connection (shared by all instances) */
  shouldWarn(nowMs: number): boolean;
  /** Gives back this holder's share; the last one disconnects the client. */
  release(): void;
}

/** Says yes at most once per everyMs. */
export class WarnThrottle {
  #lastMs = -Infinity;
  constructor(readonly everyMs = WARN_EVERY_MS) {}
  shouldWarn(nowMs: number): boolean {
    if (nowMs - this.#lastMs < this.everyMs) return false;
    this.#lastMs = nowMs;
    return true;
  }
}

interface Entry {
  readonly client: Redis;
  readonly store: RedisCounterStore;
  readonly warn: WarnThrottle;
  refs: number;
}

const clients = new Map<string, Entry>();

export function redisCacheKey(s: RedisSettings): string {
  return JSON.stringify([s.host, s.port, s.timeoutMs, s.username ?? null, s.password ?? null, s.database, s.ssl, s.sslVerify, s.serverName ?? null]);
}

/**
 * ioredis, required when a config first uses Redis: a process (each worker too) whose plugins never
 * use Redis does not hold it (measured: ~10 MiB less RSS once meshgate's code is loaded).
 */
const requireModule = createRequire(import.meta.url);
let RedisClient: typeof Redis | undefined;
const redisClient = (): typeof Redis => (RedisClient ??= (requireModule('ioredis') as typeof import('ioredis')).Redis);

export function createRedisClient(s: RedisSettings): Redis {
  const client = new (redisClient())({
    host: s.host,
    port: s.port,
    db: s.database,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(s.ssl ? { tls: { rejectUnauthorized: s.sslVerify, servername: s.serverName ?? s.host } } : {}),
    lazyConnect: true,
    enableOfflineQueue: false,
    // 0 means no timeout for ioredis; Kong's timeout is always set (2000 by default)
    commandTimeout: s.timeoutMs > 0 ? s.timeoutMs : undefined,
    connectTimeout: s.timeoutMs > 0 ? s.timeoutMs : 2000,
    // a script in flight when the connection drops fails at once and is never sent again: the
    // request was already answered (from local counters or with a 500), so a resend after the
    // reconnect would count it twice
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  });
  // failures surface on the commands; without a listener ioredis would print every one
  client.on('error', () => {});
  return client;
}

export function acquireRedis(s: RedisSettings): SharedRedis {
  const key = redisCacheKey(s);
  let entry = clients.get(key);
  if (entry === undefined) {
    const client = createRedisClient(s);
    entry = { client, store: new RedisCounterStore(client, { connectTimeoutMs: s.timeoutMs > 0 ? s.timeoutMs : 2000 }), warn: new WarnThrottle(), refs: 0 };
    clients.set(key, entry);
  }
  entry.refs++;
  const e = entry;
  let released = false;
  return {
    store: e.store,
    shouldWarn: (nowMs) => e.warn.shouldWarn(nowMs),
    release() {
      if (released) return;
      released = true;
      if (--e.refs > 0) return;
      if (clients.get(key) === e) clients.delete(key);
      e.client.disconnect();
    },
  };
}

/** How many shared clients are open (for tests). */
export function openRedisClients(): number {
  return clients.size;
}
