// Kong's `jwt` plugin. The order of checks, the messages and the headers are Kong's:
// token → decode → key claim → jwt_secret → alg → signature → claims → maximum_expiration.
// Everything up to the signature is synchronous, and so is HMAC; only public-key verification
// (jose, WebCrypto) and the JWKS extension return a promise.
//
// JWKS (meshgate extension, `jwks_uri`): a token whose key claim names no jwt_secret is verified
// against the JWKS instead (asymmetric algorithms only, the key picked by `kid`). An accepted jwt
// always carries a consumer in Kong (X-Consumer-* headers, ACL groups, rate limits by consumer),
// so a JWKS token must map to one too: the key claim's value (by default the issuer) is looked up
// as a consumer id, username or custom_id. Without such a consumer the token is refused with
// Kong's "No credentials found for given '<claim>'", checked before any JWKS fetch, and
// `anonymous` applies as for any failed login.
import type { RequestContext } from '../context.js';
import { authenticate, stableUuid, type Consumer, type Credential } from '../consumers.js';
import type { AccessResult, PluginFactory, ShortCircuit } from '../plugin.js';
import { kongError } from '../respond.js';
import { AnonymousFallback, isPreflight } from '../key-auth/auth-common.js';
import { claimErrors, exceedsMaximumExpiration, type ClaimErrors, type ClaimRules } from './jwt-claims.js';
import { JwksCache } from './jwks-cache.js';
import { SecretKeys, isHmac, verifyHmac, verifyPublic } from './jwt-keys.js';
import { jwtConfigSchema, validateJwtConfig, type JwtConfig } from './jwt-schema.js';
import { decodeJwt, own, retrieveTokens, type DecodedJwt, type TokenSources } from './jwt-token.js';

export type { JwtConfig } from './jwt-schema.js';

/** ctx.shared keys set on success: the raw token (Kong's name) and its decoded claims */
export const SHARED_JWT_TOKEN = 'authenticated_jwt_token';
export const SHARED_JWT_CLAIMS = 'jwt_claims';

interface Accepted {
  readonly consumer: Consumer;
  readonly credential: Credential;
  readonly jwt: DecodedJwt;
}
type Outcome = Accepted | ShortCircuit;

const isFailure = (o: Outcome): o is ShortCircuit => 'status' in o;

export const jwtPlugin: PluginFactory<JwtConfig> = {
  name: 'jwt',
  priority: 1450,
  configSchema: jwtConfigSchema,
  validate: validateJwtConfig,
  create(config, env) {
    const log = env.log;
    const sources: TokenSources = {
      query: config.uri_param_names ?? ['jwt'],
      cookies: config.cookie_names ?? [],
      headers: (config.header_names ?? ['authorization']).map((h) => h.toLowerCase()),
    };
    const claimName = config.key_claim_name;
    const rules: ClaimRules = {
      verify: [...new Set(config.claims_to_verify ?? [])],
      leewayS: config.leeway_s,
      maximumExpirationS: config.maximum_expiration,
      issuer: config.issuer ?? null,
      audiences: config.audiences ? new Set(config.audiences) : null,
    };

    // every answer built once
    const www = config.realm !== undefined && config.realm !== null ? `Bearer realm="${config.realm}"` : 'Bearer';
    const invalidToken = { 'WWW-Authenticate': `${www} error="invalid_token"` };
    const refuse = (message: string) => kongError(401, message, invalidToken);
    const claimFailure = (errors: ClaimErrors): ShortCircuit => ({ status: 401, body: errors, headers: invalidToken });
    const NO_TOKEN = kongError(401, 'Unauthorized', { 'WWW-Authenticate': www });
    const MULTIPLE = refuse('Multiple tokens provided');
    const NO_CLAIM = refuse(`No mandatory '${claimName}' in claims`);
    const EMPTY_CLAIM = refuse(`Invalid '${claimName}' in claims`);
    const NO_CREDENTIALS = refuse(`No credentials found for given '${claimName}'`);
    const NO_KID = refuse("No credentials found for given 'kid'");
    const BAD_ALGORITHM = refuse('Invalid algorithm');
    const BAD_KEY = refuse('Invalid key/secret');
    const BAD_SIGNATURE = refuse('Invalid signature');
    const TOO_LONG = claimFailure({ exp: 'exceeds maximum allowed expiration' });
    const badToken = new Map<string, ShortCircuit>();
    const malformed = (reason: string): ShortCircuit => {
      let f = badToken.get(reason);
      if (f === undefined) { f = refuse(`Bad token; ${reason}`); badToken.set(reason, f); }
      return f;
    };

    const consumers = env.consumers;
    const keys = new SecretKeys(config.secret_is_base64, log);
    const anonymous = new AnonymousFallback(config.anonymous, consumers, log);
    const jwks = config.jwks_uri
      ? new JwksCache(config.jwks_uri, { cooldownMs: config.jwks_refetch_cooldown_ms, maxAgeMs: config.jwks_max_age_ms, timeoutMs: config.jwks_timeout_ms }, log)
      : null;
    const jwksCredentials = new Map<string, Credential>();

    /** Kong reads the key claim from the payload, then from the header (so "kid" works). */
    function keyClaim(jwt: DecodedJwt): string | ShortCircuit {
      let v = own(jwt.payload, claimName);
      if (v === undefined || v === null || v === false) v = own(jwt.header, claimName);
      if (v === undefined || v === null || v === false) return NO_CLAIM;
      if (typeof v === 'number') return String(v);
      return typeof v === 'string' && v !== '' ? v : EMPTY_CLAIM;
    }

    function claimsChecked(jwt: DecodedJwt, consumer: Consumer, credential: Credential): Outcome {
      const nowS = Math.floor(Date.now() / 1000);
      const errors = claimErrors(jwt.payload, rules, nowS);
      if (errors !== null) return claimFailure(errors);
      if (exceedsMaximumExpiration(jwt.payload, rules, nowS)) return TOO_LONG;
      return { consumer, credential, jwt };
    }

    async function viaJwks(cache: JwksCache, jwt: DecodedJwt, value: string): Promise<Outcome> {
      const consumer = consumers.find(value) ?? consumers.byCustomId.get(value);
      if (consumer === undefined) return NO_CREDENTIALS;
      // a JWKS holds public keys: an HMAC token "signed" with one of them is algorithm confusion
      if (isHmac(jwt.alg)) return BAD_ALGORITHM;
      const candidates = await cache.keysFor({ alg: jwt.alg, kid: own(jwt.header, 'kid') });
      if (candidates.length === 0) return NO_KID;
      for (const key of candidates) {
        if (!(await verifyPublic(jwt, key))) continue;
        let credential = jwksCredentials.get(value);
        if (credential === undefined) {
          credential = Object.freeze({ id: stableUuid(`jwks:${cache.uri}:${value}`), identifier: value, consumer });
          jwksCredentials.set(value, credential);
        }
        return claimsChecked(jwt, consumer, credential);
      }
      return BAD_SIGNATURE;
    }

    // Tokens whose signature was verified against a consumer's jwt_secret (fixed for this
    // instance's life): a repeat skips decoding and the signature check; claims (exp, nbf) are
    // still checked on every request. Bounded; JWKS tokens are not kept (keys rotate).
    const verified = new Map<string, { jwt: DecodedJwt; consumer: Consumer; credential: Credential }>();
    const remember = (token: string, jwt: DecodedJwt, consumer: Consumer, credential: Credential): Outcome => {
      if (token.length <= 4096) {
        if (verified.size >= 2048) verified.clear();
        verified.set(token, { jwt, consumer, credential });
      }
      return claimsChecked(jwt, consumer, credential);
    };

    function login(ctx: RequestContext): Outcome | Promise<Outcome> {
      const tokens = retrieveTokens(ctx, sources);
      if (tokens.length === 0) return NO_TOKEN;
      if (tokens.length > 1) return MULTIPLE;
      const seen = verified.get(tokens[0]!);
      if (seen !== undefined) return claimsChecked(seen.jwt, seen.consumer, seen.credential);
      const jwt = decodeJwt(tokens[0]!);
      if (typeof jwt === 'string') return malformed(jwt);
      const value = keyClaim(jwt);
      if (typeof value !== 'string') return value;
      const secret = consumers.jwtSecrets.get(value);
      if (secret === undefined) return jwks !== null ? viaJwks(jwks, jwt, value) : NO_CREDENTIALS;
      // the secret's algorithm is the only one allowed: no "none", no HS256 keyed with an RSA key
      if (jwt.alg !== secret.algorithm) return BAD_ALGORITHM;
      const key = keys.key(secret);
      if (key.kind === 'invalid') return BAD_KEY;
      const credential = keys.credential(secret);
      if (key.kind === 'hmac') return verifyHmac(jwt, key.key) ? remember(tokens[0]!, jwt, secret.consumer, credential) : BAD_SIGNATURE;
      return key.key.then(async (k) => {
        if (k === null) return BAD_KEY;
        return (await verifyPublic(jwt, k)) ? remember(tokens[0]!, jwt, secret.consumer, credential) : BAD_SIGNATURE;
      });
    }

    function finish(ctx: RequestContext, outcome: Outcome): AccessResult {
      if (isFailure(outcome)) return anonymous.fail(ctx, outcome);
      authenticate(ctx, outcome.consumer, outcome.credential);
      ctx.shared.set(SHARED_JWT_TOKEN, outcome.jwt.token);
      ctx.shared.set(SHARED_JWT_CLAIMS, outcome.jwt.payload);
      return undefined;
    }

    return {
      name: 'jwt',
      priority: 1450,
      access(ctx) {
        if (!config.run_on_preflight && isPreflight(ctx)) return undefined;
        if (anonymous.skips(ctx)) return undefined;
        const outcome = login(ctx);
        if (!(outcome instanceof Promise)) return finish(ctx, outcome);
        return outcome.then((o) => finish(ctx, o), (err: unknown) => {
          // a bug, not the client's fault; still never a 500 for a token
          log.error({ err: (err as Error).message }, 'jwt verification failed unexpectedly');
          return finish(ctx, BAD_SIGNATURE);
        });
      },
    };
  },
};
