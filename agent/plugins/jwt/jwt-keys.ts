// Key material of the consumers' jwt_secrets, prepared once per secret and plugin instance,
// and signature checks. HMAC is verified synchronously with node:crypto (the common case stays
// off the promise path); public keys go through jose (WebCrypto), which also refuses a key that
// does not fit the algorithm (an RSA key for ES256, a P-384 key for ES256, RSA under 2048 bits).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { compactVerify, importSPKI, importX509, type CryptoKey } from 'jose';
import type { Logger } from 'pino';
import type { Credential, JwtSecret } from '../consumers.js';
import { decodeBase64, type DecodedJwt } from './jwt-token.js';

const HMAC_HASH: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

export type SecretKey =
  | { readonly kind: 'hmac'; readonly key: Buffer }
  | { readonly kind: 'public'; readonly key: Promise<CryptoKey | null> }
  | { readonly kind: 'invalid' };

const INVALID: SecretKey = Object.freeze({ kind: 'invalid' });

export function isHmac(alg: string): boolean {
  return HMAC_HASH[alg] !== undefined;
}

export class SecretKeys {
  readonly #keys = new WeakMap<JwtSecret, SecretKey>();
  readonly #credentials = new WeakMap<JwtSecret, Credential>();

  constructor(private readonly secretIsBase64: boolean, private readonly log: Logger) {}

  /** The key to verify tokens of `secret` with (built on first use, then cached). */
  key(secret: JwtSecret): SecretKey {
    let k = this.#keys.get(secret);
    if (k === undefined) { k = this.#build(secret); this.#keys.set(secret, k); }
    return k;
  }

  /** What X-Credential-Identifier names for this secret: its key, as in Kong. */
  credential(secret: JwtSecret): Credential {
    let c = this.#credentials.get(secret);
    if (c === undefined) {
      c = Object.freeze({ id: secret.id, identifier: secret.key, consumer: secret.consumer });
      this.#credentials.set(secret, c);
    }
    return c;
  }

  #build(secret: JwtSecret): SecretKey {
    if (isHmac(secret.algorithm)) {
      // an empty HMAC secret would let anyone sign: treated as no secret at all
      if (secret.secret === undefined || secret.secret === '') return INVALID;
      if (!this.secretIsBase64) return { kind: 'hmac', key: Buffer.from(secret.secret, 'utf8') };
      const key = decodeBase64(secret.secret);
      return key === undefined || key.length === 0 ? INVALID : { kind: 'hmac', key };
    }
    const pem = secret.rsaPublicKey;
    if (pem === undefined || pem.trim() === '') return INVALID;
    const imported = pem.includes('BEGIN CERTIFICATE') ? importX509(pem, secret.algorithm) : importSPKI(pem, secret.algorithm);
    return {
      kind: 'public',
      key: imported.catch((err: unknown) => {
        // the key id and consumer only: never the key itself
        this.log.warn({ jwt_secret: secret.id, consumer: secret.consumer.username ?? secret.consumer.id, algorithm: secret.algorithm, err: (err as Error).message },
          'jwt secret rsa_public_key cannot be used; tokens for it are refused');
        return null;
      }),
    };
  }
}

/** HS256/384/512, constant time. */
export function verifyHmac(jwt: DecodedJwt, key: Buffer): boolean {
  const mac = createHmac(HMAC_HASH[jwt.alg]!, key).update(jwt.signingInput).digest();
  return mac.length === jwt.signature.length && timingSafeEqual(mac, jwt.signature);
}

/** RS/PS/ES/EdDSA with jose, allowing exactly the token's (already checked) algorithm. */
export async function verifyPublic(jwt: DecodedJwt, key: CryptoKey): Promise<boolean> {
  try {
    await compactVerify(jwt.token, key, { algorithms: [jwt.alg] });
    return true;
  } catch {
    return false;
  }
}
