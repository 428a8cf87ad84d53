// Kong consumers and their credentials, compiled once per config into lookup tables.
import { createHash } from 'node:crypto';
import type { KongDeclarative } from '../../proto/config-schema.js';
import type { RequestContext } from './context.js';

export interface Consumer {
  readonly id: string;
  readonly username: string | undefined;
  readonly customId: string | undefined;
  readonly groups: readonly string[];
}

export interface JwtSecret {
  readonly id: string;
  readonly key: string;
  readonly secret: string | undefined;
  readonly algorithm: string;
  readonly rsaPublicKey: string | undefined;
  readonly consumer: Consumer;
}

export interface Credential {
  readonly id: string;
  /** what X-Credential-Identifier carries (the key-auth key id, the jwt secret's key) */
  readonly identifier: string;
  readonly consumer: Consumer;
}

/** Kong ids are UUIDs; a consumer without one gets a stable UUID derived from its name. */
export function stableUuid(seed: string): string {
  const h = createHash('sha1').update(`meshgate:${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A consumer's id: its own, else the stable one derived from its name (what X-Consumer-ID carries). */
export function consumerIdOf(c: { id?: string; username?: string; custom_id?: string }): string {
  return c.id ?? stableUuid(`consumer:${c.username ?? c.custom_id}`);
}

export class ConsumerIndex {
  readonly byId = new Map<string, Consumer>();
  readonly byUsername = new Map<string, Consumer>();
  readonly byCustomId = new Map<string, Consumer>();
  /** key-auth key → credential */
  readonly keyAuth = new Map<string, Credential>();
  /** jwt_secrets key (the iss / key_claim_name value) → secret */
  readonly jwtSecrets = new Map<string, JwtSecret>();

  static compile(kong: KongDeclarative): ConsumerIndex {
    const index = new ConsumerIndex();
    for (const c of kong.consumers ?? []) {
      const id = consumerIdOf(c);
      const consumer: Consumer = Object.freeze({
        id, username: c.username, customId: c.custom_id, groups: Object.freeze((c.acls ?? []).map((a) => a.group)),
      });
      index.byId.set(id, consumer);
      if (c.username !== undefined) index.byUsername.set(c.username, consumer);
      if (c.custom_id !== undefined) index.byCustomId.set(c.custom_id, consumer);
      for (const k of c.keyauth_credentials ?? []) {
        const credId = k.id ?? stableUuid(`keyauth:${k.key}`);
        index.keyAuth.set(k.key, Object.freeze({ id: credId, identifier: credId, consumer }));
      }
      for (const j of c.jwt_secrets ?? []) {
        const secretId = j.id ?? stableUuid(`jwt:${j.key}`);
        index.jwtSecrets.set(j.key, Object.freeze({
          id: secretId, key: j.key, secret: j.secret, algorithm: j.algorithm ?? 'HS256', rsaPublicKey: j.rsa_public_key, consumer,
        }));
      }
    }
    return index;
  }

  /** A consumer by id or username (Kong's `anonymous` and plugin `consumer` references). */
  find(ref: string): Consumer | undefined {
    return this.byId.get(ref) ?? this.byUsername.get(ref);
  }
}

const CONSUMER_HEADERS: ReadonlySet<string> = new Set(['x-consumer-id', 'x-consumer-custom-id', 'x-consumer-username', 'x-credential-identifier', 'x-anonymous-consumer']);

/**
 * Marks the request as authenticated as `consumer` and sets Kong's upstream headers
 * (X-Consumer-ID, -Custom-ID, -Username, X-Credential-Identifier, X-Anonymous-Consumer).
 */
export function authenticate(ctx: RequestContext, consumer: Consumer, credential: Credential | null, anonymous = false): void {
  ctx.consumer = consumer;
  ctx.credential = credential;
  ctx.anonymous = anonymous;
  const h = ctx.upstreamHeaders;
  // whatever the client sent under these names is dropped in one pass; ours are appended
  h.removeAll(CONSUMER_HEADERS);
  h.append('X-Consumer-ID', consumer.id);
  if (consumer.customId !== undefined) h.append('X-Consumer-Custom-ID', consumer.customId);
  if (consumer.username !== undefined) h.append('X-Consumer-Username', consumer.username);
  if (credential !== null) h.append('X-Credential-Identifier', credential.identifier);
  if (anonymous) h.append('X-Anonymous-Consumer', 'true');
}
