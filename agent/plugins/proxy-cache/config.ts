// Kong's proxy-cache config (Kong's fields and defaults; the `redis` record of Kong Enterprise's
// proxy-cache-advanced, shaped like rate-limiting's), our two byte bounds, the extra rules, and
// the compiled, frozen settings an instance runs on.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { rateLimitingConfigSchema, type RedisSettings } from '../rate-limiting/config.js';
import { parseMediaRange, type MediaRange } from './content-type.js';

/** decK dumps write unset fields as null, so every optional field also takes null. */
const nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

const METHODS = ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] as const;
const MiB = 1024 * 1024;

/** the same `redis` record as rate-limiting's (Kong's shape), so a block can be copied between them */
const redisSchema = rateLimitingConfigSchema.properties.redis;

export const proxyCacheConfigSchema = Type.Object({
  response_code: Type.Array(Type.Integer({ minimum: 100, maximum: 900 }), { minItems: 1, default: [200, 301, 404] }),
  request_method: Type.Array(Type.Unsafe<(typeof METHODS)[number]>({ type: 'string', enum: [...METHODS] }), { minItems: 1, default: ['GET', 'HEAD'] }),
  content_type: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: ['text/plain', 'application/json'] }),
  cache_ttl: Type.Integer({ exclusiveMinimum: 0, default: 300 }),
  storage_ttl: nullable(Type.Integer({ minimum: 0 })),
  cache_control: Type.Boolean({ default: false }),
  ignore_uri_case: Type.Boolean({ default: false }),
  vary_headers: nullable(Type.Array(Type.String({ minLength: 1 }))),
  vary_query_params: nullable(Type.Array(Type.String({ minLength: 1 }))),
  strategy: Type.Unsafe<'memory' | 'redis'>({ type: 'string', enum: ['memory', 'redis'], default: 'memory' }),
  // Kong's shared dict name; each name is its own store here too
  memory: Type.Object({ dictionary_name: Type.String({ minLength: 1, default: 'kong_db_cache' }) }, { additionalProperties: false, default: {} }),
  redis: redisSchema,
  // Kong 3.4+: which of its own headers the plugin sends
  response_headers: Type.Object({
    age: Type.Boolean({ default: true }),
    'X-Cache-Status': Type.Boolean({ default: true }),
    'X-Cache-Key': Type.Boolean({ default: true }),
  }, { additionalProperties: false, default: {} }),
  // ours: the memory store's byte bound, and the largest object (body + headers) kept by any store
  memory_max_bytes: Type.Integer({ minimum: 1024, default: 128 * MiB }),
  max_object_bytes: Type.Integer({ minimum: 1, default: 1 * MiB }),
}, { additionalProperties: false });

export type ProxyCacheConfig = Static<typeof proxyCacheConfigSchema>;

/** What an instance runs on, compiled once from a validated config. */
export interface CacheSettings {
  readonly responseCodes: ReadonlySet<number>;
  readonly requestMethods: ReadonlySet<string>;
  readonly contentTypes: readonly MediaRange[];
  readonly cacheTtlS: number;
  readonly storageTtlS: number | undefined;
  readonly cacheControl: boolean;
  readonly ignoreUriCase: boolean;
  /** lower-case, sorted, unique */
  readonly varyHeaders: readonly string[];
  /** sorted, unique; null means every parameter */
  readonly varyQueryParams: readonly string[] | null;
  readonly strategy: 'memory' | 'redis';
  readonly dictionaryName: string;
  readonly memoryMaxBytes: number;
  readonly maxObjectBytes: number;
  readonly redis: RedisSettings | null;
  readonly sendAge: boolean;
  readonly sendStatus: boolean;
  readonly sendKey: boolean;
}

const orUndef = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function redisSettings(c: ProxyCacheConfig): RedisSettings | null {
  const r = c.redis;
  if (r.host == null) return null;
  return Object.freeze({
    host: r.host, port: r.port, timeoutMs: r.timeout, username: orUndef(r.username), password: orUndef(r.password),
    database: r.database, ssl: r.ssl, sslVerify: r.ssl_verify, serverName: orUndef(r.server_name),
  });
}

/** Rules beyond the schema (messages keyed by config sub-path). */
export function validateProxyCache(c: ProxyCacheConfig): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  c.content_type.forEach((t, i) => {
    if (parseMediaRange(t) === null) out.push({ path: `content_type.${i}`, message: `'${t}' is not a media type (type/subtype)` });
  });
  if (c.strategy === 'redis' && c.redis.host == null) out.push({ path: 'redis.host', message: 'required when strategy is redis' });
  if (c.max_object_bytes > c.memory_max_bytes) out.push({ path: 'max_object_bytes', message: 'cannot exceed memory_max_bytes' });
  return out;
}

const sortedUnique = (list: readonly string[]): string[] => [...new Set(list)].sort();

export function compileSettings(c: ProxyCacheConfig): CacheSettings {
  const issues = validateProxyCache(c);
  if (issues.length > 0) throw new Error(`proxy-cache: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return Object.freeze({
    responseCodes: new Set(c.response_code),
    requestMethods: new Set(c.request_method),
    contentTypes: Object.freeze(c.content_type.map((t) => parseMediaRange(t)!)),
    cacheTtlS: c.cache_ttl,
    storageTtlS: orUndef(c.storage_ttl),
    cacheControl: c.cache_control,
    ignoreUriCase: c.ignore_uri_case,
    varyHeaders: Object.freeze(sortedUnique((c.vary_headers ?? []).map((h) => h.toLowerCase()))),
    // Kong: no list (or an empty one) varies on every parameter
    varyQueryParams: c.vary_query_params != null && c.vary_query_params.length > 0 ? Object.freeze(sortedUnique(c.vary_query_params)) : null,
    strategy: c.strategy,
    dictionaryName: c.memory.dictionary_name,
    memoryMaxBytes: c.memory_max_bytes,
    maxObjectBytes: c.max_object_bytes,
    redis: c.strategy === 'redis' ? redisSettings(c) : null,
    sendAge: c.response_headers.age,
    sendStatus: c.response_headers['X-Cache-Status'],
    sendKey: c.response_headers['X-Cache-Key'],
  });
}
