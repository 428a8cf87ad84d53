// Keys and consumers for the jwt tests: one consumer per algorithm Kong knows, each with one
// jwt_secret whose key is "key-<alg>", and helpers to sign proper and hand-made tokens.
import { createHmac } from 'node:crypto';
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';

export const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface Signer {
  readonly alg: Algorithm;
  /** the jwt_secrets key, i.e. what iss must say */
  readonly key: string;
  readonly username: string;
  readonly signingKey: CryptoKey | Uint8Array;
  /** HS: the secret; others: the public key PEM */
  readonly verifyMaterial: string;
}

export interface JwtFixtures {
  readonly signers: ReadonlyMap<Algorithm, Signer>;
  /** a second RSA key nobody registered, for forged RS256 tokens */
  readonly strangerRsa: CryptoKey;
  readonly deck: { _format_version: '3.0'; consumers: Record<string, unknown>[] };
  readonly consumers: ConsumerIndex;
}

export const nowS = (): number => Math.floor(Date.now() / 1000);

export async function makeJwtFixtures(): Promise<JwtFixtures> {
  const signers = new Map<Algorithm, Signer>();
  const consumers: Record<string, unknown>[] = [];
  for (const alg of ALGORITHMS) {
    const username = `user-${alg.toLowerCase()}`;
    let signer: Signer;
    if (alg.startsWith('HS')) {
      const secret = `${alg}-secret-of-${username}-0123456789abcdef`;
      signer = { alg, key: `key-${alg}`, username, signingKey: new TextEncoder().encode(secret), verifyMaterial: secret };
    } else {
      const pair = await generateKeyPair(alg, { extractable: true });
      signer = { alg, key: `key-${alg}`, username, signingKey: pair.privateKey, verifyMaterial: await exportSPKI(pair.publicKey) };
    }
    signers.set(alg, signer);
    consumers.push({
      username, custom_id: `cid-${alg}`,
      jwt_secrets: [alg.startsWith('HS')
        ? { key: signer.key, algorithm: alg, secret: signer.verifyMaterial }
        : { key: signer.key, algorithm: alg, rsa_public_key: signer.verifyMaterial }],
      acls: [{ group: 'jwt-users' }],
    });
  }
  consumers.push({ username: 'anonymous-user', id: '00000000-0000-4000-8000-00000000a000' });
  consumers.push({ username: 'no-secret', jwt_secrets: [{ key: 'key-no-secret', algorithm: 'HS256' }] });
  consumers.push({ username: 'bad-pem', jwt_secrets: [{ key: 'key-bad-pem', algorithm: 'RS256', rsa_public_key: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----' }] });
  const deck = { _format_version: '3.0' as const, consumers };
  const stranger = await generateKeyPair('RS256');
  return { signers, strangerRsa: stranger.privateKey, deck, consumers: ConsumerIndex.compile(deck as never) };
}

/** A token signed by `signer`, iss = its key unless the payload says otherwise. */
export function sign(signer: Signer, payload: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: signer.key, ...payload }).setProtectedHeader({ typ: 'JWT', ...header, alg: signer.alg }).sign(signer.signingKey);
}

export const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A token assembled by hand: any header, any payload, any signature bytes. */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

/** A token "signed" with HMAC over an arbitrary secret (algorithm confusion, forged secrets). */
export function hmacToken(alg: 'HS256' | 'HS384' | 'HS512', payload: Record<string, unknown>, secret: string | Buffer, header: Record<string, unknown> = {}): string {
  const input = `${b64url({ typ: 'JWT', ...header, alg })}.${b64url(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}
