// Claim checks after the signature: Kong's claims_to_verify (exp, nbf) and maximum_expiration,
// plus meshgate's issuer, audiences and leeway. Failures are Kong's `{"<claim>": "<why>"}` bodies.
import { own } from './jwt-token.js';

export interface ClaimRules {
  readonly verify: readonly ('exp' | 'nbf')[];
  readonly leewayS: number;
  /** 0 = off */
  readonly maximumExpirationS: number;
  readonly issuer: string | null;
  readonly audiences: ReadonlySet<string> | null;
}

export type ClaimErrors = Record<string, string>;

function audienceMatches(aud: unknown, allowed: ReadonlySet<string>): boolean {
  if (typeof aud === 'string') return allowed.has(aud);
  return Array.isArray(aud) && aud.some((a) => typeof a === 'string' && allowed.has(a));
}

/** Errors of the registered claims and of iss/aud, or null when all pass. `nowS` in seconds. */
export function claimErrors(payload: Readonly<Record<string, unknown>>, rules: ClaimRules, nowS: number): ClaimErrors | null {
  let errors: ClaimErrors | null = null;
  for (const name of rules.verify) {
    const v = own(payload, name);
    let why: string | undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) why = 'must be a number';
    else if (name === 'exp' && v <= nowS - rules.leewayS) why = 'token expired';
    else if (name === 'nbf' && v > nowS + rules.leewayS) why = 'token not valid yet';
    if (why !== undefined) (errors ??= {})[name] = why;
  }
  if (rules.issuer !== null && own(payload, 'iss') !== rules.issuer) (errors ??= {}).iss = 'invalid issuer';
  if (rules.audiences !== null && !audienceMatches(own(payload, 'aud'), rules.audiences)) (errors ??= {}).aud = 'invalid audience';
  return errors;
}

/** Kong's maximum_expiration: exp must exist and lie at most that many seconds ahead. */
export function exceedsMaximumExpiration(payload: Readonly<Record<string, unknown>>, rules: ClaimRules, nowS: number): boolean {
  if (rules.maximumExpirationS <= 0) return false;
  const exp = own(payload, 'exp');
  return typeof exp !== 'number' || exp - nowS > rules.maximumExpirationS;
}
