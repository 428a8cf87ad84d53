// The jwt plugin's config: Kong's fields and defaults, plus meshgate's JWKS, issuer, audience
// and clock-skew extensions (all optional; without them the plugin behaves as Kong's).
import { Type } from '@sinclair/typebox';

export interface JwtConfig {
  uri_param_names?: string[] | null;
  cookie_names?: string[] | null;
  header_names?: string[] | null;
  claims_to_verify?: ('exp' | 'nbf')[] | null;
  key_claim_name: string;
  secret_is_base64: boolean;
  anonymous?: string | null;
  run_on_preflight: boolean;
  maximum_expiration: number;
  realm?: string | null;
  // ---- meshgate extensions ----
  jwks_uri?: string | null;
  jwks_refetch_cooldown_ms: number;
  jwks_max_age_ms: number;
  jwks_timeout_ms: number;
  issuer?: string | null;
  audiences?: string[] | null;
  leeway_s: number;
}

/** decK dumps write `null` for unset fields; null means "Kong's default" in create(). */
const Nullable = <T extends Parameters<typeof Type.Optional>[0]>(t: T, extra: object = {}) =>
  Type.Optional(Type.Union([t, Type.Null()], extra));
const Names = (def: string[]) => Nullable(Type.Array(Type.String({ minLength: 1 })), { default: def });

export const jwtConfigSchema = Type.Object({
  uri_param_names: Names(['jwt']),
  cookie_names: Names([]),
  header_names: Names(['authorization']),
  claims_to_verify: Nullable(Type.Array(Type.Union([Type.Literal('exp'), Type.Literal('nbf')])), { default: [] }),
  key_claim_name: Type.String({ minLength: 1, default: 'iss' }),
  secret_is_base64: Type.Boolean({ default: false }),
  anonymous: Nullable(Type.String({ minLength: 1 })),
  run_on_preflight: Type.Boolean({ default: true }),
  maximum_expiration: Type.Number({ minimum: 0, maximum: 31_536_000, default: 0 }),
  realm: Nullable(Type.String()),
  jwks_uri: Nullable(Type.String({ pattern: '^https?://[^\\s/]+(/\\S*)?$', description: 'meshgate: verify tokens whose key claim has no jwt_secret against this JWKS' })),
  jwks_refetch_cooldown_ms: Type.Integer({ minimum: 0, default: 30_000, description: 'meshgate: least time between two JWKS fetches' }),
  jwks_max_age_ms: Type.Integer({ minimum: 1000, default: 300_000, description: 'meshgate: a JWKS older than this is refreshed in the background' }),
  jwks_timeout_ms: Type.Integer({ minimum: 100, default: 5000 }),
  issuer: Nullable(Type.String({ minLength: 1 }), { description: 'meshgate: the iss every token must carry' }),
  audiences: Nullable(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), { description: 'meshgate: aud must name one of these' }),
  leeway_s: Type.Integer({ minimum: 0, maximum: 3600, default: 0, description: 'meshgate: clock skew allowed on exp and nbf' }),
}, { additionalProperties: false });

/** Kong's entity check: maximum_expiration needs exp among the verified claims. */
export function validateJwtConfig(config: JwtConfig): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (config.maximum_expiration > 0 && !(config.claims_to_verify ?? []).includes('exp')) {
    out.push({ path: 'claims_to_verify', message: 'must contain "exp" when maximum_expiration is set' });
  }
  return out;
}
