// Kong's `cors` plugin: preflights answered at the edge, CORS headers on every other answer.
// Deviations from Kong, all on the safe side:
// - credentials are never granted through the wildcard ("*" or an empty list) nor to origins
//   a regex lets in wholesale, nor to "null" (see OriginPolicy.match);
// - a request origin that is not allowed gets no Access-Control-Allow-Origin at all (Kong sends
//   a lone configured origin whatever the request's), and its preflight gets no CORS headers;
// - Vary: Origin is on every answer, the wildcard ones included.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { RequestContext } from '../context.js';
import type { HeaderList, PluginFactory, PluginInstance, ShortCircuit } from '../plugin.js';
import { OriginPolicy, isRegexOrigin, originRegex } from './origins.js';

const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
/** decK writes unset fields as null */
const nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

const CorsConfig = Type.Object({
  origins: nullable(Type.Array(Type.String({ minLength: 1 }))),
  methods: Type.Optional(Type.Union([Type.Array(Type.Union(METHODS.map((m) => Type.Literal(m)))), Type.Null()], { default: [...METHODS] })),
  headers: nullable(Type.Array(Type.String({ minLength: 1 }))),
  exposed_headers: nullable(Type.Array(Type.String({ minLength: 1 }))),
  max_age: nullable(Type.Number()),
  credentials: Type.Boolean({ default: false }),
  private_network: Type.Boolean({ default: false }),
  preflight_continue: Type.Boolean({ default: false }),
  /** Kong 3.5+: answer requests without Origin too (only the wildcard "*" applies then) */
  allow_origin_absent: Type.Boolean({ default: true }),
}, { additionalProperties: false });

export type CorsConfig = Static<typeof CorsConfig>;

const ACAO = 'Access-Control-Allow-Origin';
const ACAC = 'Access-Control-Allow-Credentials';

function joined(list: readonly string[] | null | undefined): string | null {
  return list != null && list.length > 0 ? list.join(',') : null;
}

/** Adds "Vary: Origin" unless the answer already varies on it (or on everything). */
function varyOnOrigin(headers: HeaderList): void {
  for (const v of headers.getAll('vary')) {
    for (const token of v.split(',')) {
      const t = token.trim().toLowerCase();
      if (t === 'origin' || t === '*') return;
    }
  }
  headers.append('Vary', 'Origin');
}

function validateCors(config: CorsConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  (config.origins ?? []).forEach((o, i) => {
    if (!isRegexOrigin(o)) return;
    try { originRegex(o); } catch { issues.push({ path: `origins.${i}`, message: `'${o}' is not a valid regex` }); }
  });
  return issues;
}

class CorsInstance implements PluginInstance {
  readonly name = 'cors';
  readonly priority = 2000;
  readonly #policy: OriginPolicy;
  readonly #config: CorsConfig;
  readonly #methods: string;
  readonly #allowHeaders: string | null;
  readonly #exposeHeaders: string | null;
  readonly #maxAge: string | null;
  /** preflights: answered here (or left to the upstream), so no response headers are added */
  readonly #preflights = new WeakSet<RequestContext>();

  constructor(config: CorsConfig, policy: OriginPolicy) {
    this.#config = config;
    this.#policy = policy;
    this.#methods = joined(config.methods) ?? METHODS.join(',');
    this.#allowHeaders = joined(config.headers);
    this.#exposeHeaders = joined(config.exposed_headers);
    this.#maxAge = config.max_age != null ? String(config.max_age) : null;
  }

  access(ctx: RequestContext): ShortCircuit | undefined {
    const origin = ctx.header('origin');
    if (ctx.method !== 'OPTIONS' || origin === undefined || ctx.header('access-control-request-method') === undefined) return undefined;
    this.#preflights.add(ctx);
    if (this.#config.preflight_continue) return undefined;
    const headers: Record<string, string> = { Vary: 'Origin' };
    const grant = this.#policy.match(origin);
    if (grant !== null) {
      headers[ACAO] = grant.allowOrigin;
      if (grant.credentials) headers[ACAC] = 'true';
      const allowHeaders = this.#allowHeaders ?? ctx.header('access-control-request-headers');
      if (allowHeaders !== undefined) headers['Access-Control-Allow-Headers'] = allowHeaders;
      headers['Access-Control-Allow-Methods'] = this.#methods;
      if (this.#maxAge !== null) headers['Access-Control-Max-Age'] = this.#maxAge;
      if (this.#config.private_network && ctx.header('access-control-request-private-network') === 'true') {
        headers['Access-Control-Allow-Private-Network'] = 'true';
      }
    }
    return { status: 200, headers };
  }

  responseHeaders(ctx: RequestContext, _status: number, headers: HeaderList): void {
    if (this.#preflights.has(ctx)) return;
    varyOnOrigin(headers);
    const origin = ctx.header('origin');
    if (origin === undefined) {
      if (this.#config.allow_origin_absent && this.#policy.wildcard) { headers.set(ACAO, '*'); headers.remove(ACAC); }
      return;
    }
    // the plugin owns CORS for its routes: an upstream's own answer is replaced, not merged
    headers.remove(ACAO);
    headers.remove(ACAC);
    const grant = this.#policy.match(origin);
    if (grant === null) return;
    headers.set(ACAO, grant.allowOrigin);
    if (grant.credentials) headers.set(ACAC, 'true');
    if (this.#exposeHeaders !== null) headers.set('Access-Control-Expose-Headers', this.#exposeHeaders);
  }
}

export const corsPlugin: PluginFactory<CorsConfig> = {
  name: 'cors',
  priority: 2000,
  configSchema: CorsConfig,
  validate: validateCors,
  create(config, env) {
    const policy = new OriginPolicy(config.origins, config.credentials);
    if (policy.credentialsNarrowed) {
      env.log.warn({ origins: config.origins ?? [] }, 'cors: credentials are only granted to explicitly listed origins, never through "*", "null" or catch-all regexes');
    }
    return new CorsInstance(config, policy);
  },
};
