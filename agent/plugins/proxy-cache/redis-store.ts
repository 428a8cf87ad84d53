// The redis strategy: entries shared by every edge agent pointing at the same Redis (and
// database), under one key prefix so a purge never touches other data (rate-limiting counters)
// in that database. One ioredis client per connection settings, tuned to fail fast (no offline
// queue, a command timeout): a failing command surfaces as a rejected promise, which the plugin
// turns into a Bypass — never a 500.
import type { Redis } from 'ioredis';
import type { RedisSettings } from '../rate-limiting/config.js';
import { createRedisClient, redisCacheKey } from '../rate-limiting/redis-clients.js';
import { SharedRegistry, type CacheStore, type Lease, type StoreStats, type StoredResponse, type VarySpec } from './store.js';

export const REDIS_PREFIX = 'meshgate:proxy-cache:';
const RESPONSE = `${REDIS_PREFIX}r:`;
const VARY = `${REDIS_PREFIX}v:`;
/** SCAN rounds a purge may take (COUNT 500 each): bounds the loop even on a huge keyspace */
const PURGE_MAX_ROUNDS = 100_000;

/** [u32 length of the JSON meta][meta][body]: binary-safe and one GET per lookup. */
export function encodeResponse(r: StoredResponse): Buffer {
  const meta = Buffer.from(JSON.stringify({
    s: r.status, h: r.headers, t: r.storedAtMs, a: r.initialAgeS, f: r.freshForS, w: r.staleWhileRevalidateS,
    e: r.staleIfErrorS, m: r.mustRevalidate, p: r.sharedWithAuth,
  }));
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(meta.length, 0);
  return Buffer.concat([head, meta, r.body]);
}

export function decodeResponse(buf: Buffer): StoredResponse | undefined {
  if (buf.length < 4) return undefined;
  const len = buf.readUInt32BE(0);
  if (4 + len > buf.length) return undefined;
  try {
    const m = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as Record<string, unknown>;
    if (typeof m.s !== 'number' || !Array.isArray(m.h) || typeof m.t !== 'number') return undefined;
    return {
      status: m.s, headers: m.h as [string, string][], body: buf.subarray(4 + len), storedAtMs: m.t,
      initialAgeS: Number(m.a) || 0, freshForS: Number(m.f) || 0, staleWhileRevalidateS: Number(m.w) || 0,
      staleIfErrorS: Number(m.e) || 0, mustRevalidate: m.m === true, sharedWithAuth: m.p === true,
    };
  } catch {
    return undefined;
  }
}

export class RedisCacheStore implements CacheStore {
  readonly #client: Redis;
  readonly #address: string;
  /** the first connection is waited for once (bounded); later outages fail fast */
  #firstReady: Promise<void> | null;

  constructor(client: Redis, opts: { connectTimeoutMs: number; address: string }) {
    this.#client = client;
    this.#address = opts.address;
    this.#firstReady = client.status === 'ready' ? null : new Promise<void>((resolve) => {
      const done = () => { clearTimeout(timer); client.off('ready', done); this.#firstReady = null; resolve(); };
      const timer = setTimeout(done, Math.max(1, opts.connectTimeoutMs));
      timer.unref();
      client.on('ready', done);
    });
    if (client.status === 'wait') client.connect().catch(() => { /* reported by the commands */ });
  }

  async #ready(): Promise<Redis> {
    if (this.#firstReady !== null) await this.#firstReady;
    return this.#client;
  }

  async getResponse(key: string): Promise<StoredResponse | undefined> {
    const buf = await (await this.#ready()).getBuffer(RESPONSE + key);
    return buf === null ? undefined : decodeResponse(buf);
  }

  async getVary(baseKey: string): Promise<VarySpec | undefined> {
    const text = await (await this.#ready()).get(VARY + baseKey);
    if (text === null) return undefined;
    try {
      const v = JSON.parse(text) as VarySpec;
      return Array.isArray(v.headers) && typeof v.generation === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  async put(baseKey: string, spec: VarySpec, key: string, value: StoredResponse, ttlMs: number): Promise<boolean> {
    // the plugin refuses objects above max_object_bytes before they get here
    const px = Math.max(1, Math.ceil(ttlMs));
    const client = await this.#ready();
    const results = await client.multi().set(VARY + baseKey, JSON.stringify(spec), 'PX', px).set(RESPONSE + key, encodeResponse(value), 'PX', px).exec();
    const failed = results?.find(([err]) => err !== null);
    if (results === null || failed !== undefined) throw failed?.[0] ?? new Error('transaction aborted');
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return (await (await this.#ready()).del(RESPONSE + key, VARY + key)) > 0;
  }

  async purge(): Promise<void> {
    const client = await this.#ready();
    let cursor = '0';
    for (let round = 0; round < PURGE_MAX_ROUNDS; round++) {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 500);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
      if (cursor === '0') return;
    }
    throw new Error(`purge: more than ${PURGE_MAX_ROUNDS} SCAN rounds`);
  }

  async stats(): Promise<StoreStats> {
    return { strategy: 'redis', address: this.#address, connected: this.#client.status === 'ready' };
  }
}

interface RedisEntry { readonly client: Redis; readonly store: RedisCacheStore }

const shared = new SharedRegistry<RedisEntry>((e) => e.client.disconnect());

/** The store (and its client) for these connection settings, shared by every instance using them. */
export function acquireRedisStore(s: RedisSettings): Lease<RedisCacheStore> {
  const lease = shared.acquire(redisCacheKey(s), () => {
    const client = createRedisClient(s);
    const store = new RedisCacheStore(client, {
      connectTimeoutMs: s.timeoutMs > 0 ? s.timeoutMs : 2000, address: `${s.host}:${s.port}/${s.database}`,
    });
    return { client, store };
  });
  return { value: lease.value.store, release: lease.release };
}
