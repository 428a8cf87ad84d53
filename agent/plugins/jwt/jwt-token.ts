// Finding the JWT in a request (Kong's uri_param_names, cookie_names, header_names) and
// decoding it the way Kong's jwt_parser does, with Kong's "Bad token; …" reasons.
import type { RequestContext } from '../context.js';
import { clientHeaderValues } from '../key-auth/auth-common.js';

export interface TokenSources {
  readonly query: readonly string[];
  readonly cookies: readonly string[];
  /** lower-case header names */
  readonly headers: readonly string[];
}

const BEARER = /^\s*bearer\s+(\S.*)$/i;
// a bare token: no spaces, and not the scheme word alone
const BARE = /^(?!bearer$)\S+$/i;

function add(found: string[], token: string): void {
  if (token !== '' && !found.includes(token)) found.push(token);
}

/** The first value of each wanted cookie (nginx's $cookie_<name>). */
function addCookies(ctx: RequestContext, names: readonly string[], found: string[]): void {
  const header = clientHeaderValues(ctx.req, 'cookie').join('; ');
  if (header === '') return;
  const seen = new Set<string>();
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    if (seen.has(name) || !names.includes(name)) continue;
    seen.add(name);
    add(found, pair.slice(eq + 1).trim());
  }
}

/**
 * Every distinct token the request carries: 0 (none), 1, or more (Kong's "Multiple tokens
 * provided"). A header value is "Bearer <token>" (any case) or a bare token without spaces;
 * other schemes ("Basic …") are not tokens.
 */
export function retrieveTokens(ctx: RequestContext, sources: TokenSources): string[] {
  const found: string[] = [];
  if (sources.query.length > 0 && ctx.query !== '') {
    // a private parse: ctx.queryParams would re-encode the query sent upstream
    const params = new URLSearchParams(ctx.query);
    for (const name of sources.query) for (const v of params.getAll(name)) add(found, v);
  }
  if (sources.cookies.length > 0) addCookies(ctx, sources.cookies, found);
  for (const name of sources.headers) {
    for (const v of clientHeaderValues(ctx.req, name)) {
      // the common shape, "Bearer <token>", without the regex
      if (v.startsWith('Bearer ') && v.charCodeAt(7) > 32 && v.charCodeAt(7) < 127) { add(found, v.slice(7).trim()); continue; }
      const m = BEARER.exec(v);
      if (m !== null) add(found, m[1]!.trim());
      else if (BARE.test(v)) add(found, v);
    }
  }
  return found;
}

/** Algorithms Kong's jwt plugin knows; anything else (including "none") is "invalid alg". */
export const JWT_ALGORITHMS: ReadonlySet<string> = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA',
]);

export interface DecodedJwt {
  readonly token: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly alg: string;
  /** "<header>.<payload>" as sent, what the signature covers */
  readonly signingInput: string;
  readonly signature: Buffer;
}

// base64url as JWTs use it; Kong also accepts the standard alphabet and padding
const B64 = /^[A-Za-z0-9_+/-]*={0,2}$/;

export function decodeBase64(part: string): Buffer | undefined {
  if (!B64.test(part) || part.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(part, 'base64');
}

function jsonObject(part: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64(part);
  if (bytes === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** An own property of a decoded JSON object (never one inherited from Object.prototype). */
export function own(obj: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

// RFC 9068 access tokens say "at+jwt"; Kong only knows "JWT"
const TYP = /^(application\/)?(at\+)?jwt$/i;

/**
 * Longer tokens are refused before any decoding or cryptography: a signed JWT with ordinary claims is
 * well under 2 KiB, and a huge one only costs the gateway (base64, JSON, signature work) per request.
 */
export const MAX_TOKEN_LENGTH = 8192;

/** The token's parts, or the reason it is malformed (Kong answers "Bad token; <reason>"). */
export function decodeJwt(token: string): DecodedJwt | string {
  if (token.length > MAX_TOKEN_LENGTH) return 'too large';
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) return 'invalid serialization';
  const header = jsonObject(token.slice(0, first));
  const payload = jsonObject(token.slice(first + 1, second));
  if (header === undefined || payload === undefined) return 'invalid JSON';
  const typ = own(header, 'typ');
  if (typ !== undefined && (typeof typ !== 'string' || !TYP.test(typ))) return 'invalid typ';
  const alg = own(header, 'alg');
  if (typeof alg !== 'string' || !JWT_ALGORITHMS.has(alg)) return 'invalid alg';
  const signature = decodeBase64(token.slice(second + 1));
  if (signature === undefined) return 'invalid signature';
  return { token, header, payload, alg, signingInput: token.slice(0, second), signature };
}
