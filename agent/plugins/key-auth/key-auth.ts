// Kong's `key-auth` plugin: an API key from a header, the query string or the body, looked up
// among the consumers' keyauth_credentials. Synchronous unless the body has to be read.
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../context.js';
import { authenticate } from '../consumers.js';
import type { AccessResult, PluginFactory, ShortCircuit } from '../plugin.js';
import { kongError } from '../respond.js';
import { AnonymousFallback, clientHeaderValues, isPreflight } from './auth-common.js';
import { DUPLICATE, bodyValue, readParsedBody, removeFromBody, type ParsedBody } from './body-credentials.js';

export interface KeyAuthConfig {
  key_names: string[];
  key_in_header: boolean;
  key_in_query: boolean;
  key_in_body: boolean;
  hide_credentials: boolean;
  anonymous?: string | null;
  run_on_preflight: boolean;
  realm?: string | null;
}

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

const configSchema = Type.Object({
  key_names: Type.Array(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.~-]+$' }), { minItems: 1, default: ['apikey'] }),
  key_in_header: Type.Boolean({ default: true }),
  key_in_query: Type.Boolean({ default: true }),
  key_in_body: Type.Boolean({ default: false }),
  hide_credentials: Type.Boolean({ default: false }),
  anonymous: Nullable(Type.String({ minLength: 1 })),
  run_on_preflight: Type.Boolean({ default: true }),
  realm: Nullable(Type.String()),
}, { additionalProperties: false });

/** one name of key_names, with the header spellings it matches (Kong reads "a_b" as "a-b" too) */
interface KeyName {
  readonly name: string;
  readonly headers: readonly string[];
}

type Found = { readonly name: KeyName; readonly key: string; readonly inQuery: boolean } | ShortCircuit | null;
const NEED_BODY = Symbol('need body');

export const keyAuthPlugin: PluginFactory<KeyAuthConfig> = {
  name: 'key-auth',
  priority: 1250,
  configSchema,
  create(config, env) {
    const names: readonly KeyName[] = config.key_names.map((name) => {
      const lower = name.toLowerCase();
      return { name, headers: [...new Set([lower, lower.replace(/_/g, '-')])] };
    });
    const { key_in_header: inHeader, key_in_query: inQuery, key_in_body: inBody, hide_credentials: hide } = config;
    const realm = `Key realm="${config.realm ?? 'kong'}"`;
    const noKey = kongError(401, 'No API key found in request', { 'WWW-Authenticate': realm });
    const badKey = kongError(401, 'Unauthorized', { 'WWW-Authenticate': realm });
    const duplicate = kongError(401, 'Duplicate API key found');
    const anonymous = new AnonymousFallback(config.anonymous, env.consumers, env.log);
    const credentials = env.consumers.keyAuth;

    /** Kong's search: for each name, header, then query, then body; the first string wins. */
    function find(ctx: RequestContext, body: ParsedBody | undefined): Found | typeof NEED_BODY {
      // a private parse: ctx.queryParams would re-encode the query sent upstream
      const query = inQuery && ctx.query !== '' ? new URLSearchParams(ctx.query) : null;
      for (const kn of names) {
        let v: string | typeof DUPLICATE | undefined;
        if (inHeader) {
          for (const h of kn.headers) {
            const all = clientHeaderValues(ctx.req, h);
            if (all.length > 0) { v = all.length === 1 ? all[0] : DUPLICATE; break; }
          }
        }
        if (v === undefined && query !== null) {
          const all = query.getAll(kn.name);
          if (all.length > 0) v = all.length === 1 ? all[0] : DUPLICATE;
        }
        if (v === undefined && inBody) {
          if (body === undefined) return NEED_BODY;
          v = bodyValue(body, kn.name);
        }
        if (v === DUPLICATE) return duplicate;
        if (v !== undefined) return hide && inBody && body === undefined ? NEED_BODY : { name: kn, key: v, inQuery: query?.has(kn.name) === true };
      }
      return null;
    }

    function hideKey(ctx: RequestContext, found: { name: KeyName; inQuery: boolean }, body: ParsedBody | undefined): void {
      for (const h of found.name.headers) ctx.upstreamHeaders.remove(h);
      if (found.inQuery) ctx.queryParams.delete(found.name.name);
      if (body !== undefined) removeFromBody(ctx, body, found.name.name);
    }

    function login(ctx: RequestContext, body: ParsedBody | undefined): AccessResult | Promise<AccessResult> {
      const found = find(ctx, body);
      if (found === NEED_BODY) return readParsedBody(ctx).then((b) => login(ctx, b));
      if (found === null || 'status' in found) return anonymous.fail(ctx, found ?? noKey);
      if (hide) hideKey(ctx, found, body);
      if (found.key === '') return anonymous.fail(ctx, noKey);
      const credential = credentials.get(found.key);
      if (credential === undefined) return anonymous.fail(ctx, badKey);
      authenticate(ctx, credential.consumer, credential);
      return undefined;
    }

    return {
      name: 'key-auth',
      priority: 1250,
      access(ctx) {
        if (!config.run_on_preflight && isPreflight(ctx)) return undefined;
        if (anonymous.skips(ctx)) return undefined;
        return login(ctx, undefined);
      },
    };
  },
};
