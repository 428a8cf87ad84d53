// Kong's rate-limiting config: the schema (Kong's fields and defaults, plus Kong 2.x flat
// `redis_*` fields and our `window_type`), the extra rules Kong checks, and the compiled,
// frozen settings an instance runs on.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PERIODS, type Period } from './windows.js';

/** decK dumps write unset fields as null, so every optional field also takes null. */
function nullable<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type as string, 'null'] }));
}

/** a string enum with one readable error ("must be equal to one of the allowed values") */
function oneOf<const V extends readonly string[]>(values: V, fallback: V[number]) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], default: fallback });
}

const limit = () => nullable(Type.Number({ exclusiveMinimum: 0 }));

/** Kong 3's `redis` record (shared with other plugins that talk to Redis) */
export const redisConfigSchema = Type.Object({
  host: nullable(Type.String({ minLength: 1 })),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 6379 }),
  timeout: Type.Integer({ minimum: 0, maximum: 2_147_483_646, default: 2000 }),
  username: nullable(Type.String()),
  password: nullable(Type.String()),
  database: Type.Integer({ minimum: 0, default: 0 }),
  ssl: Type.Boolean({ default: false }),
  ssl_verify: Type.Boolean({ default: false }),
  server_name: nullable(Type.String()),
}, { additionalProperties: false, default: {} });

export const rateLimitingConfigSchema = Type.Object({
  second: limit(), minute: limit(), hour: limit(), day: limit(), month: limit(), year: limit(),
  limit_by: oneOf(['consumer', 'credential', 'ip', 'service', 'header', 'path'] as const, 'consumer'),
  header_name: nullable(Type.String({ minLength: 1 })),
  path: nullable(Type.String({ pattern: '^/' })),
  policy: oneOf(['local', 'cluster', 'redis'] as const, 'local'),
  fault_tolerant: Type.Boolean({ default: true }),
  hide_client_headers: Type.Boolean({ default: false }),
  error_code: Type.Integer({ minimum: 100, maximum: 599, default: 429 }),
  error_message: Type.String({ default: 'API rate limit exceeded' }),
  sync_rate: Type.Number({ default: -1 }),
  redis: redisConfigSchema,
  // Kong 2.x flat fields (Kong 3 keeps them as deprecated shorthands of `redis`)
  redis_host: nullable(Type.String({ minLength: 1 })),
  redis_port: nullable(Type.Integer({ minimum: 0, maximum: 65535 })),
  redis_username: nullable(Type.String()),
  redis_password: nullable(Type.String()),
  redis_database: nullable(Type.Integer({ minimum: 0 })),
  redis_timeout: nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_646 })),
  redis_ssl: nullable(Type.Boolean()),
  redis_ssl_verify: nullable(Type.Boolean()),
  redis_server_name: nullable(Type.String()),
  // ours: Kong OSS only has fixed windows
  window_type: oneOf(['fixed', 'sliding'] as const, 'fixed'),
}, { additionalProperties: false });

export type RateLimitingConfig = Static<typeof rateLimitingConfigSchema>;
export type LimitBy = RateLimitingConfig['limit_by'];

export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly database: number;
  readonly ssl: boolean;
  readonly sslVerify: boolean;
  readonly serverName: string | undefined;
}

/** What an instance runs on, compiled once from a validated config. */
export interface RateLimitSettings {
  /** configured periods, shortest first */
  readonly limits: readonly { readonly period: Period; readonly limit: number }[];
  readonly limitBy: LimitBy;
  /** lower-case, for limit_by header */
  readonly headerName: string | undefined;
  readonly path: string | undefined;
  readonly policy: 'local' | 'redis';
  readonly faultTolerant: boolean;
  readonly hideClientHeaders: boolean;
  readonly errorCode: number;
  readonly errorMessage: string;
  readonly sliding: boolean;
  readonly redis: RedisSettings | null;
}

const given = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;
const orUndef = <T>(v: T | null | undefined): T | undefined => (given(v) ? v : undefined);

/**
 * The Redis connection settings, with Kong 2.x flat fields taking precedence over the nested
 * record (they are explicit, while the nested record may only hold defaults).
 */
export function redisSettings(c: RateLimitingConfig): RedisSettings | null {
  const r = c.redis;
  const host = orUndef(c.redis_host) ?? orUndef(r.host);
  if (host === undefined) return null;
  return Object.freeze({
    host,
    port: orUndef(c.redis_port) ?? r.port,
    timeoutMs: orUndef(c.redis_timeout) ?? r.timeout,
    username: orUndef(c.redis_username) ?? orUndef(r.username),
    password: orUndef(c.redis_password) ?? orUndef(r.password),
    database: orUndef(c.redis_database) ?? r.database,
    ssl: orUndef(c.redis_ssl) ?? r.ssl,
    sslVerify: orUndef(c.redis_ssl_verify) ?? r.ssl_verify,
    serverName: orUndef(c.redis_server_name) ?? orUndef(r.server_name),
  });
}

function fmtLimit(n: number): string {
  return n.toFixed(1);
}

/** Kong's rules beyond the schema (messages keyed by config sub-path). */
export function validateRateLimiting(c: RateLimitingConfig): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const set = PERIODS.filter((p) => given(c[p]));
  if (set.length === 0) {
    out.push({ path: '', message: `at least one of these fields must be non-empty: ${PERIODS.map((p) => `'config.${p}'`).join(', ')}` });
  }
  // Kong's validate_periods_order: a longer period may not allow fewer requests than a shorter one
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      const [lower, upper] = [set[i]!, set[j]!];
      if (c[upper]! < c[lower]!) {
        out.push({ path: upper, message: `The limit for ${upper}(${fmtLimit(c[upper]!)}) cannot be lower than the limit for ${lower}(${fmtLimit(c[lower]!)})` });
      }
    }
  }
  if (c.policy === 'cluster') out.push({ path: 'policy', message: 'cluster policy needs a database; use local or redis' });
  if (c.policy === 'redis' && redisSettings(c) === null) out.push({ path: 'redis.host', message: 'required when policy is redis' });
  if (given(c.redis_host) && given(c.redis.host) && c.redis_host !== c.redis.host) {
    out.push({ path: 'redis_host', message: `conflicts with redis.host ("${c.redis_host}" vs "${c.redis.host}")` });
  }
  if (c.limit_by === 'header' && !given(c.header_name)) out.push({ path: 'header_name', message: 'required when limit_by is header' });
  if (c.limit_by === 'path' && !given(c.path)) out.push({ path: 'path', message: 'required when limit_by is path' });
  return out;
}

/** The frozen settings of a config that passed the schema and validateRateLimiting. */
export function compileSettings(c: RateLimitingConfig): RateLimitSettings {
  const limits = PERIODS.filter((p) => given(c[p])).map((period) => Object.freeze({ period, limit: c[period]! }));
  if (limits.length === 0) throw new Error('rate-limiting: no limit configured');
  if (c.policy === 'cluster') throw new Error('rate-limiting: cluster policy needs a database; use local or redis');
  const redis = c.policy === 'redis' ? redisSettings(c) : null;
  if (c.policy === 'redis' && redis === null) throw new Error('rate-limiting: policy redis needs redis.host');
  return Object.freeze({
    limits: Object.freeze(limits),
    limitBy: c.limit_by,
    headerName: orUndef(c.header_name)?.toLowerCase(),
    path: orUndef(c.path),
    policy: c.policy,
    faultTolerant: c.fault_tolerant,
    hideClientHeaders: c.hide_client_headers,
    errorCode: c.error_code,
    errorMessage: c.error_message,
    sliding: c.window_type === 'sliding',
    redis,
  });
}
